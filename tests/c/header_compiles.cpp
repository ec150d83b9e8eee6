// Compiled (not run) as C++11 with -Wall -Wextra -Werror -pedantic.
#include "mistralrs.h"

// The deprecation macro expands to something the compiler accepts on a declaration.
MISTRALRS_DEPRECATED("use mistralrs_header_compiles_cxx") int mistralrs_header_old_function_cxx();

int mistralrs_header_compiles_cxx() {
  mistralrs_request_event event = mistralrs_request_event();
  event.size = static_cast<uint32_t>(sizeof event);
  return MISTRALRS_OK + MISTRALRS_API_VERSION_MAJOR + (event.size == 0 ? 1 : 0);
}
