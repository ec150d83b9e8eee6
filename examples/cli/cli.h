#pragma once

namespace mistralrs_cli {

struct DemoOptions {
  int max_threads = 2;  // the op benchmark runs with 1..max_threads threads
  bool quick = false;   // smaller arrays and fewer repetitions (for tests)
};

int run_demo(const DemoOptions& opts);

}  // namespace mistralrs_cli
