timerbisect_test(stats_test
  SOURCES stats_test.cc
  LIBS timerbisect_stats)

timerbisect_test(adaptive_search_test
  SOURCES adaptive_search_test.cc search_sim.cc
  LIBS timerbisect_search)
