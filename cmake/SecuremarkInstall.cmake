# `cmake --install build --prefix P` mirrors the build tree: P/bin, P/lib, P/plugins,
# plus the SDK headers and a CMake package for out-of-tree plugins.
include(CMakePackageConfigHelpers)

install(TARGETS securemark_sdk EXPORT securemarkTargets
  LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR}
  INCLUDES DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})
install(DIRECTORY runtime/include/securemark DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})
install(EXPORT securemarkTargets NAMESPACE securemark::
  DESTINATION ${CMAKE_INSTALL_LIBDIR}/cmake/securemark)

configure_package_config_file(cmake/securemarkConfig.cmake.in
  "${CMAKE_BINARY_DIR}/securemarkConfig.cmake"
  INSTALL_DESTINATION ${CMAKE_INSTALL_LIBDIR}/cmake/securemark)
write_basic_package_version_file("${CMAKE_BINARY_DIR}/securemarkConfigVersion.cmake"
  COMPATIBILITY SameMinorVersion)
install(FILES
  "${CMAKE_BINARY_DIR}/securemarkConfig.cmake"
  "${CMAKE_BINARY_DIR}/securemarkConfigVersion.cmake"
  cmake/SecuremarkPlugin.cmake
  DESTINATION ${CMAKE_INSTALL_LIBDIR}/cmake/securemark)
