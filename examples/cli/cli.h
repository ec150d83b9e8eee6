#pragma once
#include <cstdint>
#include <string>

namespace mistralrs_cli {

struct DemoOptions {
  int max_threads = 2;  // the op benchmark runs with 1..max_threads threads
  bool quick = false;   // smaller arrays and fewer repetitions (for tests)
};

struct RunOptions {
  std::string model;
  std::string prompt;
  int n_predict = 64;
  float temperature = 0.0f;
  uint64_t seed = 0;
  int threads = 0;  // 0 = all hardware threads
  std::string device = "cpu";  // "cpu", "cuda" or "cuda:N"
};

struct BenchOptions {
  std::string model;
  int n_prompt = 512;
  int n_gen = 128;
  int threads = 0;
  int repetitions = 5;
  std::string device = "cpu";
};

int run_demo(const DemoOptions& opts);
int run_generate(const RunOptions& opts);
int run_bench(const BenchOptions& opts);

}  // namespace mistralrs_cli
