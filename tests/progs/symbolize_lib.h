// The shared library the symbolize chain program links.
#ifndef TIMERBISECT_TESTS_PROGS_SYMBOLIZE_LIB_H_
#define TIMERBISECT_TESTS_PROGS_SYMBOLIZE_LIB_H_

void symbolize_lib_entry(void);

#endif  // TIMERBISECT_TESTS_PROGS_SYMBOLIZE_LIB_H_
