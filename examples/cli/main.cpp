// mistralrs: the command-line front end (demo for now).
#include <cstdio>

#include "mistralrs.h"

int main() {
  std::printf("libmistralrs %s\n", mistralrs_version());
  return 0;
}
