# `cmake --install` lays out headers, libraries and a CMake package so that another
# project can `find_package(mosaik)` and link `mosaik::mosaik`.
include(CMakePackageConfigHelpers)

install(DIRECTORY include/mosaik DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})
install(TARGETS ${MOSAIK_INSTALL_TARGETS} mosaik_asio mosaik_msgpack
        EXPORT mosaikTargets
        ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR}
        LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR}
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
