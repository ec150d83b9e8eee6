// mistralrs: the command-line front end.
//   mistralrs run -m PATH -p PROMPT [-n N] [--temp T] [--seed S] [-t THREADS] [--device D]
//   mistralrs bench -m PATH [-p 512] [-n 128] [-r REPS] [-t THREADS] [--device D]
//   mistralrs demo [-t THREADS] [--quick]
//   mistralrs version
#include <cstdio>
#include <cstring>
#include <string>

#include "args.h"
#include "cli.h"
#include "mistralrs.h"

namespace {

using namespace mistralrs_cli;

void usage(FILE* out) {
  std::fprintf(out,
               "usage: mistralrs <command> [options]\n"
               "  run -m PATH -p PROMPT [-n N] [--temp T] [--seed S] [-t THREADS] [--device D]\n"
               "        generate text; PATH is a .gguf file or a Hugging Face model directory\n"
               "  bench -m PATH [-p 512] [-n 128] [-r 5] [-t THREADS] [--device D]\n"
               "        prefill and decode tokens/s beside the memory bandwidth\n"
               "  --device D: cpu (default), cuda or cuda:N\n"
               "  demo [-t THREADS] [--quick]\n"
               "        the machine's memory bandwidth and the op benchmark\n"
               "  version\n");
}

// Walks argv; `handle` consumes one option (and maybe its value), returns false on error.
template <class Fn>
bool parse(int argc, char** argv, Fn&& handle) {
  for (int i = 2; i < argc; ++i) {
    const char* opt = argv[i];
    const char* val = i + 1 < argc ? argv[i + 1] : nullptr;
    int used = handle(opt, val);
    if (used < 0) {
      if (used == -1) std::fprintf(stderr, "mistralrs: unknown or incomplete option '%s'\n", opt);
      return false;
    }
    i += used;
  }
  return true;
}

int cmd_run(int argc, char** argv) {
  RunOptions o;
  long v = 0;
  bool ok = parse(argc, argv, [&](const char* opt, const char* val) -> int {
    const std::string s = opt;
    if (!val) return -1;
    if (s == "-m") o.model = val;
    else if (s == "-p") o.prompt = val;
    else if (s == "-n") { if (!parse_long("-n", val, 0, 1 << 20, &v)) return -2; o.n_predict = static_cast<int>(v); }
    else if (s == "-t") { if (!parse_long("-t", val, 0, 4096, &v)) return -2; o.threads = static_cast<int>(v); }
    else if (s == "--seed") { if (!parse_long("--seed", val, 0, 0x7fffffffL, &v)) return -2; o.seed = static_cast<uint64_t>(v); }
    else if (s == "--temp") { if (!parse_float("--temp", val, &o.temperature)) return -2; }
    else if (s == "--device") o.device = val;
    else return -1;
    return 1;
  });
  if (!ok || o.model.empty()) {
    usage(stderr);
    return 2;
  }
  return run_generate(o);
}

int cmd_bench(int argc, char** argv) {
  BenchOptions o;
  long v = 0;
  bool ok = parse(argc, argv, [&](const char* opt, const char* val) -> int {
    const std::string s = opt;
    if (!val) return -1;
    if (s == "-m") o.model = val;
    else if (s == "-p") { if (!parse_long("-p", val, 1, 1 << 20, &v)) return -2; o.n_prompt = static_cast<int>(v); }
    else if (s == "-n") { if (!parse_long("-n", val, 1, 1 << 20, &v)) return -2; o.n_gen = static_cast<int>(v); }
    else if (s == "-r") { if (!parse_long("-r", val, 1, 1000, &v)) return -2; o.repetitions = static_cast<int>(v); }
    else if (s == "-t") { if (!parse_long("-t", val, 0, 4096, &v)) return -2; o.threads = static_cast<int>(v); }
    else if (s == "--device") o.device = val;
    else return -1;
    return 1;
  });
  if (!ok || o.model.empty()) {
    usage(stderr);
    return 2;
  }
  return run_bench(o);
}

int cmd_demo(int argc, char** argv) {
  DemoOptions o;
  long v = 0;
  bool ok = parse(argc, argv, [&](const char* opt, const char* val) -> int {
    const std::string s = opt;
    if (s == "--quick") { o.quick = true; return 0; }
    if (s == "-t" && val) { if (!parse_long("-t", val, 1, 4096, &v)) return -2; o.max_threads = static_cast<int>(v); return 1; }
    return -1;
  });
  if (!ok) {
    usage(stderr);
    return 2;
  }
  return run_demo(o);
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    usage(stderr);
    return 2;
  }
  const std::string cmd = argv[1];
  if (cmd == "version" || cmd == "--version") {
    std::printf("libmistralrs %s\n", mistralrs_version());
    return 0;
  }
  if (cmd == "help" || cmd == "--help" || cmd == "-h") {
    usage(stdout);
    return 0;
  }
  if (cmd == "run") return cmd_run(argc, argv);
  if (cmd == "bench") return cmd_bench(argc, argv);
  if (cmd == "demo") return cmd_demo(argc, argv);
  std::fprintf(stderr, "mistralrs: unknown command '%s'\n", cmd.c_str());
  usage(stderr);
  return 2;
}
