# The C++ program of the timed-wait shim tests (tests/shim.cmake builds only
# tests/progs/shim_*.c): std::condition_variable, std::timed_mutex,
# std::future and std::counting_semaphore under the shim.
add_executable(prog_shim_cxxwait ${CMAKE_CURRENT_SOURCE_DIR}/progs/shim_cxxwait.cc)
target_link_libraries(prog_shim_cxxwait PRIVATE Threads::Threads)
set_target_properties(prog_shim_cxxwait PROPERTIES
  RUNTIME_OUTPUT_DIRECTORY ${CMAKE_CURRENT_BINARY_DIR}/progs)
# shim.cmake (included before this file: the glob is sorted) defines the test.
add_dependencies(shim_cond_test prog_shim_cxxwait)
add_dependencies(shim_bindings_test prog_shim_cxxwait)
