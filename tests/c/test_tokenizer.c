/* A plain C99 program: a tokenizer loaded on its own (argv[1]: the gpt2_bytelevel fixture's
 * tokenizer.json), tokenize / detokenize round trips and buffer sizing, and chat templates
 * rendered with a fixed clock. Expected values: "\t" is id 198 in that fixture (recorded by
 * Hugging Face tokenizers in its cases.json); the templates' outputs are derived by hand. */
#include <stdio.h>
#include <string.h>

#include "mistralrs.h"

static int g_passed = 0, g_failed = 0;

#define CHECK(cond)                                                              \
  do {                                                                           \
    if (cond) {                                                                  \
      ++g_passed;                                                                \
    } else {                                                                     \
      ++g_failed;                                                                \
      fprintf(stderr, "%s:%d: CHECK failed: %s (%s)\n", __FILE__, __LINE__, #cond, \
              mistralrs_last_error());                                           \
    }                                                                            \
  } while (0)

static void round_trip(const mistralrs_tokenizer* tok, const char* text) {
  int32_t ids[256];
  char back[1024];
  size_t n = 0, len = 0;
  CHECK(mistralrs_tokenize(tok, text, strlen(text), 0, ids, 256, &n) == MISTRALRS_OK);
  CHECK(n > 0 && n <= strlen(text));
  CHECK(mistralrs_detokenize(tok, ids, n, 0, back, sizeof back, &len) == MISTRALRS_OK);
  CHECK(len == strlen(text) && memcmp(back, text, len) == 0);
  /* Too small: the needed sizes come back with MISTRALRS_ERR_BUFFER_TOO_SMALL. */
  if (n > 1) {
    size_t need = 0;
    CHECK(mistralrs_tokenize(tok, text, strlen(text), 0, ids, 1, &need) == MISTRALRS_ERR_BUFFER_TOO_SMALL);
    CHECK(need == n);
  }
  CHECK(mistralrs_detokenize(tok, ids, n, 0, back, 1, &len) == MISTRALRS_ERR_BUFFER_TOO_SMALL);
  CHECK(len == strlen(text));
}

static void chat_templates(const mistralrs_tokenizer* tok) {
  char* out = NULL;
  CHECK(mistralrs_chat_template_render(
            "{% for m in messages %}<{{ m.role }}>{{ m.content | trim }}{% endfor %}"
            "{% if add_generation_prompt %}<assistant>{% endif %}",
            "{\"messages\": [{\"role\": \"user\", \"content\": \" Hi \"}], \"add_generation_prompt\": true}", 0,
            &out) == MISTRALRS_OK);
  CHECK(out != NULL && strcmp(out, "<user>Hi<assistant>") == 0);
  mistralrs_string_free(out);
  out = NULL;
  /* 86400 s after the epoch is 1970-01-02. */
  CHECK(mistralrs_chat_template_render("{{ strftime_now('%Y-%m-%d') }}", "{}", 86400, &out) == MISTRALRS_OK);
  CHECK(out != NULL && strcmp(out, "1970-01-02") == 0);
  mistralrs_string_free(out);
  out = NULL;
  CHECK(mistralrs_chat_template_render("{{ raise_exception('no system role') }}", "{}", 0, &out) ==
        MISTRALRS_ERR_INVALID_ARGUMENT);
  CHECK(out == NULL && strstr(mistralrs_last_error(), "no system role") != NULL);
  CHECK(mistralrs_chat_template_render("{% for x in %}", "{}", 0, &out) == MISTRALRS_ERR_INVALID_ARGUMENT);
  /* This tokenizer.json has no tokenizer_config.json, hence no template. */
  CHECK(mistralrs_tokenizer_apply_chat_template(tok, "[]", 1, &out) == MISTRALRS_ERR_INVALID_ARGUMENT);
  CHECK(out == NULL);
}

int main(int argc, char** argv) {
  mistralrs_tokenizer* tok = NULL;
  int32_t ids[4];
  size_t n = 0;
  if (argc != 2) {
    fprintf(stderr, "usage: %s gpt2_bytelevel/tokenizer.json\n", argv[0]);
    return 2;
  }
  CHECK(mistralrs_tokenizer_load(argv[1], &tok) == MISTRALRS_OK);
  if (!tok) return 1;
  CHECK(mistralrs_tokenize(tok, "\t", 1, 0, ids, 4, &n) == MISTRALRS_OK);
  CHECK(n == 1 && ids[0] == 198);
  round_trip(tok, "Hello, world! 123 + 456");
  round_trip(tok, "caf\xc3\xa9 \xe6\x97\xa5\xe6\x9c\xac \xf0\x9f\x91\xa9\xe2\x80\x8d\xf0\x9f\x92\xbb\r\n\tend");
  chat_templates(tok);
  mistralrs_tokenizer_free(tok);
  mistralrs_tokenizer_free(NULL);
  printf("%d passed, %d failed\n", g_passed, g_failed);
  return g_failed == 0 ? 0 : 1;
}
