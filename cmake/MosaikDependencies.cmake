# Every third-party dependency, found once, as imported targets (Debian packages only;
# scripts/setup installs them). mosaikConfig.cmake repeats these lookups for consumers.
find_package(PkgConfig REQUIRED)
find_package(Threads REQUIRED)
find_package(fmt REQUIRED)
find_package(spdlog REQUIRED)
# Debian bookworm ships msgpack-cxx 4.1's CMake package as `msgpack` (target msgpackc-cxx).
find_package(msgpack-cxx CONFIG QUIET)
if(NOT TARGET msgpack-cxx)
  find_package(msgpack CONFIG REQUIRED NAMES msgpack msgpackc-cxx)
  add_library(msgpack-cxx INTERFACE IMPORTED GLOBAL)
  target_link_libraries(msgpack-cxx INTERFACE msgpackc-cxx)
endif()
pkg_check_modules(sodium REQUIRED IMPORTED_TARGET GLOBAL libsodium)

# Standalone Asio is header-only; Debian ships no CMake config for it.
if(NOT TARGET mosaik_asio)
  add_library(mosaik_asio INTERFACE)
  target_compile_definitions(mosaik_asio INTERFACE ASIO_STANDALONE ASIO_NO_DEPRECATED)
  target_link_libraries(mosaik_asio INTERFACE Threads::Threads)
endif()
