# securemark_add_plugin(NAME target SOURCES ... [LIBS ...])
# Builds one plugin shared library. Used in-tree and by out-of-tree plugins through
# find_package(securemark). A plugin library contains only plugins; shared domain code
# goes in a static library linked into it.
function(securemark_add_plugin)
  cmake_parse_arguments(ARG "" "NAME" "SOURCES;LIBS" ${ARGN})
  add_library(${ARG_NAME} MODULE ${ARG_SOURCES})
  if(TARGET securemark_sdk)
    target_link_libraries(${ARG_NAME} PRIVATE securemark_sdk ${ARG_LIBS})
  else()
    target_link_libraries(${ARG_NAME} PRIVATE securemark::sdk ${ARG_LIBS})
  endif()
  set_target_properties(${ARG_NAME} PROPERTIES PREFIX "" CXX_VISIBILITY_PRESET hidden)
  if(DEFINED SECUREMARK_PLUGIN_OUTPUT_DIRECTORY)
    set_target_properties(${ARG_NAME} PROPERTIES
      LIBRARY_OUTPUT_DIRECTORY "${SECUREMARK_PLUGIN_OUTPUT_DIRECTORY}"
      INSTALL_RPATH "$ORIGIN/../lib")
    install(TARGETS ${ARG_NAME} LIBRARY DESTINATION "${SECUREMARK_INSTALL_PLUGINDIR}")
    # In-tree: tests that run shipped pipelines depend on every plugin.
    if(NOT TARGET securemark_plugins)
      add_custom_target(securemark_plugins)
    endif()
    add_dependencies(securemark_plugins ${ARG_NAME})
  endif()
endfunction()
