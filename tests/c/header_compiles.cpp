// Compiled (not run) as C++11 with -Wall -Wextra -Werror -pedantic.
#include "mistralrs.h"

int mistralrs_header_compiles_cxx() { return MISTRALRS_OK + MISTRALRS_API_VERSION_MAJOR; }
