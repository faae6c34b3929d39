# Event-loop libraries under the shim (issue "Proven on real code"):
# tests/progs/loop_<lib>.c/.cc exercise each library's timers in ways that
# are correct under any timer semantics, and loops_test runs them under
# every TIMERSEM mode; loops_e2e_test bisects examples/asio_deadline_units
# with the driver; third_party_glib_suite runs GLib's own installed tests
# under the shim (scripts/third_party_suite.sh). A library that is not
# installed is skipped with a message, and its tests report themselves
# skipped. Debian packages: libevent-dev, libglib2.0-dev, libuv1-dev,
# libboost-dev, libglib2.0-tests.
pkg_check_modules(LOOPS_LIBEVENT QUIET IMPORTED_TARGET libevent libevent_pthreads)
pkg_check_modules(LOOPS_GLIB QUIET IMPORTED_TARGET glib-2.0)
pkg_check_modules(LOOPS_LIBUV QUIET IMPORTED_TARGET libuv)
find_package(Boost 1.66 CONFIG QUIET)

set(loops_built)
set(loops_prog_targets)
# loops_prog(LIB SOURCE LIBS...): builds prog_loop_<lib> beside the shim's
# test programs.
function(loops_prog lib source)
  add_executable(prog_loop_${lib} ${source})
  target_compile_options(prog_loop_${lib} PRIVATE -g -fno-omit-frame-pointer)
  target_link_libraries(prog_loop_${lib} PRIVATE ${ARGN} Threads::Threads)
  set_target_properties(prog_loop_${lib} PROPERTIES RUNTIME_OUTPUT_DIRECTORY
                                                    ${CMAKE_CURRENT_BINARY_DIR}/progs)
  set(loops_built ${loops_built} ${lib} PARENT_SCOPE)
  set(loops_prog_targets ${loops_prog_targets} prog_loop_${lib} PARENT_SCOPE)
endfunction()

if(LOOPS_LIBEVENT_FOUND)
  loops_prog(libevent progs/loop_libevent.c PkgConfig::LOOPS_LIBEVENT)
else()
  message(STATUS "tests/loops: libevent not found (libevent-dev), its loop tests are skipped")
endif()
if(LOOPS_GLIB_FOUND)
  loops_prog(glib progs/loop_glib.c PkgConfig::LOOPS_GLIB)
else()
  message(STATUS "tests/loops: GLib not found (libglib2.0-dev), its loop tests are skipped")
endif()
if(LOOPS_LIBUV_FOUND)
  loops_prog(libuv progs/loop_libuv.c PkgConfig::LOOPS_LIBUV)
else()
  message(STATUS "tests/loops: libuv not found (libuv1-dev), its loop tests are skipped")
endif()
if(Boost_FOUND)
  loops_prog(asio progs/loop_asio.cc Boost::headers)
else()
  message(STATUS "tests/loops: Boost not found (libboost-dev), its loop tests are skipped")
endif()

timerbisect_test(loops_test SOURCES loops_test.cc LIBS timerbisect_shim_harness)
add_dependencies(loops_test timerbisect_shim)
if(loops_prog_targets)
  add_dependencies(loops_test ${loops_prog_targets})
endif()
list(JOIN loops_built "," loops_built_list)
target_compile_definitions(loops_test PRIVATE LOOPS_BUILT="${loops_built_list}")

timerbisect_test(loops_e2e_test SOURCES loops_e2e_test.cc LIBS nlohmann_json::nlohmann_json)
add_dependencies(loops_e2e_test timerbisect timerbisect_shim)
target_compile_definitions(loops_e2e_test PRIVATE
  LOOPS_DRIVER="$<TARGET_FILE:timerbisect>"
  LOOPS_SHIM="$<TARGET_FILE:timerbisect_shim>"
  LOOPS_EXAMPLES_SOURCE_DIR="${PROJECT_SOURCE_DIR}/examples")
if(TARGET asio_deadline_units)
  add_dependencies(loops_e2e_test asio_deadline_units)
  target_compile_definitions(loops_e2e_test PRIVATE
    LOOPS_ASIO_DEADLINE_UNITS="$<TARGET_FILE:asio_deadline_units>")
else()
  target_compile_definitions(loops_e2e_test PRIVATE LOOPS_ASIO_DEADLINE_UNITS="")
endif()

# GLib's own timer tests (libglib2.0-tests) without the shim, under the
# inert shim and under TIMERSEM=watch; exit 77 (skipped) without the
# package. Not in sanitizer builds: a sanitized shim cannot load into GLib's
# uninstrumented test binaries.
if(NOT TIMERBISECT_SANITIZE)
  add_test(NAME third_party_glib_suite
           COMMAND ${PROJECT_SOURCE_DIR}/scripts/third_party_suite.sh
                   --shim $<TARGET_FILE:timerbisect_shim>)
  set_tests_properties(third_party_glib_suite PROPERTIES SKIP_RETURN_CODE 77 TIMEOUT 900)
  # systemd's sd-event test (systemd-tests), the same way: about 30 s.
  add_test(NAME third_party_sdevent_suite
           COMMAND ${PROJECT_SOURCE_DIR}/scripts/third_party_suite.sh --suite sdevent
                   --shim $<TARGET_FILE:timerbisect_shim>)
  set_tests_properties(third_party_sdevent_suite PROPERTIES SKIP_RETURN_CODE 77 TIMEOUT 600)
endif()
