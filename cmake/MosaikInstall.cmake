# `cmake --install` lays out headers, libraries (static, or shared with MOSAIK_BUILD_SHARED),
# a CMake package and a pkg-config file, so that another project can `find_package(mosaik)`
# and link `mosaik::mosaik`, or use `pkg-config --cflags --libs mosaik`; and the `mosaik`
# tool (tools/mosaik) and the LICENSE.
include(CMakePackageConfigHelpers)

install(DIRECTORY include/mosaik DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})
install(TARGETS ${MOSAIK_INSTALL_TARGETS} mosaik_asio mosaik_msgpack
        EXPORT mosaikTargets
        ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR}
        LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR}
        RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR}
        INCLUDES DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})
install(EXPORT mosaikTargets NAMESPACE mosaik:: DESTINATION ${CMAKE_INSTALL_LIBDIR}/cmake/mosaik)

configure_package_config_file(cmake/mosaikConfig.cmake.in
  ${CMAKE_CURRENT_BINARY_DIR}/mosaikConfig.cmake
  INSTALL_DESTINATION ${CMAKE_INSTALL_LIBDIR}/cmake/mosaik)
write_basic_package_version_file(${CMAKE_CURRENT_BINARY_DIR}/mosaikConfigVersion.cmake
  COMPATIBILITY SameMinorVersion)
install(FILES ${CMAKE_CURRENT_BINARY_DIR}/mosaikConfig.cmake
              ${CMAKE_CURRENT_BINARY_DIR}/mosaikConfigVersion.cmake
        DESTINATION ${CMAKE_INSTALL_LIBDIR}/cmake/mosaik)

# pkg-config: mosaik.pc beside the CMake package. The libraries in link order (the reverse of
# the order they were registered in, dependencies last); a static mosaik needs the libraries
# its subsystems link privately (libtorrent, avahi, lmdb) on every link line, a shared one does not.
set(MOSAIK_PC_LIBS "")
foreach(target ${MOSAIK_INSTALL_TARGETS})
  get_target_property(type ${target} TYPE)
  if(NOT type STREQUAL "INTERFACE_LIBRARY")
    get_target_property(name ${target} OUTPUT_NAME)
    if(NOT name)
      set(name ${target})
    endif()
    set(MOSAIK_PC_LIBS "-l${name} ${MOSAIK_PC_LIBS}")
  endif()
endforeach()
string(STRIP "${MOSAIK_PC_LIBS}" MOSAIK_PC_LIBS)
set(MOSAIK_PC_REQUIRES "fmt spdlog libsodium libngtcp2 libngtcp2_crypto_gnutls gnutls")
set(MOSAIK_PC_PRIVATE_DEPS "libtorrent-rasterbar avahi-core prometheus-cpp-pull lmdb")
# civetweb (the web view's HTTP hook) ships no .pc file: named as libraries.
set(MOSAIK_PC_PRIVATE_LIBS "-lcivetweb-cpp -lcivetweb")
if(MOSAIK_BUILD_SHARED)
  set(MOSAIK_PC_REQUIRES_PRIVATE "${MOSAIK_PC_PRIVATE_DEPS}")
  set(MOSAIK_PC_LIBS_PRIVATE "${MOSAIK_PC_PRIVATE_LIBS}")
else()
  set(MOSAIK_PC_REQUIRES "${MOSAIK_PC_REQUIRES} ${MOSAIK_PC_PRIVATE_DEPS}")
  set(MOSAIK_PC_REQUIRES_PRIVATE "")
  set(MOSAIK_PC_LIBS "${MOSAIK_PC_LIBS} ${MOSAIK_PC_PRIVATE_LIBS}")
  set(MOSAIK_PC_LIBS_PRIVATE "")
endif()
file(RELATIVE_PATH MOSAIK_PC_TO_PREFIX "/prefix/${CMAKE_INSTALL_LIBDIR}/pkgconfig" "/prefix")
string(REGEX REPLACE "/$" "" MOSAIK_PC_TO_PREFIX "${MOSAIK_PC_TO_PREFIX}")
configure_file(cmake/mosaik.pc.in ${CMAKE_CURRENT_BINARY_DIR}/mosaik.pc @ONLY)
install(FILES ${CMAKE_CURRENT_BINARY_DIR}/mosaik.pc DESTINATION ${CMAKE_INSTALL_LIBDIR}/pkgconfig)
install(FILES LICENSE DESTINATION ${CMAKE_INSTALL_DATADIR}/doc/mosaik)
