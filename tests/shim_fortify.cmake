# The poll program built a second time as a _FORTIFY_SOURCE build, whose
# poll and ppoll calls become __poll_chk and __ppoll_chk (glibc's
# <bits/poll2.h> needs optimization to see the buffer size).
# tests/shim_poll_test.cc checks with nm that it references them.
add_executable(prog_shim_poll_fortify ${CMAKE_CURRENT_SOURCE_DIR}/progs/shim_poll.c)
target_compile_options(prog_shim_poll_fortify PRIVATE -O2 -U_FORTIFY_SOURCE -D_FORTIFY_SOURCE=2)
target_link_libraries(prog_shim_poll_fortify PRIVATE Threads::Threads)
set_target_properties(prog_shim_poll_fortify PROPERTIES
  RUNTIME_OUTPUT_DIRECTORY ${CMAKE_CURRENT_BINARY_DIR}/progs)
# tests/CMakeLists.txt includes the *.cmake files in sorted order, so
# shim.cmake has defined the test target by now.
if(TARGET shim_poll_test)
  add_dependencies(shim_poll_test prog_shim_poll_fortify)
endif()
