/* Compiled (not run) as C99 and C11 with -Wall -Wextra -Werror -pedantic -Wstrict-prototypes. */
#include "mistralrs.h"

/* The deprecation macro expands to something the compiler accepts on a declaration. */
MISTRALRS_DEPRECATED("use mistralrs_header_compiles_c") int mistralrs_header_old_function(void);

int mistralrs_header_compiles_c(void);
int mistralrs_header_compiles_c(void) {
  mistralrs_request_event event;
  event.size = (uint32_t)sizeof event;
  return MISTRALRS_OK + MISTRALRS_API_VERSION_MAJOR + (int)(event.size == 0);
}
