timerbisect_test(search_test
  SOURCES search_test.cc search_sim.cc
  LIBS timerbisect_search)
