/* Every exported function called with NULL handles and NULL out-pointers: each returns an
 * error (or, for the functions documented to do so, a negative count, NULL or nothing) and
 * none crashes. When a function is added to the header, add it here (the ABI test lists
 * them all). Prints "N passed, N failed". */
#include <stdio.h>
#include <string.h>

#include "mistralrs.h"

static int g_passed = 0, g_failed = 0;

static void check(int ok, const char* what, int line) {
  if (ok) {
    ++g_passed;
  } else {
    ++g_failed;
    fprintf(stderr, "line %d: %s\n", line, what);
  }
}

/* An error status with a message naming the function. */
#define ERR(call) check((call) == MISTRALRS_ERR_INVALID_ARGUMENT && strlen(mistralrs_last_error()) > 0, #call, __LINE__)
#define NEG(call) check((call) < 0, #call, __LINE__)

static void sweep_core_and_runtime(void) {
  check(mistralrs_version() != NULL, "version", __LINE__);
  mistralrs_version_numbers(NULL, NULL, NULL);
  check(mistralrs_status_string(-1) != NULL, "status_string", __LINE__);
  check(mistralrs_last_error() != NULL, "last_error", __LINE__);
  mistralrs_string_free(NULL);
  ERR(mistralrs_runtime_options_create(NULL));
  mistralrs_runtime_options_free(NULL);
  ERR(mistralrs_runtime_options_set_threads(NULL, 1));
  ERR(mistralrs_runtime_options_set_log_callback(NULL, NULL, NULL, 0));
  ERR(mistralrs_runtime_create(NULL, NULL));
  mistralrs_runtime_free(NULL);
  NEG(mistralrs_runtime_threads(NULL));
  check(mistralrs_runtime_cuda_devices(NULL) == 0, "cuda_devices(NULL) == 0", __LINE__);
}

static void sweep_model_and_tokenizer(void) {
  mistralrs_model* model = NULL;
  int32_t ids[4];
  char text[8];
  size_t n = 0;
  int64_t a = 0, b = 0, c = 0, d = 0, e = 0;
  ERR(mistralrs_model_options_create(NULL));
  mistralrs_model_options_free(NULL);
  ERR(mistralrs_model_options_set_kv_budget(NULL, 0));
  ERR(mistralrs_model_options_set_device(NULL, "cpu"));
  ERR(mistralrs_model_options_set_prefix_cache(NULL, 1));
  ERR(mistralrs_model_load(NULL, "x.gguf", NULL, &model));
  check(model == NULL, "model stays NULL", __LINE__);
  ERR(mistralrs_model_load(NULL, NULL, NULL, NULL));
  mistralrs_model_free(NULL);
  NEG(mistralrs_model_vocab_size(NULL));
  NEG(mistralrs_model_context_length(NULL));
  check(mistralrs_model_tokenizer(NULL) == NULL, "model_tokenizer(NULL)", __LINE__);
  NEG(mistralrs_model_cache_strategy(NULL));
  ERR(mistralrs_prefix_cache_stats(NULL, &a, &b, &c, &d, &e));
  ERR(mistralrs_model_kv_usage(NULL, &a, &b));
  ERR(mistralrs_tokenize(NULL, "x", 1, 0, ids, 4, &n));
  ERR(mistralrs_detokenize(NULL, ids, 0, 0, text, sizeof text, &n));
  {
    mistralrs_tokenizer* tok = NULL;
    char* out = NULL;
    ERR(mistralrs_tokenizer_load(NULL, &tok));
    check(tok == NULL, "tokenizer stays NULL", __LINE__);
    ERR(mistralrs_tokenizer_load("x.json", NULL));
    ERR(mistralrs_tokenizer_load_from_memory(NULL, 4, NULL, &tok));
    ERR(mistralrs_tokenizer_load_from_memory("GGUF", 4, NULL, NULL));
    ERR(mistralrs_tokenizer_load_from_memory("{}", 0, NULL, &tok));
    ERR(mistralrs_tokenizer_load_from_memory("GGUF", 4, NULL, &tok));
    ERR(mistralrs_tokenizer_load_from_memory("{\"model\": 1}", 12, NULL, &tok));
    ERR(mistralrs_tokenizer_load_from_memory("{}", 2, "{bad", &tok));
    check(tok == NULL, "tokenizer stays NULL", __LINE__);
    check(mistralrs_tokenizer_load("/nonexistent/tokenizer.json", &tok) == MISTRALRS_ERR_IO,
          "tokenizer_load(missing file) is an I/O error", __LINE__);
    check(tok == NULL, "tokenizer stays NULL after a failed load", __LINE__);
    mistralrs_tokenizer_free(NULL);
    ERR(mistralrs_chat_template_render(NULL, "{}", 0, &out));
    ERR(mistralrs_chat_template_render("x", NULL, 0, &out));
    ERR(mistralrs_chat_template_render("x", "{}", 0, NULL));
    ERR(mistralrs_chat_template_render("{{ x", "{}", 0, &out));
    ERR(mistralrs_chat_template_render("x", "{not json", 0, &out));
    check(out == NULL, "out stays NULL", __LINE__);
    ERR(mistralrs_tokenizer_apply_chat_template(NULL, "[]", 1, &out));
    ERR(mistralrs_tokenizer_apply_chat_template(NULL, NULL, 1, NULL));
    check(out == NULL, "out stays NULL", __LINE__);
  }
}

static void sweep_session_and_generation(void) {
  int32_t token = 1, finish = 0, i32 = 0;
  double f64 = 0;
  float logits[4] = {0, 0, 0, 0};
  ERR(mistralrs_session_options_create(NULL));
  mistralrs_session_options_free(NULL);
  ERR(mistralrs_session_options_set_context_length(NULL, 8));
  ERR(mistralrs_session_options_set_prefill_chunk(NULL, 8));
  ERR(mistralrs_session_options_set_exact_quantized(NULL, 1));
  ERR(mistralrs_session_create(NULL, NULL, NULL));
  mistralrs_session_free(NULL);
  ERR(mistralrs_session_cancel(NULL));
  ERR(mistralrs_session_reset(NULL));
  NEG(mistralrs_session_n_past(NULL));
  ERR(mistralrs_session_eval(NULL, &token, 1, logits));
  ERR(mistralrs_generate_options_create(NULL));
  mistralrs_generate_options_free(NULL);
  ERR(mistralrs_generate_options_set_max_tokens(NULL, 1));
  ERR(mistralrs_generate_options_set_temperature(NULL, 1.0f));
  ERR(mistralrs_generate_options_set_top_k(NULL, 1));
  ERR(mistralrs_generate_options_set_top_p(NULL, 0.5f));
  ERR(mistralrs_generate_options_set_seed(NULL, 1));
  ERR(mistralrs_generate_options_add_stop_string(NULL, "x"));
  ERR(mistralrs_generate_options_set_ignore_eos(NULL, 1));
  ERR(mistralrs_generate_options_set_sampler(NULL, NULL));
  ERR(mistralrs_session_generate(NULL, &token, 1, NULL, NULL, NULL, &finish));
  ERR(mistralrs_session_generation_stats(NULL, &i32, &f64, &i32, &f64));
}

static void sweep_sampler(void) {
  const int32_t stages[1] = {0};
  float logits[4] = {0, 1, 2, 3};
  int32_t token = 0;
  mistralrs_sampler_params* p = mistralrs_sampler_params_create();
  check(p != NULL, "sampler_params_create", __LINE__);
  mistralrs_sampler_params_free(p);
  mistralrs_sampler_params_free(NULL);
  ERR(mistralrs_sampler_params_set_order(NULL, stages, 1));
  ERR(mistralrs_sampler_params_set_seed(NULL, 1));
  ERR(mistralrs_sampler_params_set_greedy(NULL, 1));
  ERR(mistralrs_sampler_params_set_temperature(NULL, 1.0f));
  ERR(mistralrs_sampler_params_set_dynamic_temperature(NULL, 0.5f, 1.0f));
  ERR(mistralrs_sampler_params_set_top_k(NULL, 1));
  ERR(mistralrs_sampler_params_set_top_p(NULL, 0.5f));
  ERR(mistralrs_sampler_params_set_min_p(NULL, 0.1f));
  ERR(mistralrs_sampler_params_set_typical_p(NULL, 0.5f));
  ERR(mistralrs_sampler_params_set_top_n_sigma(NULL, 1.0f));
  ERR(mistralrs_sampler_params_set_xtc(NULL, 0.5f, 0.1f));
  ERR(mistralrs_sampler_params_set_min_keep(NULL, 1));
  ERR(mistralrs_sampler_params_set_mirostat(NULL, 2, 5.0f, 0.1f));
  ERR(mistralrs_sampler_params_set_penalties(NULL, 64, 1.1f, 0.0f, 0.0f));
  ERR(mistralrs_sampler_params_add_logit_bias(NULL, 1, 1.0f));
  ERR(mistralrs_sampler_params_clear_logit_bias(NULL));
  ERR(mistralrs_sampler_params_set_dry(NULL, 0.8f, 1.75f, 2, -1));
  ERR(mistralrs_sampler_params_add_dry_breaker(NULL, "\n"));
  ERR(mistralrs_sampler_params_add_dry_breaker_tokens(NULL, stages, 1));
  ERR(mistralrs_sampler_params_clear_dry_breakers(NULL));
  ERR(mistralrs_sampler_create(NULL, NULL, 0, NULL));
  mistralrs_sampler_free(NULL);
  ERR(mistralrs_sampler_reset(NULL));
  ERR(mistralrs_sampler_accept(NULL, 1));
  ERR(mistralrs_sampler_apply(NULL, logits, 4));
  ERR(mistralrs_sampler_sample(NULL, logits, 4, &token));
}

static int64_t failing_read(void* buffer, size_t size, void* user_data) {
  (void)buffer;
  (void)size;
  (void)user_data;
  return -1;
}

static void sweep_loading_from_memory(void) {
  mistralrs_model* model = NULL;
  mistralrs_runtime* rt = NULL;
  const char garbage[] = "GGUF but not a model";
  ERR(mistralrs_model_load_from_memory(NULL, garbage, sizeof garbage, NULL, &model));
  ERR(mistralrs_model_load_from_memory(NULL, NULL, 0, NULL, NULL));
  ERR(mistralrs_model_load_from_reader(NULL, failing_read, NULL, NULL, NULL, &model));
  ERR(mistralrs_model_load_from_reader(NULL, NULL, NULL, NULL, NULL, NULL));
  check(model == NULL, "model stays NULL", __LINE__);
  if (mistralrs_runtime_create(NULL, &rt) != MISTRALRS_OK) {
    check(0, "runtime_create", __LINE__);
    return;
  }
  /* A valid runtime with bad bytes or a failing reader: an error, no model. */
  check(mistralrs_model_load_from_memory(rt, garbage, sizeof garbage, NULL, &model) != MISTRALRS_OK,
        "load_from_memory(garbage)", __LINE__);
  check(mistralrs_model_load_from_reader(rt, failing_read, NULL, NULL, NULL, &model) == MISTRALRS_ERR_IO,
        "load_from_reader(failing)", __LINE__);
  ERR(mistralrs_model_load_from_reader(rt, NULL, NULL, NULL, NULL, &model));
  check(model == NULL, "model stays NULL", __LINE__);
  mistralrs_runtime_free(rt);
}

static void sweep_requests(void) {
  mistralrs_request_options* options = NULL;
  mistralrs_request* request = NULL;
  mistralrs_request_event event;
  int32_t token = 1;
  memset(&event, 0, sizeof event);
  event.size = sizeof event;
  ERR(mistralrs_request_options_create(NULL));
  mistralrs_request_options_free(NULL);
  ERR(mistralrs_request_options_set_prompt_tokens(NULL, &token, 1));
  ERR(mistralrs_request_options_set_prompt_text(NULL, "x", 1, 0));
  ERR(mistralrs_request_options_set_messages_json(NULL, "[]", 1));
  ERR(mistralrs_request_options_set_generate_options(NULL, NULL));
  ERR(mistralrs_request_options_set_callback(NULL, NULL, NULL));
  ERR(mistralrs_request_start(NULL, NULL, &request));
  ERR(mistralrs_request_start(NULL, NULL, NULL));
  check(request == NULL, "request stays NULL", __LINE__);
  NEG(mistralrs_request_poll(NULL, &event));
  NEG(mistralrs_request_wait(NULL, 10, &event));
  ERR(mistralrs_request_cancel(NULL));
  mistralrs_request_free(NULL);
  /* A valid options handle with invalid arguments, and without a session. */
  if (mistralrs_request_options_create(&options) != MISTRALRS_OK) {
    check(0, "request_options_create", __LINE__);
    return;
  }
  ERR(mistralrs_request_options_set_prompt_tokens(options, NULL, 3));
  ERR(mistralrs_request_options_set_prompt_text(options, NULL, 3, 0));
  ERR(mistralrs_request_options_set_prompt_text(options, "x", 1, 0x80));
  ERR(mistralrs_request_options_set_messages_json(options, NULL, 1));
  ERR(mistralrs_request_options_set_generate_options(options, NULL));
  ERR(mistralrs_request_start(NULL, options, &request));
  check(request == NULL, "request stays NULL", __LINE__);
  mistralrs_request_options_free(options);
}

int main(void) {
  sweep_core_and_runtime();
  sweep_model_and_tokenizer();
  sweep_session_and_generation();
  sweep_sampler();
  sweep_loading_from_memory();
  sweep_requests();
  printf("%d passed, %d failed\n", g_passed, g_failed);
  return g_failed == 0 ? 0 : 1;
}
