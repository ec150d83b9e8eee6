// The tokenizer and chat-template functions of the C API: mistralrs_tokenizer_load on each
// kind of file against the reference ids the fixture generators recorded (tokenizers,
// mistral-common), mistralrs_chat_template_render and
// mistralrs_tokenizer_apply_chat_template against jinja2's output for real templates (the
// conformance cases), and chat messages as a request's prompt.
#include <gtest/gtest.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <vector>

#include "common/gguf_writer.h"
#include "common/paths.h"
#include "common/vocab_cases.h"
#include "mistralrs.h"

namespace {

using mistralrs::testing::read_all;
using mistralrs::testing::from_hex;

using mistralrs::testing::fixture_path;

std::vector<int32_t> tokenize(const mistralrs_tokenizer* t, const std::string& text, uint32_t flags) {
  size_t n = 0;
  int32_t st = mistralrs_tokenize(t, text.data(), text.size(), flags, nullptr, 0, &n);
  if (st == MISTRALRS_OK) return {};
  EXPECT_EQ(st, MISTRALRS_ERR_BUFFER_TOO_SMALL) << mistralrs_last_error();
  std::vector<int32_t> ids(n);
  EXPECT_EQ(mistralrs_tokenize(t, text.data(), text.size(), flags, ids.data(), ids.size(), &n), MISTRALRS_OK);
  return ids;
}

std::string detokenize(const mistralrs_tokenizer* t, const std::vector<int32_t>& ids, uint32_t flags) {
  size_t n = 0;
  std::string s(4 * ids.size() + 64, '\0');
  EXPECT_EQ(mistralrs_detokenize(t, ids.data(), ids.size(), flags, s.data(), s.size(), &n), MISTRALRS_OK)
      << mistralrs_last_error();
  s.resize(std::min(n, s.size()));
  return s;
}

mistralrs_tokenizer* load(const std::string& path) {
  mistralrs_tokenizer* t = nullptr;
  EXPECT_EQ(mistralrs_tokenizer_load(path.c_str(), &t), MISTRALRS_OK) << path << ": " << mistralrs_last_error();
  return t;
}

// tokenizer.json fixtures (ids recorded by tokenizers 0.23.3), loaded from the file and
// from their directory.
TEST(CapiTokenizer, TokenizerJsonMatchesReferenceIds) {
  for (const char* name : {"gpt2_bytelevel", "bytefallback_legacy", "wordpiece_bert", "unigram_nfkc"}) {
    const std::string dir = fixture_path(std::string("tokenizer/") + name);
    for (const std::string& path : {dir + "/tokenizer.json", dir}) {
      mistralrs_tokenizer* t = load(path);
      ASSERT_NE(t, nullptr);
      const auto cases = nlohmann::json::parse(read_all(dir + "/cases.json"));
      for (const auto& c : cases) {
        const std::string text = from_hex(c["text_hex"].get<std::string>());
        EXPECT_EQ(tokenize(t, text, MISTRALRS_TOKENIZE_PARSE_SPECIAL), c["ids"].get<std::vector<int32_t>>())
            << name << " " << c["text_hex"];
        const auto with_special = c["ids_add_special"].get<std::vector<int32_t>>();
        EXPECT_EQ(tokenize(t, text, MISTRALRS_TOKENIZE_PARSE_SPECIAL | MISTRALRS_TOKENIZE_ADD_SPECIAL), with_special)
            << name;
        EXPECT_EQ(tokenize(t, text, 0), c["ids_no_parse_special"].get<std::vector<int32_t>>()) << name;
        if (c["decoded_with_special"].is_string())
          EXPECT_EQ(detokenize(t, with_special, MISTRALRS_DETOKENIZE_RENDER_SPECIAL),
                    c["decoded_with_special"].get<std::string>()) << name;
      }
      mistralrs_tokenizer_free(t);
    }
  }
}

// tekken.json (ids recorded by mistral-common's Tekkenizer).
TEST(CapiTokenizer, TekkenMatchesMistralCommon) {
  const auto expected = nlohmann::json::parse(read_all(fixture_path("tokenizer/tekken/expected.json")));
  for (const auto& [file, spec] : expected["files"].items()) {
    mistralrs_tokenizer* t = load(fixture_path("tokenizer/tekken/" + file));
    ASSERT_NE(t, nullptr);
    for (const auto& c : spec["cases"]) {
      const auto text = c["text"].get<std::string>();
      EXPECT_EQ(tokenize(t, text, 0), c["ids"].get<std::vector<int32_t>>()) << file << " " << text;
    }
    mistralrs_tokenizer_free(t);
  }
}

// Each kind of file loaded from its bytes gives the ids of the same file loaded from its path
// (which the tests above and the fixtures check against the references); cut buffers fail.
TEST(CapiTokenizer, FromMemoryEqualsFromPath) {
  const std::vector<std::string> files = {
      fixture_path("tokenizer/gpt2_bytelevel/tokenizer.json"), fixture_path("tokenizer/spm/bpe.model"),
      fixture_path("tokenizer/tekken/tekken.json"), std::string(MISTRALRS_SOURCE_DIR) + "/examples/models/demo-q8_0.gguf"};
  const std::vector<std::string> texts = {"The little cat sat.", "caf\xc3\xa9 \xe6\x97\xa5\xe6\x9c\xac\r\n\t 123", ""};
  for (const std::string& path : files) {
    mistralrs_tokenizer* from_path = load(path);
    ASSERT_NE(from_path, nullptr);
    const std::string bytes = read_all(path);
    mistralrs_tokenizer* from_memory = nullptr;
    ASSERT_EQ(mistralrs_tokenizer_load_from_memory(bytes.data(), bytes.size(), nullptr, &from_memory), MISTRALRS_OK)
        << path << ": " << mistralrs_last_error();
    for (const std::string& text : texts)
      for (uint32_t flags : {0u, MISTRALRS_TOKENIZE_ADD_SPECIAL | MISTRALRS_TOKENIZE_PARSE_SPECIAL})
        EXPECT_EQ(tokenize(from_memory, text, flags), tokenize(from_path, text, flags)) << path << " " << text;
    for (size_t cut : {size_t{3}, bytes.size() / 2}) {
      mistralrs_tokenizer* t = nullptr;
      EXPECT_NE(mistralrs_tokenizer_load_from_memory(bytes.data(), cut, nullptr, &t), MISTRALRS_OK) << path << " cut " << cut;
      EXPECT_EQ(t, nullptr);
    }
    mistralrs_tokenizer_free(from_memory);
    mistralrs_tokenizer_free(from_path);
  }
}

TEST(CapiTokenizer, LoadErrorsAreStatuses) {
  mistralrs_tokenizer* t = nullptr;
  const std::string dir = mistralrs::testing::make_temp_dir("capi_tokenizer_errors");
  EXPECT_EQ(mistralrs_tokenizer_load((dir + "/missing.json").c_str(), &t), MISTRALRS_ERR_IO);
  EXPECT_EQ(t, nullptr);
  const std::string broken = mistralrs::testing::write_file(dir, "tokenizer.json", std::string("{\"model\": {\"type\": \"BPE\""));
  EXPECT_NE(mistralrs_tokenizer_load(broken.c_str(), &t), MISTRALRS_OK);
  EXPECT_EQ(t, nullptr);
  EXPECT_NE(std::string(mistralrs_last_error()), "");
  EXPECT_NE(mistralrs_tokenizer_load(dir.c_str(), &t), MISTRALRS_OK);  // a directory with a broken file
}

std::string render(const std::string& tmpl, const std::string& context, int64_t now, int32_t* status) {
  char* out = nullptr;
  *status = mistralrs_chat_template_render(tmpl.c_str(), context.c_str(), now, &out);
  std::string s = out ? out : "";
  mistralrs_string_free(out);
  return s;
}

// Hand-derived: whitespace control and tojson (json.dumps: ", " and ": " separators, no key
// sorting, non-ASCII kept); strftime_now at 2026-11-26 12:00:00 UTC = 1795694400.
TEST(CapiChatTemplate, RendersWithFixedClockAndReportsErrors) {
  int32_t st = 0;
  EXPECT_EQ(render("{%- for m in messages %}\n{{ m.role }}={{ m.content | tojson }};{% endfor %}",
                   R"({"messages": [{"role": "user", "content": "é"}, {"role": "b", "content": {"z": 1, "a": [1, 2]}}]})",
                   0, &st),
            "user=\"é\";b={\"z\": 1, \"a\": [1, 2]};");
  EXPECT_EQ(st, MISTRALRS_OK);
  EXPECT_EQ(render("{{ strftime_now('%Y-%m-%d %H:%M') }}", "{}", 1795694400, &st), "2026-11-26 12:00");
  EXPECT_EQ(st, MISTRALRS_OK);
  render("{{ raise_exception('Only user and assistant roles are supported!') }}", "{}", 0, &st);
  EXPECT_EQ(st, MISTRALRS_ERR_INVALID_ARGUMENT);
  EXPECT_NE(std::string(mistralrs_last_error()).find("Only user and assistant roles are supported!"), std::string::npos);
  render("line one\n{% if x %}", "{}", 0, &st);
  EXPECT_EQ(st, MISTRALRS_ERR_INVALID_ARGUMENT);
  EXPECT_NE(std::string(mistralrs_last_error()).find("2"), std::string::npos) << mistralrs_last_error();
  render("{{ 1 }}", "[1, 2]", 0, &st);  // the context must be an object
  EXPECT_EQ(st, MISTRALRS_ERR_INVALID_ARGUMENT);
}

// A tokenizer directory whose tokenizer_config.json carries a real template: every
// conformance case of templates that need no clock, with <s> / </s>, renders exactly.
TEST(CapiChatTemplate, ApplyChatTemplateMatchesConformanceCases) {
  const std::string conf = mistralrs::testing::conformance_dir();
  if (conf.empty()) GTEST_SKIP() << "../shared/conformance is absent";
  std::ifstream cases(conf + "/chat-templates/cases-hf.jsonl");
  int checked = 0;
  std::string line;
  while (std::getline(cases, line)) {
    const auto c = nlohmann::ordered_json::parse(line);
    if (!c.contains("expected")) continue;
    const auto& ctx = c["context"];
    if (ctx.value("bos_token", "") != "<s>" || ctx.value("eos_token", "") != "</s>") continue;
    const std::string tmpl = read_all(conf + "/chat-templates/templates/hf/" + c["template"].get<std::string>());
    if (tmpl.find("strftime_now") != std::string::npos) continue;
    const std::string dir = mistralrs::testing::make_temp_dir("capi_apply_chat_template");
    std::filesystem::copy_file(fixture_path("tokenizer/bytefallback_legacy/tokenizer.json"), dir + "/tokenizer.json",
                               std::filesystem::copy_options::overwrite_existing);
    nlohmann::ordered_json config = {{"bos_token", "<s>"}, {"eos_token", "</s>"}, {"chat_template", tmpl}};
    mistralrs::testing::write_file(dir, "tokenizer_config.json", config.dump());
    mistralrs_tokenizer* t = load(dir);
    ASSERT_NE(t, nullptr);
    nlohmann::ordered_json vars = ctx;
    vars.erase("bos_token");
    vars.erase("eos_token");
    const bool add_gen = vars["add_generation_prompt"].get<bool>();
    vars.erase("add_generation_prompt");
    char* out = nullptr;
    ASSERT_EQ(mistralrs_tokenizer_apply_chat_template(t, vars.dump().c_str(), add_gen, &out), MISTRALRS_OK)
        << c["template"] << " " << c["case"] << ": " << mistralrs_last_error();
    EXPECT_EQ(std::string(out), c["expected"].get<std::string>()) << c["template"] << " " << c["case"];
    mistralrs_string_free(out);
    mistralrs_tokenizer_free(t);
    ++checked;
  }
  std::printf("[ measured ] %d conformance cases rendered through apply_chat_template\n", checked);
  EXPECT_GT(checked, 10);
}

}  // namespace

namespace {

// A hand-made tokenizer.json: BPE without merges over printable ASCII (id = byte - 32 + 3)
// and "\n" (id 98), with <unk>, <s>, </s> as ids 0-2; so the ids of any text are known.
// Ids 99-319 ("<x99>"...) fill the model's vocabulary of 320.
nlohmann::json char_tokenizer() {
  nlohmann::json vocab = {{"<unk>", 0}, {"<s>", 1}, {"</s>", 2}, {"\n", 98}};
  for (int c = 32; c < 127; ++c) vocab[std::string(1, static_cast<char>(c))] = c - 32 + 3;
  for (int id = 99; id < 320; ++id) vocab["<x" + std::to_string(id) + ">"] = id;
  nlohmann::json added = nlohmann::json::array();
  for (int id = 0; id < 3; ++id)
    added.push_back({{"id", id}, {"content", id == 0 ? "<unk>" : id == 1 ? "<s>" : "</s>"}, {"single_word", false},
                     {"lstrip", false}, {"rstrip", false}, {"normalized", false}, {"special", true}});
  return {{"version", "1.0"}, {"added_tokens", added}, {"normalizer", nullptr}, {"pre_tokenizer", nullptr},
          {"post_processor", nullptr}, {"decoder", {{"type", "Fuse"}}},
          {"model", {{"type", "BPE"}, {"unk_token", "<unk>"}, {"vocab", vocab}, {"merges", nlohmann::json::array()}}}};
}

std::vector<int32_t> char_ids(const std::string& text) {
  std::vector<int32_t> ids;
  for (char c : text) ids.push_back(c == '\n' ? 98 : c - 32 + 3);
  return ids;
}

std::vector<int32_t> run_greedy(mistralrs_session* session, mistralrs_request_options* opts) {
  mistralrs_request* r = nullptr;
  EXPECT_EQ(mistralrs_request_start(session, opts, &r), MISTRALRS_OK) << mistralrs_last_error();
  std::vector<int32_t> tokens;
  if (!r) return tokens;
  mistralrs_request_event e{};
  e.size = sizeof e;
  while (mistralrs_request_wait(r, -1, &e) == 1 && e.type == MISTRALRS_EVENT_TOKEN) tokens.push_back(e.token);
  EXPECT_EQ(e.type, MISTRALRS_EVENT_FINISH) << std::string(e.text ? e.text : "");
  mistralrs_request_free(r);
  EXPECT_EQ(mistralrs_session_reset(session), MISTRALRS_OK);
  return tokens;
}

// The llama_gqa model directory plus that tokenizer and a template: a request whose prompt is
// chat messages generates exactly what the hand-rendered prompt's ids generate.
TEST(CapiChatTemplate, MessagesPromptEqualsRenderedTokens) {
  const std::string dir = mistralrs::testing::make_temp_dir("capi_messages_prompt");
  for (const char* f : {"config.json", "model.safetensors"})
    std::filesystem::copy_file(fixture_path(std::string("text/llama_gqa/hf_f32/") + f), dir + "/" + f,
                               std::filesystem::copy_options::overwrite_existing);
  mistralrs::testing::write_file(dir, "tokenizer.json", char_tokenizer().dump());
  const std::string tmpl =
      "{{ bos_token }}{% for m in messages %}[{{ m.role }}] {{ m.content }}\n{% endfor %}"
      "{% if add_generation_prompt %}[assistant]{% endif %}";
  mistralrs::testing::write_file(dir, "tokenizer_config.json",
                                 nlohmann::json({{"bos_token", "<s>"}, {"eos_token", "</s>"}, {"chat_template", tmpl}}).dump());
  const char* messages = R"([{"role": "user", "content": "hi"}, {"role": "assistant", "content": "yo"}, {"role": "user", "content": "ok?"}])";
  const std::string rendered = "<s>[user] hi\n[assistant] yo\n[user] ok?\n[assistant]";

  mistralrs_runtime* rt = nullptr;
  ASSERT_EQ(mistralrs_runtime_create(nullptr, &rt), MISTRALRS_OK);
  mistralrs_model* model = nullptr;
  ASSERT_EQ(mistralrs_model_load(rt, dir.c_str(), nullptr, &model), MISTRALRS_OK) << mistralrs_last_error();
  const mistralrs_tokenizer* tok = mistralrs_model_tokenizer(model);
  ASSERT_NE(tok, nullptr);
  char* out = nullptr;
  ASSERT_EQ(mistralrs_tokenizer_apply_chat_template(tok, messages, 1, &out), MISTRALRS_OK) << mistralrs_last_error();
  EXPECT_EQ(std::string(out), rendered);
  mistralrs_string_free(out);
  std::vector<int32_t> prompt = {1};
  for (int32_t id : char_ids(rendered.substr(3))) prompt.push_back(id);
  EXPECT_EQ(tokenize(tok, rendered, MISTRALRS_TOKENIZE_PARSE_SPECIAL), prompt);

  mistralrs_session* session = nullptr;
  ASSERT_EQ(mistralrs_session_create(model, nullptr, &session), MISTRALRS_OK);
  mistralrs_generate_options* gen = nullptr;
  ASSERT_EQ(mistralrs_generate_options_create(&gen), MISTRALRS_OK);
  ASSERT_EQ(mistralrs_generate_options_set_max_tokens(gen, 12), MISTRALRS_OK);
  ASSERT_EQ(mistralrs_generate_options_set_ignore_eos(gen, 1), MISTRALRS_OK);
  mistralrs_request_options* opts = nullptr;
  ASSERT_EQ(mistralrs_request_options_create(&opts), MISTRALRS_OK);
  ASSERT_EQ(mistralrs_request_options_set_generate_options(opts, gen), MISTRALRS_OK);
  ASSERT_EQ(mistralrs_request_options_set_prompt_tokens(opts, prompt.data(), prompt.size()), MISTRALRS_OK);
  const auto from_tokens = run_greedy(session, opts);
  ASSERT_EQ(mistralrs_request_options_set_messages_json(opts, messages, 1), MISTRALRS_OK);
  const auto from_messages = run_greedy(session, opts);
  EXPECT_EQ(from_tokens.size(), 12u);
  EXPECT_EQ(from_messages, from_tokens);
  // Bad messages fail at start with the reason, and the session stays usable.
  ASSERT_EQ(mistralrs_request_options_set_messages_json(opts, "{\"nope\": 1}", 1), MISTRALRS_OK);
  mistralrs_request* r = nullptr;
  EXPECT_EQ(mistralrs_request_start(session, opts, &r), MISTRALRS_ERR_INVALID_ARGUMENT);
  EXPECT_EQ(r, nullptr);
  EXPECT_EQ(run_greedy(session, (mistralrs_request_options_set_prompt_tokens(opts, prompt.data(), prompt.size()), opts)),
            from_tokens);
  mistralrs_request_options_free(opts);
  mistralrs_generate_options_free(gen);
  mistralrs_session_free(session);
  mistralrs_model_free(model);
  mistralrs_runtime_free(rt);
}

}  // namespace
