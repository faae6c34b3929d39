#include "search/agreement.h"

#include <algorithm>

namespace timerbisect::search {

Agreement CheckAgreement(const BatchProbe& run, int parallelism, bool first_failed, int cap,
                         const std::function<void(const ProgressEvent&)>& progress) {
  Agreement a;
  a.n_runs = a.y_runs = 1;
  a.n_failures = a.y_failures = first_failed ? 1 : 0;
  const int per_batch = std::max(1, parallelism / 2);
  while (!a.flaky && a.n_runs < cap) {
    int each = std::min(per_batch, cap - a.n_runs);
    std::vector<std::string> patterns;
    for (int i = 0; i < each; ++i) {
      patterns.push_back("n");
      patterns.push_back("y");
    }
    std::vector<ProbeResult> results = run(patterns);
    for (std::size_t i = 0; i < results.size() && i < patterns.size(); ++i) {
      bool n = patterns[i] == "n";
      (n ? a.n_runs : a.y_runs) += 1;
      (n ? a.n_failures : a.y_failures) += results[i].failed ? 1 : 0;
      a.flaky |= results[i].failed != first_failed;
      ++a.runs;
      if (progress) {
        progress({a.runs, patterns[i], results[i].failed, 0, 0, true, results[i].reused,
                  results[i].replayed});
      }
    }
    if (results.size() < patterns.size()) {
      a.interrupted = true;  // the probe stopped
      break;
    }
  }
  return a;
}

}  // namespace timerbisect::search
