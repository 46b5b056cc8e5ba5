# Every third-party dependency, found once, as imported targets (Debian packages only;
# scripts/setup installs them). mosaikConfig.cmake repeats these lookups for consumers.
find_package(PkgConfig REQUIRED)
find_package(Threads REQUIRED)
find_package(fmt REQUIRED)
find_package(spdlog REQUIRED)
pkg_check_modules(sodium REQUIRED IMPORTED_TARGET GLOBAL libsodium)
# QUIC (ngtcp2 0.12 with its GnuTLS crypto helper) and TLS 1.3 (GnuTLS) for mosaik_transport.
pkg_check_modules(ngtcp2 REQUIRED IMPORTED_TARGET GLOBAL libngtcp2 libngtcp2_crypto_gnutls gnutls)
# Mainline DHT (libtorrent-rasterbar 2.0) for discovery's DHT bootstrap: private to
# mosaik_discovery, and included by src/discovery/dht/mainline.cpp alone (it brings Boost.Asio).
pkg_check_modules(libtorrent REQUIRED IMPORTED_TARGET GLOBAL libtorrent-rasterbar)
# mDNS / DNS-SD (avahi-core, embedded on the node's event loop): private to mosaik_network,
# included by src/network/mdns/ alone (docs/decisions/0208).
pkg_check_modules(avahi REQUIRED IMPORTED_TARGET GLOBAL avahi-core)
# LMDB for the durable group log: private to mosaik_groups_lmdb, included by
# src/groups/storage/lmdb_log_store.cpp alone (docs/decisions/0410).
pkg_check_modules(lmdb REQUIRED IMPORTED_TARGET GLOBAL lmdb)
# Prometheus metrics (prometheus-cpp's text format and its civetweb HTTP server): private to
# mosaik_network, included by src/network/metrics/ alone (docs/decisions/0701).
if(NOT MOSAIK_BUILD_FUZZ)
  find_package(prometheus-cpp CONFIG REQUIRED)
  # Its HTTP server, whose request hook serves the live web view beside /metrics.
  find_package(civetweb CONFIG REQUIRED)
endif()

# Standalone Asio is header-only; Debian ships no CMake config for it.
if(NOT TARGET mosaik_asio)
  add_library(mosaik_asio INTERFACE)
  # ASIO_DISABLE_STD_ALIGNED_ALLOC: Asio picks aligned_alloc/free or operator new/delete for
  # its handler memory by whether a libstdc++ header came before its own, so translation
  # units that include Asio first disagreed with the others (an ODR violation: memory from
  # one freed by the other, which ASan reports). Disabled, every unit uses new/delete.
  target_compile_definitions(mosaik_asio INTERFACE ASIO_STANDALONE ASIO_NO_DEPRECATED
    ASIO_DISABLE_STD_ALIGNED_ALLOC)
  target_link_libraries(mosaik_asio INTERFACE Threads::Threads)
endif()

# msgpack-cxx header-only without Boost (its CMake package would pull Boost in).
if(NOT TARGET mosaik_msgpack)
  add_library(mosaik_msgpack INTERFACE)
  target_compile_definitions(mosaik_msgpack INTERFACE MSGPACK_NO_BOOST MSGPACK_DEFAULT_API_VERSION=3)
endif()
