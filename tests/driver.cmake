# Tests of the driver binary itself (journal/resume, interruption): they run
# build/cmd/timerbisect on the examples.
timerbisect_test(driver_journal_test
  SOURCES driver_journal_test.cc
  LIBS timerbisect_run nlohmann_json::nlohmann_json)
target_compile_definitions(driver_journal_test PRIVATE
  TIMERBISECT_DRIVER="$<TARGET_FILE:timerbisect>"
  TIMERBISECT_DRAIN_EXAMPLE="$<TARGET_FILE:drain_after_disarm>")
add_dependencies(driver_journal_test timerbisect drain_after_disarm timerbisect_shim)

# triage: the stand-alone ctest project of examples/ci_ctest (configured and
# built by the test itself, as a user would) and a randomly flaky program.
add_executable(driver_random_flake progs/driver_random_flake.c)
timerbisect_test(driver_triage_test
  SOURCES driver_triage_test.cc
  LIBS nlohmann_json::nlohmann_json)
target_compile_definitions(driver_triage_test PRIVATE
  TIMERBISECT_DRIVER="$<TARGET_FILE:timerbisect>"
  TIMERBISECT_RANDOM_FLAKE="$<TARGET_FILE:driver_random_flake>"
  TIMERBISECT_WATCHDOG_EXAMPLE="$<TARGET_FILE:watchdog_spurious>"
  TIMERBISECT_CI_EXAMPLE_DIR="${PROJECT_SOURCE_DIR}/examples/ci_ctest"
  TIMERBISECT_CMAKE="${CMAKE_COMMAND}"
  TIMERBISECT_CTEST="${CMAKE_CTEST_COMMAND}"
  TIMERBISECT_C_COMPILER="${CMAKE_C_COMPILER}")
if(TIMERBISECT_SANITIZE)
  # ctest and the stand-alone project are not instrumented: a sanitized shim
  # cannot load into them.
  target_compile_definitions(driver_triage_test PRIVATE TIMERBISECT_SHIM_SANITIZED)
endif()
add_dependencies(driver_triage_test timerbisect timerbisect_shim driver_random_flake
  watchdog_spurious)

# The session (cmd/session.h) with a fake launcher: no executable, no process.
timerbisect_test(driver_session_test
  SOURCES driver_session_test.cc
  LIBS timerbisect_driver)
