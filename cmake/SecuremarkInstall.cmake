# `cmake --install build --prefix P` mirrors the build tree: P/bin, P/lib, P/plugins,
# plus the core and domain SDK headers and a CMake package for out-of-tree plugins.
include(CMakePackageConfigHelpers)

install(TARGETS securemark_sdk EXPORT securemarkTargets
  LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR}
  INCLUDES DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})
install(DIRECTORY runtime/include/securemark DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})
# The domain SDK keeps the in-tree include paths ("codes/codebook.h") under its own root.
install(TARGETS securemark_domain_sdk EXPORT securemarkTargets
  LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR})
foreach(header codes/codebook.h codes/bibd.h domain/domain_values.h models/model_file.h)
  get_filename_component(dir ${header} DIRECTORY)
  install(FILES plugins/common/${header}
    DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}/securemark-domain/${dir})
endforeach()
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
