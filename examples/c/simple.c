/*
 * simple.c: load a model, tokenize a prompt, generate greedily, print the text.
 *
 *   simple [MODEL] [PROMPT]     (default prompt: "The little cat")
 */
#include <mistralrs.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int32_t on_token(int32_t token, const char* text, size_t text_len, void* user_data) {
  (void)token;
  (void)user_data;
  fwrite(text, 1, text_len, stdout);
  fflush(stdout);
  return 0; /* keep going */
}

static int fail(const char* what, int32_t status) {
  fprintf(stderr, "%s failed: %s (%s)\n", what, mistralrs_status_string(status), mistralrs_last_error());
  return 1;
}

int main(int argc, char** argv) {
  const char* model_path = argc > 1 ? argv[1] : "examples/models/demo-q8_0.gguf";
  const char* prompt = argc > 2 ? argv[2] : "The little cat";
  mistralrs_runtime* runtime = NULL;
  mistralrs_model* model = NULL;
  mistralrs_session* session = NULL;
  mistralrs_generate_options* gen = NULL;
  const mistralrs_tokenizer* tokenizer;
  int32_t* ids = NULL;
  size_t n_ids = 0;
  int32_t finish = -1, generated = 0;
  int32_t st;
  int rc = 1;

  printf("libmistralrs %s\n", mistralrs_version());
  if ((st = mistralrs_runtime_create(NULL, &runtime)) != MISTRALRS_OK) return fail("runtime_create", st);
  if ((st = mistralrs_model_load(runtime, model_path, NULL, &model)) != MISTRALRS_OK) {
    rc = fail("model_load", st);
    goto done;
  }
  tokenizer = mistralrs_model_tokenizer(model);
  if (!tokenizer) {
    fprintf(stderr, "the model has no tokenizer\n");
    goto done;
  }

  /* Ask for the count first, then tokenize into a buffer of that size. */
  st = mistralrs_tokenize(tokenizer, prompt, strlen(prompt), MISTRALRS_TOKENIZE_ADD_SPECIAL, NULL, 0, &n_ids);
  if (st != MISTRALRS_OK && st != MISTRALRS_ERR_BUFFER_TOO_SMALL) {
    rc = fail("tokenize", st);
    goto done;
  }
  ids = (int32_t*)malloc((n_ids ? n_ids : 1) * sizeof *ids);
  if (!ids) goto done;
  if ((st = mistralrs_tokenize(tokenizer, prompt, strlen(prompt), MISTRALRS_TOKENIZE_ADD_SPECIAL, ids, n_ids,
                               &n_ids)) != MISTRALRS_OK) {
    rc = fail("tokenize", st);
    goto done;
  }

  if ((st = mistralrs_session_create(model, NULL, &session)) != MISTRALRS_OK) {
    rc = fail("session_create", st);
    goto done;
  }
  if ((st = mistralrs_generate_options_create(&gen)) != MISTRALRS_OK ||
      (st = mistralrs_generate_options_set_max_tokens(gen, 64)) != MISTRALRS_OK ||
      (st = mistralrs_generate_options_set_temperature(gen, 0.0f)) != MISTRALRS_OK) {
    rc = fail("generate options", st);
    goto done;
  }

  printf("%s", prompt);
  fflush(stdout);
  if ((st = mistralrs_session_generate(session, ids, n_ids, gen, on_token, NULL, &finish)) != MISTRALRS_OK) {
    printf("\n");
    rc = fail("session_generate", st);
    goto done;
  }
  mistralrs_session_generation_stats(session, NULL, NULL, &generated, NULL);
  printf("\n[prompt %u tokens, generated %d tokens, finish reason %d]\n", (unsigned)n_ids, (int)generated,
         (int)finish);
  rc = 0;

done:
  free(ids);
  mistralrs_generate_options_free(gen);
  mistralrs_session_free(session);
  mistralrs_model_free(model);
  mistralrs_runtime_free(runtime);
  return rc;
}
