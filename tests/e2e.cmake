# End-to-end tests: the built `timerbisect` driver bisects the programs in
# examples/ (with the built shim) and the test checks the sets it finds.
# Every path reaches the test as a compile definition.

# A static program, which LD_PRELOAD cannot reach: the driver must refuse it.
# Built without sanitizers, whose runtimes cannot be linked statically.
file(CONFIGURE OUTPUT ${CMAKE_CURRENT_BINARY_DIR}/e2e_static_target.c
     CONTENT "int main(void) { return 0; }\n")
add_executable(e2e_static_target ${CMAKE_CURRENT_BINARY_DIR}/e2e_static_target.c)
target_compile_options(e2e_static_target PRIVATE -fno-sanitize=all)
target_link_options(e2e_static_target PRIVATE -fno-sanitize=all -static)

timerbisect_test(e2e_test
  SOURCES e2e_test.cc
  LIBS timerbisect_protocol timerbisect_report nlohmann_json::nlohmann_json)
set(e2e_examples drain_after_disarm watchdog_spurious short_timeout_race sleep_ordering
    many_sites pair_only_together protocol_target)
add_dependencies(e2e_test timerbisect timerbisect_shim e2e_static_target ${e2e_examples})
target_compile_definitions(e2e_test PRIVATE
  E2E_DRIVER="$<TARGET_FILE:timerbisect>"
  E2E_SHIM="$<TARGET_FILE:timerbisect_shim>"
  E2E_STATIC_TARGET="$<TARGET_FILE:e2e_static_target>"
  E2E_EXAMPLES_SOURCE_DIR="${PROJECT_SOURCE_DIR}/examples")
if(TIMERBISECT_SANITIZE)
  # A sanitized shim needs the sanitizer runtime of the program it is loaded into.
  target_compile_definitions(e2e_test PRIVATE E2E_SHIM_SANITIZED)
endif()
# Each example's path reaches the test as E2E_<NAME>, e.g. E2E_MANY_SITES.
foreach(example ${e2e_examples})
  string(TOUPPER "${example}" upper)
  target_compile_definitions(e2e_test PRIVATE E2E_${upper}="$<TARGET_FILE:${example}>")
endforeach()

# A protocol target whose culprit fails only sometimes, seeded per trial.
add_executable(flaky_protocol_target progs/flaky_protocol_target.cc)
target_link_libraries(flaky_protocol_target PRIVATE timerbisect_protocol)
add_dependencies(e2e_test flaky_protocol_target)
target_compile_definitions(e2e_test PRIVATE
  E2E_FLAKY_PROTOCOL_TARGET="$<TARGET_FILE:flaky_protocol_target>")
