# Remote launchers (issue 15). launcher_test needs no cluster. The Slurm
# tests run against the single-node Slurm of scripts/slurm_local.sh, which
# they start themselves (quick when it runs already) and skip with its
# one-line reason where it cannot run (not root, no apt-get). They share one
# small node, so they run one at a time (RESOURCE_LOCK), and a ctest fixture
# stops the cluster after them if a test had to start it.
timerbisect_test(launcher_test
  SOURCES launcher_test.cc
  LIBS timerbisect_run)

set(slurm_script ${PROJECT_SOURCE_DIR}/scripts/slurm_local.sh)
set(slurm_mark ${CMAKE_CURRENT_BINARY_DIR}/slurm-started-by-tests)

# slurm_test(NAME SOURCES...): like timerbisect_test, with the Slurm
# fixture and lock on every test it discovers.
function(slurm_test name)
  add_executable(${name} ${ARGN})
  target_link_libraries(${name} PRIVATE timerbisect_run nlohmann_json::nlohmann_json GTest::gtest
    GTest::gtest_main)
  target_include_directories(${name} PRIVATE ${CMAKE_CURRENT_SOURCE_DIR})
  target_compile_definitions(${name} PRIVATE
    SLURM_LOCAL_SCRIPT="${slurm_script}"
    SLURM_STARTED_MARK="${slurm_mark}")
  gtest_discover_tests(${name} DISCOVERY_TIMEOUT 60
    PROPERTIES RESOURCE_LOCK slurm FIXTURES_REQUIRED slurm_cluster TIMEOUT 600)
endfunction()

if(NOT TIMERBISECT_SANITIZE)
  # The sanitizer builds leave these out: they test process and job
  # orchestration, which the plain build covers, and each run takes about a
  # minute and a half of a shared two-core node.
  slurm_test(slurm_launcher_test slurm_launcher_test.cc)
  slurm_test(slurm_e2e_test slurm_e2e_test.cc)
  add_dependencies(slurm_e2e_test timerbisect timerbisect_shim many_sites)
  target_compile_definitions(slurm_e2e_test PRIVATE
    SLURM_E2E_DRIVER="$<TARGET_FILE:timerbisect>"
    SLURM_E2E_MANY_SITES="$<TARGET_FILE:many_sites>"
    SLURM_E2E_SHIM="$<TARGET_FILE:timerbisect_shim>"
    SLURM_E2E_CI_EXAMPLE_DIR="${PROJECT_SOURCE_DIR}/examples/ci_ctest"
    SLURM_E2E_CMAKE="${CMAKE_COMMAND}"
    SLURM_E2E_CTEST="${CMAKE_CTEST_COMMAND}"
    SLURM_E2E_C_COMPILER="${CMAKE_C_COMPILER}")
  # After every Slurm test: stop the cluster if a test started it.
  add_test(NAME slurm_local_stop
    COMMAND sh -c "if [ -e '${slurm_mark}' ]; then rm -f '${slurm_mark}'; '${slurm_script}' stop; fi")
  set_tests_properties(slurm_local_stop PROPERTIES FIXTURES_CLEANUP slurm_cluster)
endif()
