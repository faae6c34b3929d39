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
# A Boost.Asio program (a header-only timer queue), "" without Boost.
if(TARGET asio_deadline_units)
  add_dependencies(cli_sites_test asio_deadline_units)
  target_compile_definitions(cli_sites_test PRIVATE
    CLI_ASIO_PROG="$<TARGET_FILE:asio_deadline_units>")
else()
  target_compile_definitions(cli_sites_test PRIVATE CLI_ASIO_PROG="")
endif()

timerbisect_test(cli_env_test
  SOURCES cli_env_test.cc
  LIBS timerbisect_report timerbisect_protocol nlohmann_json::nlohmann_json)
add_dependencies(cli_env_test timerbisect timerbisect_shim)
target_compile_definitions(cli_env_test PRIVATE
  CLI_DRIVER="$<TARGET_FILE:timerbisect>"
  CLI_SHIM="$<TARGET_FILE:timerbisect_shim>")

# --timeout's parser, compiled from cmd/ (it has no library of its own).
timerbisect_test(cli_timeout_flag_test
  SOURCES cli_timeout_flag_test.cc ${PROJECT_SOURCE_DIR}/cmd/timeout_flag.cc)
target_include_directories(cli_timeout_flag_test PRIVATE ${PROJECT_SOURCE_DIR}/cmd)

# The progress line's wording, compiled from cmd/.
timerbisect_test(cli_progress_line_test
  SOURCES cli_progress_line_test.cc ${PROJECT_SOURCE_DIR}/cmd/progress_line.cc)
target_include_directories(cli_progress_line_test PRIVATE ${PROJECT_SOURCE_DIR}/cmd)
target_link_libraries(cli_progress_line_test PRIVATE timerbisect_search)
