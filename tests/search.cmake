timerbisect_test(search_test
  SOURCES search_test.cc search_sim.cc
  LIBS timerbisect_search)

timerbisect_test(posterior_test
  SOURCES posterior_test.cc
  LIBS timerbisect_search)

timerbisect_test(subset_posterior_test
  SOURCES subset_posterior_test.cc
  LIBS timerbisect_search)
