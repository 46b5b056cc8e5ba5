# `mosaik_suite`: every target the build makes by default except the benchmarks, i.e. what
# the test suite runs (test binaries, the examples, tools and helper processes they start).
# scripts/test builds it instead of everything: CI runs the suite and never a benchmark, and
# the benchmarks' compilation is about 80 s of its 45-minute budget. scripts/build (no target)
# still builds them.

function(mosaik_collect_suite_targets dir out)
  get_property(targets DIRECTORY ${dir} PROPERTY BUILDSYSTEM_TARGETS)
  set(kept "")
  foreach(t ${targets})
    get_target_property(type ${t} TYPE)
    get_target_property(excluded ${t} EXCLUDE_FROM_ALL)
    if(NOT type STREQUAL "INTERFACE_LIBRARY" AND NOT excluded)
      list(APPEND kept ${t})
    endif()
  endforeach()
  get_property(subdirs DIRECTORY ${dir} PROPERTY SUBDIRECTORIES)
  foreach(sub ${subdirs})
    string(FIND "${sub}/" "${PROJECT_SOURCE_DIR}/bench/" at)
    if(NOT at EQUAL 0)
      mosaik_collect_suite_targets(${sub} more)
      list(APPEND kept ${more})
    endif()
  endforeach()
  set(${out} ${kept} PARENT_SCOPE)
endfunction()

mosaik_collect_suite_targets(${PROJECT_SOURCE_DIR} mosaik_suite_targets)
add_custom_target(mosaik_suite)
if(mosaik_suite_targets)
  add_dependencies(mosaik_suite ${mosaik_suite_targets})
endif()
