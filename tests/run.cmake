# lib/run: real processes. The helper programs in progs/run_*.c are plain C
# and built without sanitizers, so a raised SIGSEGV stays a SIGSEGV rather
# than becoming a sanitizer's report and exit 1.
set(run_test_progs crash spew forker escape fake_go_section fake_go_note)
foreach(prog ${run_test_progs})
  add_executable(run_${prog} progs/run_${prog}.c)
  target_compile_options(run_${prog} PRIVATE -fno-sanitize=all)
  target_link_options(run_${prog} PRIVATE -fno-sanitize=all)
endforeach()

# Static targets, which LD_PRELOAD cannot reach (glibc's libc.a and rcrt1.o).
add_executable(run_static progs/run_static.c)
target_compile_options(run_static PRIVATE -fno-sanitize=all)
target_link_options(run_static PRIVATE -fno-sanitize=all -static)
add_executable(run_static_pie progs/run_static.c)
target_compile_options(run_static_pie PRIVATE -fno-sanitize=all -fPIE)
target_link_options(run_static_pie PRIVATE -fno-sanitize=all -static-pie)

timerbisect_test(run_test
  SOURCES run_test.cc
  LIBS timerbisect_run)
# Each helper's path reaches the test as RUN_<NAME>, e.g. RUN_CRASH.
foreach(prog ${run_test_progs} static static_pie)
  add_dependencies(run_test run_${prog})
  string(TOUPPER "${prog}" upper)
  target_compile_definitions(run_test PRIVATE RUN_${upper}="$<TARGET_FILE:run_${prog}>")
endforeach()
