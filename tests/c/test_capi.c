/* A plain C99 program against libmistralrs.so: status codes, last-error messages, NULL
 * handling, free(NULL), version, runtime options and the per-runtime log callback.
 * Prints "N passed, N failed" and exits non-zero on any failure. */
#include <stdio.h>
#include <string.h>

#include "mistralrs.h"

static int g_passed = 0, g_failed = 0;

#define CHECK(cond)                                                   \
  do {                                                                \
    if (cond) {                                                       \
      ++g_passed;                                                     \
    } else {                                                          \
      ++g_failed;                                                     \
      fprintf(stderr, "%s:%d: CHECK failed: %s\n", __FILE__, __LINE__, #cond); \
    }                                                                 \
  } while (0)

typedef struct {
  int calls;
  int last_level;
  char last_message[256];
} log_capture;

static void on_log(int32_t level, const char* message, void* user_data) {
  log_capture* cap = (log_capture*)user_data;
  cap->calls++;
  cap->last_level = level;
  strncpy(cap->last_message, message, sizeof(cap->last_message) - 1);
}

static void test_version(void) {
  int32_t major = -1, minor = -1, patch = -1;
  char expected[64];
  mistralrs_version_numbers(&major, &minor, &patch);
  CHECK(major == MISTRALRS_API_VERSION_MAJOR);
  CHECK(minor == MISTRALRS_API_VERSION_MINOR);
  CHECK(patch == MISTRALRS_API_VERSION_PATCH);
  snprintf(expected, sizeof expected, "%d.%d.%d", (int)major, (int)minor, (int)patch);
  CHECK(strcmp(mistralrs_version(), expected) == 0);
  mistralrs_version_numbers(NULL, NULL, NULL); /* must not crash */
}

static void test_status_strings(void) {
  CHECK(strcmp(mistralrs_status_string(MISTRALRS_OK), "ok") == 0);
  CHECK(strcmp(mistralrs_status_string(MISTRALRS_ERR_INVALID_ARGUMENT), "invalid argument") == 0);
  CHECK(strcmp(mistralrs_status_string(MISTRALRS_ERR_BUFFER_TOO_SMALL), "buffer too small") == 0);
  CHECK(strcmp(mistralrs_status_string(MISTRALRS_ERR_INTERNAL), "internal error") == 0);
  CHECK(strcmp(mistralrs_status_string(-5), "unknown status") == 0);
  CHECK(strcmp(mistralrs_status_string(9999), "unknown status") == 0);
}

static void test_null_arguments(void) {
  mistralrs_runtime_options* opts = NULL;
  CHECK(mistralrs_runtime_create(NULL, NULL) == MISTRALRS_ERR_INVALID_ARGUMENT);
  CHECK(strstr(mistralrs_last_error(), "mistralrs_runtime_create") != NULL);
  CHECK(strstr(mistralrs_last_error(), "out is NULL") != NULL);
  CHECK(mistralrs_runtime_options_create(NULL) == MISTRALRS_ERR_INVALID_ARGUMENT);
  CHECK(mistralrs_runtime_options_set_threads(NULL, 2) == MISTRALRS_ERR_INVALID_ARGUMENT);
  CHECK(strstr(mistralrs_last_error(), "options is NULL") != NULL);
  CHECK(mistralrs_runtime_options_set_log_callback(NULL, on_log, NULL, 0) == MISTRALRS_ERR_INVALID_ARGUMENT);
  CHECK(mistralrs_runtime_threads(NULL) < 0);
  CHECK(mistralrs_runtime_cuda_devices(NULL) == 0);

  CHECK(mistralrs_runtime_options_create(&opts) == MISTRALRS_OK);
  CHECK(mistralrs_runtime_options_set_threads(opts, -1) == MISTRALRS_ERR_INVALID_ARGUMENT);
  CHECK(strstr(mistralrs_last_error(), "got -1") != NULL);
  CHECK(mistralrs_runtime_options_set_log_callback(opts, on_log, NULL, 7) == MISTRALRS_ERR_INVALID_ARGUMENT);
  mistralrs_runtime_options_free(opts);

  /* free(NULL) is a no-op everywhere */
  mistralrs_runtime_free(NULL);
  mistralrs_runtime_options_free(NULL);
  mistralrs_string_free(NULL);
}

static void test_runtime_with_options(void) {
  mistralrs_runtime_options* opts = NULL;
  mistralrs_runtime* rt = NULL;
  log_capture cap;
  memset(&cap, 0, sizeof cap);
  CHECK(mistralrs_runtime_options_create(&opts) == MISTRALRS_OK);
  CHECK(mistralrs_runtime_options_set_threads(opts, 2) == MISTRALRS_OK);
  CHECK(mistralrs_runtime_options_set_log_callback(opts, on_log, &cap, MISTRALRS_LOG_INFO) == MISTRALRS_OK);
  CHECK(mistralrs_runtime_create(opts, &rt) == MISTRALRS_OK);
  mistralrs_runtime_options_free(opts); /* the runtime copied them */
  CHECK(rt != NULL);
  CHECK(mistralrs_runtime_threads(rt) == 2);
  CHECK(mistralrs_runtime_cuda_devices(rt) >= 0);
  CHECK(cap.calls >= 1); /* creation logs one info line through our callback */
  CHECK(cap.last_level == MISTRALRS_LOG_INFO);
  CHECK(strstr(cap.last_message, "runtime created") != NULL);
  mistralrs_runtime_free(rt);
}

/* KV budget and prefix-cache options, from C: fixed-width out parameters, NULL handling. */
static void test_cache_options(void) {
  mistralrs_model_options* mo = NULL;
  int64_t lookups = -1;
  CHECK(MISTRALRS_CACHE_KV != MISTRALRS_CACHE_NONE && MISTRALRS_CACHE_NONE != MISTRALRS_CACHE_PREFIX);
  CHECK(mistralrs_model_options_create(&mo) == MISTRALRS_OK);
  CHECK(mistralrs_model_options_set_kv_budget(mo, (int64_t)1 << 30) == MISTRALRS_OK);
  CHECK(mistralrs_model_options_set_kv_budget(mo, -1) == MISTRALRS_ERR_INVALID_ARGUMENT);
  CHECK(mistralrs_model_options_set_prefix_cache(mo, 1) == MISTRALRS_OK);
  CHECK(mistralrs_model_options_set_prefix_cache(NULL, 1) == MISTRALRS_ERR_INVALID_ARGUMENT);
  mistralrs_model_options_free(mo);
  CHECK(mistralrs_model_cache_strategy(NULL) < 0);
  CHECK(mistralrs_prefix_cache_stats(NULL, &lookups, NULL, NULL, NULL, NULL) == MISTRALRS_ERR_INVALID_ARGUMENT);
  CHECK(lookups == -1);
  CHECK(mistralrs_model_kv_usage(NULL, NULL, NULL) == MISTRALRS_ERR_INVALID_ARGUMENT);
}

static void test_default_runtime(void) {
  mistralrs_runtime* rt = NULL;
  CHECK(mistralrs_runtime_create(NULL, &rt) == MISTRALRS_OK);
  CHECK(mistralrs_runtime_threads(rt) >= 1);
  mistralrs_runtime_free(rt);
}

int main(void) {
  test_version();
  test_status_strings();
  test_null_arguments();
  test_runtime_with_options();
  test_default_runtime();
  test_cache_options();
  printf("%d passed, %d failed\n", g_passed, g_failed);
  return g_failed == 0 ? 0 : 1;
}
