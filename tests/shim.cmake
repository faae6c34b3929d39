# Shim tests: small C programs (tests/progs/shim_*.c, each built as
# prog_shim_*) run under libtimerbisect.so by GoogleTest binaries
# (tests/shim_*_test.cc, one per API family, each its own binary).
file(GLOB shim_prog_sources CONFIGURE_DEPENDS ${CMAKE_CURRENT_SOURCE_DIR}/progs/shim_*.c)
set(shim_prog_targets)
foreach(src ${shim_prog_sources})
  get_filename_component(name ${src} NAME_WE)
  add_executable(prog_${name} ${src})
  target_link_libraries(prog_${name} PRIVATE Threads::Threads)
  set_target_properties(prog_${name} PROPERTIES RUNTIME_OUTPUT_DIRECTORY ${CMAKE_CURRENT_BINARY_DIR}/progs)
  list(APPEND shim_prog_targets prog_${name})
endforeach()

add_library(timerbisect_shim_harness STATIC shim_harness.cc)
target_link_libraries(timerbisect_shim_harness PUBLIC timerbisect_protocol GTest::gtest)
if("thread" IN_LIST TIMERBISECT_SANITIZE)
  target_compile_definitions(timerbisect_shim_harness PUBLIC TIMERBISECT_TSAN=1)
endif()
if(TIMERBISECT_SANITIZE)
  target_compile_definitions(timerbisect_shim_harness PUBLIC TIMERBISECT_SANITIZED=1)
endif()
target_compile_definitions(timerbisect_shim_harness PUBLIC
  TIMERBISECT_PROGS_DIR="${CMAKE_CURRENT_BINARY_DIR}/progs"
  TIMERBISECT_SHIM_PATH="$<TARGET_FILE:timerbisect_shim>")

file(GLOB shim_test_sources CONFIGURE_DEPENDS ${CMAKE_CURRENT_SOURCE_DIR}/shim_*_test.cc)
foreach(src ${shim_test_sources})
  get_filename_component(name ${src} NAME_WE)
  timerbisect_test(${name} SOURCES ${src} LIBS timerbisect_shim_harness)
  add_dependencies(${name} timerbisect_shim ${shim_prog_targets})
endforeach()

# prog_shim_sites also creates timers inside a shared library.
add_library(shim_sitelib SHARED progs/sitelib/sitelib.c)
set_target_properties(shim_sitelib PROPERTIES LIBRARY_OUTPUT_DIRECTORY ${CMAKE_CURRENT_BINARY_DIR}/progs)
target_link_libraries(prog_shim_sites PRIVATE shim_sitelib)

# prog_shim_site_edges loads one of two copies of one library where the
# other was unloaded (dlclose scenario).
foreach(copy a b)
  add_library(shim_unload_${copy} SHARED progs/unloadlib/unloadlib.c)
  set_target_properties(shim_unload_${copy} PROPERTIES LIBRARY_OUTPUT_DIRECTORY ${CMAKE_CURRENT_BINARY_DIR}/progs)
  add_dependencies(prog_shim_site_edges shim_unload_${copy})
endforeach()
target_link_libraries(prog_shim_site_edges PRIVATE ${CMAKE_DL_LIBS})
