# Run by ctest (see CMakeLists.txt beside this file) as `cmake -P`. Every step must
# succeed and the consumer must print what a correct library computes.
foreach(var MOSAIK_BUILD_DIR WORK_DIR CONSUMER_SOURCE_DIR CONSUMER_GENERATOR CONSUMER_CXX_COMPILER)
  if(NOT DEFINED ${var} OR "${${var}}" STREQUAL "")
    message(FATAL_ERROR "run_install_test.cmake: ${var} is not set")
  endif()
endforeach()

set(prefix ${WORK_DIR}/prefix)
set(consumer_build ${WORK_DIR}/consumer-build)
# Start clean so a stale install or cache cannot make a broken one pass.
file(REMOVE_RECURSE ${WORK_DIR})
file(MAKE_DIRECTORY ${WORK_DIR})

function(step name)
  execute_process(COMMAND ${ARGN} TIMEOUT 240
    RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "install test: ${name} failed (${rc})\n${out}\n${err}")
  endif()
  set(step_output "${out}" PARENT_SCOPE)
endfunction()

step("cmake --install" ${CMAKE_COMMAND} --install ${MOSAIK_BUILD_DIR} --prefix ${prefix})
if(NOT EXISTS ${prefix}/include/mosaik)
  message(FATAL_ERROR "install test: no headers under ${prefix}/include/mosaik")
endif()
file(GLOB_RECURSE config_files ${prefix}/*/mosaikConfig.cmake)
if(config_files STREQUAL "")
  message(FATAL_ERROR "install test: no mosaikConfig.cmake under ${prefix}")
endif()

# Only the prefix is offered, never the build tree, so find_package cannot cheat.
step("configure the consumer" ${CMAKE_COMMAND}
  -S ${CONSUMER_SOURCE_DIR} -B ${consumer_build}
  -G ${CONSUMER_GENERATOR}
  -DCMAKE_PREFIX_PATH=${prefix}
  -DCMAKE_FIND_USE_PACKAGE_REGISTRY=OFF
  -DCMAKE_CXX_COMPILER=${CONSUMER_CXX_COMPILER}
  -DCMAKE_BUILD_TYPE=${CONSUMER_BUILD_TYPE}
  "-DCMAKE_CXX_FLAGS=${CONSUMER_CXX_FLAGS}"
  "-DCMAKE_EXE_LINKER_FLAGS=${CONSUMER_LINKER_FLAGS}")
step("build the consumer" ${CMAKE_COMMAND} --build ${consumer_build} -j 2)
step("run the consumer" ${consumer_build}/mosaik_consumer)

# What the consumer prints (see consumer/main.cpp): the id of "mosaik install test", i.e.
# its BLAKE3 hash (checked with an independent BLAKE3 implementation).
set(expected_id 9cf743363a1f481a41739e94448022b1e4135064881d638c446151bb31c5a730)
string(STRIP "${step_output}" printed)
message(STATUS "consumer printed: ${printed}")
if(NOT printed STREQUAL "node id ${expected_id}\nunique_id ok")
  message(FATAL_ERROR "install test: unexpected consumer output:\n${printed}")
endif()

# The installed tool runs (when the tools were built).
if(EXPECT_TOOL)
  step("mosaik --help" ${prefix}/${INSTALL_BINDIR}/mosaik --help)
endif()
if(NOT EXISTS ${prefix}/share/doc/mosaik/LICENSE)
  message(FATAL_ERROR "install test: no LICENSE under ${prefix}/share/doc/mosaik")
endif()

# The README's library example, built the two ways the README shows, from exactly the files
# it quotes (so that the README cannot drift from what works).
file(READ ${README} readme)
foreach(quoted hello.cpp CMakeLists.txt)
  file(READ ${README_EXAMPLE_DIR}/${quoted} text)
  string(FIND "${readme}" "${text}" at)
  if(at EQUAL -1)
    message(FATAL_ERROR "install test: README.md does not quote tests/install/readme/${quoted}")
  endif()
endforeach()
set(pkg_config_line "c++ -std=c++23 hello.cpp -o hello $(pkg-config --cflags --libs mosaik)")
string(FIND "${readme}" "${pkg_config_line}" at)
if(at EQUAL -1)
  message(FATAL_ERROR "install test: README.md does not show: ${pkg_config_line}")
endif()

# Nodes with every default: keep their DHT off the public routers (no internet in tests).
set(run_env ${CMAKE_COMMAND} -E env MOSAIK_DHT_ROUTERS= LD_LIBRARY_PATH=${prefix}/${INSTALL_LIBDIR})
function(expect_greeting name)
  string(STRIP "${step_output}" printed)
  if(NOT printed MATCHES "^hello from [0-9a-f]+$")
    message(FATAL_ERROR "install test: ${name} printed:\n${printed}")
  endif()
endfunction()

set(hello_build ${WORK_DIR}/hello-build)
step("configure the README example" ${CMAKE_COMMAND}
  -S ${README_EXAMPLE_DIR} -B ${hello_build} -G ${CONSUMER_GENERATOR}
  -DCMAKE_PREFIX_PATH=${prefix} -DCMAKE_FIND_USE_PACKAGE_REGISTRY=OFF
  -DCMAKE_CXX_COMPILER=${CONSUMER_CXX_COMPILER} -DCMAKE_BUILD_TYPE=${CONSUMER_BUILD_TYPE}
  "-DCMAKE_CXX_FLAGS=${CONSUMER_CXX_FLAGS}" "-DCMAKE_EXE_LINKER_FLAGS=${CONSUMER_LINKER_FLAGS}")
step("build the README example (find_package)" ${CMAKE_COMMAND} --build ${hello_build})
step("run the README example (find_package)" ${run_env} ${hello_build}/hello)
expect_greeting("the README example (find_package)")

step("pkg-config --cflags --libs mosaik" ${CMAKE_COMMAND} -E env
  PKG_CONFIG_PATH=${prefix}/${INSTALL_LIBDIR}/pkgconfig pkg-config --cflags --libs mosaik)
string(STRIP "${step_output}" pc_flags)
separate_arguments(pc_flags UNIX_COMMAND "${pc_flags}")
separate_arguments(cxx_flags UNIX_COMMAND "${CONSUMER_CXX_FLAGS} ${CONSUMER_LINKER_FLAGS}")
step("build the README example (pkg-config)" ${CONSUMER_CXX_COMPILER} -std=c++23 ${cxx_flags}
  ${README_EXAMPLE_DIR}/hello.cpp -o ${WORK_DIR}/hello-pkg-config ${pc_flags})
step("run the README example (pkg-config)" ${run_env} ${WORK_DIR}/hello-pkg-config)
expect_greeting("the README example (pkg-config)")
