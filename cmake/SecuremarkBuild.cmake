# Build conventions shared by every securemark target.

if(SECUREMARK_CCACHE)
  find_program(SECUREMARK_CCACHE_PROGRAM ccache)
  if(SECUREMARK_CCACHE_PROGRAM)
    # Precompiled headers are only cacheable with these sloppiness settings. Paths are
    # hashed relative to the source tree, so a fresh clone elsewhere reuses the cache.
    set(CMAKE_CXX_COMPILER_LAUNCHER
        /usr/bin/env
        "CCACHE_SLOPPINESS=pch_defines,time_macros,include_file_mtime,include_file_ctime"
        "CCACHE_BASEDIR=${CMAKE_SOURCE_DIR}" "CCACHE_NOHASHDIR=true"
        "${SECUREMARK_CCACHE_PROGRAM}")
  endif()
endif()

add_compile_options(-Wall -Wextra)
if(SECUREMARK_FUZZ)
  # Coverage for libFuzzer everywhere; the fuzz targets themselves link -fsanitize=fuzzer.
  add_compile_options(-fsanitize=fuzzer-no-link,address,undefined -fno-omit-frame-pointer)
  add_link_options(-fsanitize=address,undefined)
elseif(SECUREMARK_SANITIZE)
  add_compile_options(-fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all)
  add_link_options(-fsanitize=address,undefined)
endif()

# One precompiled LibTorch header, reused by every target that includes torch.
function(securemark_torch_pch)
  add_library(securemark_torch_pch OBJECT "${PROJECT_SOURCE_DIR}/cmake/torch_pch.cpp")
  target_link_libraries(securemark_torch_pch PUBLIC torch)
  target_precompile_headers(securemark_torch_pch PUBLIC
    <torch/torch.h>
    <torch/script.h>)
endfunction()

# Links LibTorch and reuses the shared precompiled header.
# Executables compile with -fPIC instead of -fPIE so that the one PCH (built for shared
# libraries) is valid for them too.
function(securemark_use_torch target)
  target_link_libraries(${target} PRIVATE torch)
  target_precompile_headers(${target} REUSE_FROM securemark_torch_pch)
  get_target_property(type ${target} TYPE)
  if(type STREQUAL "EXECUTABLE")
    set_target_properties(${target} PROPERTIES POSITION_INDEPENDENT_CODE OFF)
    target_compile_options(${target} PRIVATE -fPIC)
  endif()
endfunction()

# A unit-test executable registered with ctest, one ctest entry per test case.
#   securemark_add_test(NAME name SOURCES a_test.cpp ... LIBS lib ... [TORCH] [LOCK resource])
# LOCK: the test's cases share a resource (a store they build once) and never run at once.
function(securemark_add_test)
  cmake_parse_arguments(ARG "TORCH" "NAME;LOCK;FIXTURE" "SOURCES;LIBS" ${ARGN})
  add_executable(${ARG_NAME} ${ARG_SOURCES})
  target_link_libraries(${ARG_NAME} PRIVATE ${ARG_LIBS} GTest::gtest GTest::gtest_main)
  if(ARG_TORCH)
    securemark_use_torch(${ARG_NAME})
  endif()
  set_target_properties(${ARG_NAME} PROPERTIES
    RUNTIME_OUTPUT_DIRECTORY "${SECUREMARK_TEST_OUTPUT_DIRECTORY}")
  target_compile_definitions(${ARG_NAME} PRIVATE
    SECUREMARK_BUILD_DIR="${CMAKE_BINARY_DIR}"
    SECUREMARK_SOURCE_DIR="${PROJECT_SOURCE_DIR}")
  # Scratch files go under the build tree, so two checkouts can run their tests at once.
  file(MAKE_DIRECTORY "${CMAKE_BINARY_DIR}/test-tmp")
  set(lock)
  if(ARG_LOCK)
    set(lock RESOURCE_LOCK ${ARG_LOCK})
  endif()
  if(ARG_FIXTURE)  # a test fixture (a server the tests need) started before them
    list(APPEND lock FIXTURES_REQUIRED ${ARG_FIXTURE})
  endif()
  gtest_discover_tests(${ARG_NAME}
    WORKING_DIRECTORY "${CMAKE_BINARY_DIR}"
    DISCOVERY_TIMEOUT 60
    PROPERTIES ENVIRONMENT "SECUREMARK_PLUGIN_PATH="
               ENVIRONMENT_MODIFICATION "TEST_TMPDIR=set:${CMAKE_BINARY_DIR}/test-tmp"
               ${lock})
endfunction()

# A Google Benchmark executable in build/bench-bin; `make bench` runs them all.
function(securemark_add_benchmark)
  cmake_parse_arguments(ARG "TORCH" "NAME" "SOURCES;LIBS" ${ARGN})
  if(NOT TARGET benchmark::benchmark)
    return()
  endif()
  add_executable(${ARG_NAME} ${ARG_SOURCES})
  target_link_libraries(${ARG_NAME} PRIVATE ${ARG_LIBS} benchmark::benchmark)
  if(ARG_TORCH)
    securemark_use_torch(${ARG_NAME})
  endif()
  set_target_properties(${ARG_NAME} PROPERTIES
    RUNTIME_OUTPUT_DIRECTORY "${CMAKE_BINARY_DIR}/bench-bin")
  target_compile_definitions(${ARG_NAME} PRIVATE SECUREMARK_BUILD_DIR="${CMAKE_BINARY_DIR}")
endfunction()
