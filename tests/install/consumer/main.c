/* The smallest outside user of an installed libmistralrs. */
#include <stdio.h>
#include <string.h>

#include <mistralrs.h>

int main(void) {
  mistralrs_runtime* rt = NULL;
  if (mistralrs_runtime_create(NULL, &rt) != MISTRALRS_OK) {
    fprintf(stderr, "runtime_create failed: %s\n", mistralrs_last_error());
    return 1;
  }
  printf("libmistralrs %s, %d threads\n", mistralrs_version(), (int)mistralrs_runtime_threads(rt));
  mistralrs_runtime_free(rt);
  return strlen(mistralrs_version()) > 0 ? 0 : 1;
}
