// mistralrs: the command-line front end.
//   mistralrs demo [-t THREADS]   version, measured memory bandwidth, op benchmark
//   mistralrs version
// Text generation commands (run, bench -m) arrive with the text pipeline.
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>

#include "cli.h"
#include "mistralrs.h"

namespace {

void usage(FILE* out) {
  std::fprintf(out,
               "usage: mistralrs <command> [options]\n"
               "commands:\n"
               "  demo [-t THREADS] [--quick]  print the version, the machine's memory bandwidth\n"
               "                               and the op benchmark\n"
               "  version                      print the library version\n");
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
  if (cmd == "demo") {
    mistralrs_cli::DemoOptions opts;
    for (int i = 2; i < argc; ++i) {
      if (std::strcmp(argv[i], "-t") == 0 && i + 1 < argc) {
        opts.max_threads = std::atoi(argv[++i]);
        if (opts.max_threads < 1) {
          std::fprintf(stderr, "mistralrs: -t needs a positive thread count\n");
          return 2;
        }
      } else if (std::strcmp(argv[i], "--quick") == 0) {
        opts.quick = true;
      } else {
        std::fprintf(stderr, "mistralrs: unknown option '%s'\n", argv[i]);
        usage(stderr);
        return 2;
      }
    }
    return mistralrs_cli::run_demo(opts);
  }
  std::fprintf(stderr, "mistralrs: unknown command '%s'\n", cmd.c_str());
  usage(stderr);
  return 2;
}
