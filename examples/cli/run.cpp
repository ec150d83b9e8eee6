// mistralrs run: load a model, tokenize the prompt, stream the generated text, then print
// prompt and generation speed. Uses only the public C API.
#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

#include "args.h"
#include "cli.h"
#include "mistralrs.h"

namespace mistralrs_cli {

namespace {

int32_t print_text(int32_t /*token*/, const char* text, size_t len, void* /*user*/) {
  std::fwrite(text, 1, len, stdout);
  std::fflush(stdout);
  return 0;
}

int fail(const char* what) {
  std::fprintf(stderr, "mistralrs: %s: %s\n", what, mistralrs_last_error());
  return 1;
}

}  // namespace

int run_generate(const RunOptions& o) {
  mistralrs_runtime_options* ro = nullptr;
  mistralrs_runtime* rt = nullptr;
  mistralrs_model_options* mo = nullptr;
  mistralrs_model* model = nullptr;
  mistralrs_session* session = nullptr;
  mistralrs_generate_options* go = nullptr;
  int rc = 1;
  std::vector<int32_t> ids(o.prompt.size() + 8);
  size_t n_ids = 0;
  int32_t finish = -1;
  const mistralrs_tokenizer* tok = nullptr;
  if (mistralrs_runtime_options_create(&ro) || mistralrs_runtime_options_set_threads(ro, o.threads) ||
      mistralrs_runtime_create(ro, &rt)) {
    rc = fail("runtime");
    goto done;
  }
  if (mistralrs_model_options_create(&mo) || mistralrs_model_options_set_device(mo, o.device.c_str())) {
    rc = fail("device");
    goto done;
  }
  if (mistralrs_model_load(rt, o.model.c_str(), mo, &model)) {
    rc = fail("loading the model");
    goto done;
  }
  tok = mistralrs_model_tokenizer(model);
  if (!tok) {
    std::fprintf(stderr, "mistralrs: '%s' has no tokenizer this build can read\n", o.model.c_str());
    goto done;
  }
  if (mistralrs_tokenize(tok, o.prompt.data(), o.prompt.size(), MISTRALRS_TOKENIZE_ADD_SPECIAL, ids.data(),
                         ids.size(), &n_ids)) {
    rc = fail("tokenizing the prompt");
    goto done;
  }
  if (mistralrs_session_create(model, nullptr, &session) || mistralrs_generate_options_create(&go) ||
      mistralrs_generate_options_set_max_tokens(go, o.n_predict) ||
      mistralrs_generate_options_set_temperature(go, o.temperature) ||
      mistralrs_generate_options_set_seed(go, o.seed)) {
    rc = fail("session");
    goto done;
  }
  {
    std::fwrite(o.prompt.data(), 1, o.prompt.size(), stdout);
    if (mistralrs_session_generate(session, ids.data(), n_ids, go, print_text, nullptr, &finish)) {
      rc = fail("generation");
      goto done;
    }
  }
  {
    int32_t n_prompt = 0, n_gen = 0;
    double t_prompt = 0.0, t_decode = 0.0;
    mistralrs_session_generation_stats(session, &n_prompt, &t_prompt, &n_gen, &t_decode);
    std::printf("\n\nprompt: %d tokens, %.1f tokens/s | generation: %d tokens, %.1f tokens/s (finish reason %d)\n",
                n_prompt, t_prompt > 0 ? n_prompt / t_prompt : 0.0, n_gen,
                t_decode > 0 ? n_gen / t_decode : 0.0, static_cast<int>(finish));
  }
  rc = 0;
done:
  mistralrs_generate_options_free(go);
  mistralrs_session_free(session);
  mistralrs_model_free(model);
  mistralrs_model_options_free(mo);
  mistralrs_runtime_free(rt);
  mistralrs_runtime_options_free(ro);
  return rc;
}

}  // namespace mistralrs_cli
