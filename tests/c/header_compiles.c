/* Compiled (not run) as C99 and C11 with -Wall -Wextra -Werror -pedantic -Wstrict-prototypes. */
#include "mistralrs.h"

int mistralrs_header_compiles_c(void);
int mistralrs_header_compiles_c(void) { return MISTRALRS_OK + MISTRALRS_API_VERSION_MAJOR; }
