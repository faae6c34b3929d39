# The driver's `sites` and `env` subcommands: the built `timerbisect` runs
# (for sites) the watch-mode test program under the built shim, and the tests
# check what it prints. Every path reaches the tests as a compile definition.
timerbisect_test(cli_sites_test
  SOURCES cli_sites_test.cc
  LIBS timerbisect_report nlohmann_json::nlohmann_json)
add_dependencies(cli_sites_test timerbisect timerbisect_shim prog_shim_watch)
target_compile_definitions(cli_sites_test PRIVATE
  CLI_DRIVER="$<TARGET_FILE:timerbisect>"
  CLI_WATCH_PROG="$<TARGET_FILE:prog_shim_watch>"
  CLI_WATCH_SOURCE="${CMAKE_CURRENT_SOURCE_DIR}/progs/shim_watch.c")

timerbisect_test(cli_env_test
  SOURCES cli_env_test.cc
  LIBS timerbisect_report timerbisect_protocol nlohmann_json::nlohmann_json)
add_dependencies(cli_env_test timerbisect timerbisect_shim)
target_compile_definitions(cli_env_test PRIVATE
  CLI_DRIVER="$<TARGET_FILE:timerbisect>"
  CLI_SHIM="$<TARGET_FILE:timerbisect_shim>")

# --timeout's parser and the progress line's wording (timerbisect_driver).
timerbisect_test(cli_timeout_flag_test
  SOURCES cli_timeout_flag_test.cc
  LIBS timerbisect_driver)
timerbisect_test(cli_progress_line_test
  SOURCES cli_progress_line_test.cc
  LIBS timerbisect_driver)
