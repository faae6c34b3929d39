# Tests of the driver binary itself (journal/resume, interruption): they run
# build/cmd/timerbisect on the examples.
timerbisect_test(driver_journal_test
  SOURCES driver_journal_test.cc
  LIBS timerbisect_run)
target_compile_definitions(driver_journal_test PRIVATE
  TIMERBISECT_DRIVER="$<TARGET_FILE:timerbisect>"
  TIMERBISECT_DRAIN_EXAMPLE="$<TARGET_FILE:drain_after_disarm>")
add_dependencies(driver_journal_test timerbisect drain_after_disarm timerbisect_shim)
