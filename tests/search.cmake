timerbisect_test(search_test
  SOURCES search_test.cc search_sim.cc
  LIBS timerbisect_search)

timerbisect_test(auto_search_test
  SOURCES auto_search_test.cc search_sim.cc
  LIBS timerbisect_search)
