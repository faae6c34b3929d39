# Robustness tests ("Proven on real code"): the driver against targets that
# crash, hang, spew, close stderr, leave daemons or never use a timer
# (robust_driver_test), and the shim under fork in threads, closed
# descriptors, exec of a static binary, deep stacks, frames without unwind
# information, signal handlers, and bad environment values
# (robust_shim_test). The shim's programs (progs/shim_robust_*.c) are built
# by shim.cmake; their helpers are added here.

# The driver's target: built with the tree's sanitizers (a sanitized shim
# loads only into sanitized programs); it turns their fault handlers off
# itself, so each crash stays a plain signal.
add_executable(robust_target progs/robust_target.c)

timerbisect_test(robust_driver_test
  SOURCES robust_driver_test.cc
  LIBS timerbisect_report nlohmann_json::nlohmann_json)
add_dependencies(robust_driver_test timerbisect timerbisect_shim robust_target)
target_compile_definitions(robust_driver_test PRIVATE
  ROBUST_DRIVER="$<TARGET_FILE:timerbisect>"
  ROBUST_SHIM="$<TARGET_FILE:timerbisect_shim>"
  ROBUST_TARGET="$<TARGET_FILE:robust_target>")

# A timer created in a frame without unwind information or frame pointer.
set_source_files_properties(progs/robust_nounwind_leaf.c PROPERTIES COMPILE_OPTIONS
  "-fno-asynchronous-unwind-tables;-fno-unwind-tables;-fomit-frame-pointer;-mno-red-zone")
target_sources(prog_shim_robust_nounwind PRIVATE progs/robust_nounwind_leaf.c)
target_include_directories(prog_shim_robust_nounwind PRIVATE ${CMAKE_CURRENT_SOURCE_DIR}/progs)

# A static program that a process under the shim executes; no sanitizers,
# whose runtimes cannot be linked statically.
add_executable(robust_static_helper progs/robust_static_helper.c)
target_compile_options(robust_static_helper PRIVATE -fno-sanitize=all)
target_link_options(robust_static_helper PRIVATE -fno-sanitize=all -static)

timerbisect_test(robust_shim_test
  SOURCES robust_shim_test.cc
  LIBS timerbisect_shim_harness)
add_dependencies(robust_shim_test timerbisect_shim robust_static_helper ${shim_prog_targets})
target_compile_definitions(robust_shim_test PRIVATE
  ROBUST_STATIC_HELPER="$<TARGET_FILE:robust_static_helper>")
# The bad-value generator checks its regexes against re2 itself.
target_link_libraries(robust_shim_test PRIVATE PkgConfig::RE2)
