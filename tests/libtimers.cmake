# Library timers (issue 14): the shim's interceptors of libuv, GLib,
# libevent and sd-event timer APIs (shim/lib_*.cc).
#   shim_libtimers_test  runs tests/progs/lib_<lib>.c (built as prog_lib_<lib>,
#                        linked with the library) under the shim and checks
#                        old, new and native behaviour per library;
#   libtimers_e2e_test   bisects examples/<lib>_late_timer with the driver.
# A library that is not installed is skipped with a message, and its tests
# report themselves skipped. Debian packages: libuv1-dev, libglib2.0-dev,
# libevent-dev, libsystemd-dev.
pkg_check_modules(LIBTIMERS_LIBUV QUIET IMPORTED_TARGET libuv)
pkg_check_modules(LIBTIMERS_GLIB QUIET IMPORTED_TARGET glib-2.0)
pkg_check_modules(LIBTIMERS_LIBEVENT QUIET IMPORTED_TARGET libevent)
pkg_check_modules(LIBTIMERS_LIBSYSTEMD QUIET IMPORTED_TARGET libsystemd)

set(libtimers_built)
set(libtimers_prog_targets)
# libtimers_prog(LIB LIBS...): builds prog_lib_<lib> from progs/lib_<lib>.c
# beside the shim's test programs (named lib_*.c, not shim_*.c, so that
# tests/shim.cmake's glob, which links Threads only, leaves them alone).
function(libtimers_prog lib)
  add_executable(prog_lib_${lib} progs/lib_${lib}.c)
  target_compile_options(prog_lib_${lib} PRIVATE -g -fno-omit-frame-pointer)
  target_include_directories(prog_lib_${lib} PRIVATE ${CMAKE_CURRENT_SOURCE_DIR}/progs)
  target_link_libraries(prog_lib_${lib} PRIVATE ${ARGN} Threads::Threads)
  set_target_properties(prog_lib_${lib} PROPERTIES RUNTIME_OUTPUT_DIRECTORY
                                                   ${CMAKE_CURRENT_BINARY_DIR}/progs)
  set(libtimers_built ${libtimers_built} ${lib} PARENT_SCOPE)
  set(libtimers_prog_targets ${libtimers_prog_targets} prog_lib_${lib} PARENT_SCOPE)
endfunction()

if(LIBTIMERS_LIBUV_FOUND)
  libtimers_prog(uv PkgConfig::LIBTIMERS_LIBUV)
  # A libuv plugin the program dlopens RTLD_LOCAL: the shim finds libuv's
  # real functions in a library loaded after it initialized.
  add_library(lib_uv_plugin SHARED progs/lib_plugin/uv_plugin.c)
  target_link_libraries(lib_uv_plugin PRIVATE PkgConfig::LIBTIMERS_LIBUV)
  set_target_properties(lib_uv_plugin PROPERTIES LIBRARY_OUTPUT_DIRECTORY
                                                 ${CMAKE_CURRENT_BINARY_DIR}/progs)
  add_executable(prog_lib_dlopen progs/lib_dlopen.c)
  target_link_libraries(prog_lib_dlopen PRIVATE ${CMAKE_DL_LIBS})
  set_target_properties(prog_lib_dlopen PROPERTIES RUNTIME_OUTPUT_DIRECTORY
                                                   ${CMAKE_CURRENT_BINARY_DIR}/progs)
  add_dependencies(prog_lib_dlopen lib_uv_plugin)
  list(APPEND libtimers_prog_targets prog_lib_dlopen)
else()
  message(STATUS "tests/libtimers: libuv not found (libuv1-dev), its tests are skipped")
endif()
if(LIBTIMERS_GLIB_FOUND AND EXISTS ${CMAKE_CURRENT_SOURCE_DIR}/progs/lib_glib.c)
  libtimers_prog(glib PkgConfig::LIBTIMERS_GLIB)
else()
  message(STATUS "tests/libtimers: GLib not found (libglib2.0-dev), its tests are skipped")
endif()
if(LIBTIMERS_LIBEVENT_FOUND AND EXISTS ${CMAKE_CURRENT_SOURCE_DIR}/progs/lib_event.c)
  libtimers_prog(event PkgConfig::LIBTIMERS_LIBEVENT)
else()
  message(STATUS "tests/libtimers: libevent not found (libevent-dev), its tests are skipped")
endif()
if(LIBTIMERS_LIBSYSTEMD_FOUND AND EXISTS ${CMAKE_CURRENT_SOURCE_DIR}/progs/lib_sdevent.c)
  libtimers_prog(sdevent PkgConfig::LIBTIMERS_LIBSYSTEMD)
else()
  message(STATUS "tests/libtimers: libsystemd not found (libsystemd-dev), its tests are skipped")
endif()
list(JOIN libtimers_built "," libtimers_built_list)

# shim_libtimers_test itself is made by tests/shim.cmake's glob of
# shim_*_test.cc; it also needs the programs above.
if(libtimers_prog_targets)
  add_dependencies(shim_libtimers_test ${libtimers_prog_targets})
endif()
target_compile_definitions(shim_libtimers_test PRIVATE LIBTIMERS_BUILT="${libtimers_built_list}")

timerbisect_test(libtimers_e2e_test SOURCES libtimers_e2e_test.cc
                 LIBS nlohmann_json::nlohmann_json)
add_dependencies(libtimers_e2e_test timerbisect timerbisect_shim)
target_compile_definitions(libtimers_e2e_test PRIVATE
  LIBTIMERS_DRIVER="$<TARGET_FILE:timerbisect>"
  LIBTIMERS_SHIM="$<TARGET_FILE:timerbisect_shim>"
  LIBTIMERS_EXAMPLES_SOURCE_DIR="${PROJECT_SOURCE_DIR}/examples")
# Each example's path reaches the test as LIBTIMERS_<NAME> ("" when its
# library is not installed and the example was skipped).
foreach(example uv_late_timer glib_late_timer event_late_timer sd_late_timer)
  string(TOUPPER "${example}" upper)
  if(TARGET ${example})
    add_dependencies(libtimers_e2e_test ${example})
    target_compile_definitions(libtimers_e2e_test PRIVATE
      LIBTIMERS_${upper}="$<TARGET_FILE:${example}>")
  else()
    target_compile_definitions(libtimers_e2e_test PRIVATE LIBTIMERS_${upper}="")
  endif()
endforeach()
