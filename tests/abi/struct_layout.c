/*
 * Prints the size of every public struct of mistralrs.h and the offset and size of each of
 * its fields, one line each, in the format of tests/abi/struct_layout.txt; the abi test
 * compares the two. A field that moves or changes size breaks programs built against an
 * older header, so the table only ever gains lines at the end of a struct.
 */
#include <mistralrs.h>

#include <stddef.h>
#include <stdio.h>

#define STRUCT(s) printf("%s sizeof %u\n", #s, (unsigned)sizeof(s))
#define FIELD(s, f) printf("%s.%s offset %u size %u\n", #s, #f, (unsigned)offsetof(s, f), (unsigned)sizeof(((s*)0)->f))

int main(void) {
  STRUCT(mistralrs_request_event);
  FIELD(mistralrs_request_event, size);
  FIELD(mistralrs_request_event, type);
  FIELD(mistralrs_request_event, token);
  FIELD(mistralrs_request_event, finish_reason);
  FIELD(mistralrs_request_event, status);
  FIELD(mistralrs_request_event, text_len);
  FIELD(mistralrs_request_event, text);
  return 0;
}
