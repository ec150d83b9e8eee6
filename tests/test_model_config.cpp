// ModelConfig from config.json (real Mistral / Llama 3.1 layouts, defaults, ill-typed
// fields) and from GGUF metadata written by tests/common/gguf_writer.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "common/gguf_writer.h"
#include "formats/gguf.h"
#include "formats/model_config.h"

namespace mistralrs {
namespace {

namespace w = mistralrs::testing;

// The config.json of Mistral-7B-v0.1 as published (fields we read).
const char* kMistral7b = R"({
  "architectures": ["MistralForCausalLM"], "bos_token_id": 1, "eos_token_id": 2,
  "hidden_act": "silu", "hidden_size": 4096, "initializer_range": 0.02,
  "intermediate_size": 14336, "max_position_embeddings": 32768, "model_type": "mistral",
  "num_attention_heads": 32, "num_hidden_layers": 32, "num_key_value_heads": 8,
  "rms_norm_eps": 1e-05, "rope_theta": 10000.0, "sliding_window": 4096,
  "tie_word_embeddings": false, "torch_dtype": "bfloat16", "transformers_version": "4.34.0.dev0",
  "use_cache": true, "vocab_size": 32000})";

// Llama-3.1-8B-Instruct's layout: llama3 rope scaling, a list of eos ids, head_dim given.
const char* kLlama31 = R"({
  "architectures": ["LlamaForCausalLM"], "bos_token_id": 128000,
  "eos_token_id": [128001, 128008, 128009], "head_dim": 128, "hidden_size": 4096,
  "intermediate_size": 14336, "max_position_embeddings": 131072, "num_attention_heads": 32,
  "num_hidden_layers": 32, "num_key_value_heads": 8, "rms_norm_eps": 1e-05,
  "rope_scaling": {"factor": 8.0, "low_freq_factor": 1.0, "high_freq_factor": 4.0,
                   "original_max_position_embeddings": 8192, "rope_type": "llama3"},
  "rope_theta": 500000.0, "tie_word_embeddings": false, "dtype": "bfloat16",
  "vocab_size": 128256})";

// The smallest config we accept; the rest defaults.
const char* kMinimal = R"({"architectures": ["LlamaForCausalLM"], "hidden_size": 64,
  "intermediate_size": 128, "num_hidden_layers": 2, "num_attention_heads": 4,
  "rms_norm_eps": 1e-6, "vocab_size": 100})";

// kMinimal with `field` set to the JSON text `value` ("" removes it).
std::string with_field(const std::string& field, const std::string& value) {
  auto j = nlohmann::json::parse(kMinimal);
  if (value.empty())
    j.erase(field);
  else
    j[field] = nlohmann::json::parse(value);
  return j.dump();
}

void expect_error(const std::string& json, StatusCode code, const std::string& message) {
  auto c = parse_hf_config(json, "config.json");
  ASSERT_FALSE(c) << "parsed although it should fail with: " << message;
  EXPECT_EQ(c.status().code(), code) << c.status().to_string();
  EXPECT_NE(c.status().message().find(message), std::string::npos) << c.status().message();
  EXPECT_EQ(c.status().message().rfind("config.json: ", 0), 0u) << c.status().message();
}

TEST(ModelConfig, ParsesMistral7b) {
  auto c = parse_hf_config(kMistral7b, "config.json");
  ASSERT_TRUE(c) << c.status().to_string();
  const ModelConfig& m = c.value();
  EXPECT_EQ(m.architecture, "MistralForCausalLM");
  EXPECT_EQ(m.vocab_size, 32000);
  EXPECT_EQ(m.hidden_size, 4096);
  EXPECT_EQ(m.intermediate_size, 14336);
  EXPECT_EQ(m.num_hidden_layers, 32);
  EXPECT_EQ(m.num_attention_heads, 32);
  EXPECT_EQ(m.num_key_value_heads, 8);
  EXPECT_EQ(m.head_dim, 128);
  EXPECT_DOUBLE_EQ(m.rms_norm_eps, 1e-5);
  EXPECT_DOUBLE_EQ(m.rope_theta, 10000.0);
  EXPECT_EQ(m.rope_scaling.kind, RopeScaling::Kind::kNone);
  EXPECT_EQ(m.max_position_embeddings, 32768);
  EXPECT_EQ(m.sliding_window, 4096);
  EXPECT_FALSE(m.tie_word_embeddings);
  EXPECT_EQ(m.bos_token_ids, (std::vector<int32_t>{1}));
  EXPECT_EQ(m.eos_token_ids, (std::vector<int32_t>{2}));
  EXPECT_EQ(m.torch_dtype, "bfloat16");
}

TEST(ModelConfig, ParsesLlama31WithLlama3RopeScaling) {
  auto c = parse_hf_config(kLlama31, "config.json");
  ASSERT_TRUE(c) << c.status().to_string();
  const ModelConfig& m = c.value();
  EXPECT_EQ(m.architecture, "LlamaForCausalLM");
  EXPECT_EQ(m.head_dim, 128);
  EXPECT_DOUBLE_EQ(m.rope_theta, 500000.0);
  EXPECT_EQ(m.rope_scaling.kind, RopeScaling::Kind::kLlama3);
  EXPECT_DOUBLE_EQ(m.rope_scaling.factor, 8.0);
  EXPECT_DOUBLE_EQ(m.rope_scaling.low_freq_factor, 1.0);
  EXPECT_DOUBLE_EQ(m.rope_scaling.high_freq_factor, 4.0);
  EXPECT_EQ(m.rope_scaling.original_max_position_embeddings, 8192);
  EXPECT_EQ(m.eos_token_ids, (std::vector<int32_t>{128001, 128008, 128009}));
  EXPECT_EQ(m.torch_dtype, "bfloat16");  // from "dtype"
  EXPECT_EQ(m.sliding_window, 0);
}

TEST(ModelConfig, DefaultsForOptionalFields) {
  auto c = parse_hf_config(kMinimal, "config.json");
  ASSERT_TRUE(c) << c.status().to_string();
  const ModelConfig& m = c.value();
  EXPECT_EQ(m.num_key_value_heads, 4);
  EXPECT_EQ(m.head_dim, 16);
  EXPECT_DOUBLE_EQ(m.rope_theta, 10000.0);
  EXPECT_EQ(m.max_position_embeddings, 2048);
  EXPECT_FALSE(m.tie_word_embeddings);
  EXPECT_TRUE(m.bos_token_ids.empty());
  EXPECT_EQ(m.torch_dtype, "");
  // Explicit nulls mean the same as absent.
  for (const char* field : {"head_dim", "num_key_value_heads", "sliding_window", "rope_scaling",
                            "bos_token_id", "eos_token_id", "torch_dtype", "rope_theta"}) {
    auto n = parse_hf_config(with_field(field, "null"), "config.json");
    ASSERT_TRUE(n) << field << ": " << n.status().to_string();
    EXPECT_EQ(n.value().head_dim, 16);
  }
  auto tied = parse_hf_config(with_field("tie_word_embeddings", "true"), "config.json");
  ASSERT_TRUE(tied);
  EXPECT_TRUE(tied.value().tie_word_embeddings);
  auto linear = parse_hf_config(with_field("rope_scaling", R"({"type": "linear", "factor": 2})"),
                                "config.json");
  ASSERT_TRUE(linear) << linear.status().to_string();
  EXPECT_EQ(linear.value().rope_scaling.kind, RopeScaling::Kind::kLinear);
  EXPECT_DOUBLE_EQ(linear.value().rope_scaling.factor, 2.0);
  auto by_type = parse_hf_config(with_field("architectures", ""), "config.json");
  EXPECT_FALSE(by_type);  // neither architectures nor model_type
  auto no_eos = parse_hf_config(with_field("eos_token_id", "[]"), "config.json");
  ASSERT_TRUE(no_eos);
  EXPECT_TRUE(no_eos.value().eos_token_ids.empty());
}

TEST(ModelConfig, MissingAndIllTypedFieldsNameTheField) {
  expect_error(with_field("hidden_size", ""), StatusCode::kInvalidArgument,
               "config.json: hidden_size is missing");
  expect_error(with_field("vocab_size", ""), StatusCode::kInvalidArgument, "vocab_size is missing");
  expect_error(with_field("rms_norm_eps", ""), StatusCode::kInvalidArgument,
               "rms_norm_eps is missing");
  expect_error(with_field("num_attention_heads", R"("abc")"), StatusCode::kInvalidArgument,
               "config.json: num_attention_heads must be a positive integer, got \"abc\"");
  expect_error(with_field("num_attention_heads", "0"), StatusCode::kInvalidArgument,
               "num_attention_heads must be a positive integer, got 0");
  expect_error(with_field("hidden_size", "-64"), StatusCode::kInvalidArgument,
               "hidden_size must be a positive integer, got -64");
  expect_error(with_field("hidden_size", "64.5"), StatusCode::kInvalidArgument,
               "hidden_size must be a positive integer, got 64.5");
  expect_error(with_field("hidden_size", "true"), StatusCode::kInvalidArgument,
               "hidden_size must be a positive integer, got true");
  expect_error(with_field("hidden_size", "null"), StatusCode::kInvalidArgument,
               "hidden_size must be a positive integer, got null");
  expect_error(with_field("vocab_size", "99999999999999"), StatusCode::kInvalidArgument,
               "vocab_size must be at most 2147483647");
  expect_error(with_field("rms_norm_eps", R"("1e-6")"), StatusCode::kInvalidArgument,
               "rms_norm_eps must be a positive number");
  expect_error(with_field("rms_norm_eps", "-1"), StatusCode::kInvalidArgument,
               "rms_norm_eps must be a positive number");
  expect_error(with_field("rope_theta", "0"), StatusCode::kInvalidArgument,
               "rope_theta must be a positive number");
  expect_error(with_field("tie_word_embeddings", "1"), StatusCode::kInvalidArgument,
               "tie_word_embeddings must be true or false");
  expect_error(with_field("eos_token_id", R"(["2"])"), StatusCode::kInvalidArgument,
               "eos_token_id must be a token id, a list of token ids or null");
  expect_error(with_field("bos_token_id", "-1"), StatusCode::kInvalidArgument,
               "bos_token_id must be a token id");
  expect_error(with_field("bos_token_id", "3000000000"), StatusCode::kInvalidArgument,
               "bos_token_id must be a token id");
  expect_error(with_field("torch_dtype", "16"), StatusCode::kInvalidArgument,
               "torch_dtype must be a string, got 16");
  expect_error(with_field("sliding_window", "-1"), StatusCode::kInvalidArgument,
               "sliding_window must be a non-negative integer");
  expect_error(with_field("architectures", "[]"), StatusCode::kInvalidArgument,
               "architectures must be a non-empty list of strings");
  expect_error(with_field("architectures", R"("LlamaForCausalLM")"), StatusCode::kInvalidArgument,
               "architectures must be");
  expect_error(with_field("rope_scaling", "2"), StatusCode::kInvalidArgument,
               "rope_scaling must be null or an object, got 2");
  expect_error(with_field("rope_scaling", R"({"rope_type": "linear"})"),
               StatusCode::kInvalidArgument, "config.json: rope_scaling.factor is missing");
  expect_error(
      with_field("rope_scaling", R"({"rope_type": "llama3", "factor": 8, "low_freq_factor": 1,
          "high_freq_factor": "4", "original_max_position_embeddings": 8192})"),
      StatusCode::kInvalidArgument,
      "rope_scaling.high_freq_factor must be a positive number, got \"4\"");
  expect_error(
      with_field("rope_scaling", R"({"rope_type": "llama3", "factor": 8, "low_freq_factor": 4,
          "high_freq_factor": 1, "original_max_position_embeddings": 8192})"),
      StatusCode::kInvalidArgument, "low_freq_factor < high_freq_factor");
}

TEST(ModelConfig, UnsupportedArchitecturesAndRopeTypes) {
  expect_error(with_field("architectures", R"(["Qwen2ForCausalLM"])"), StatusCode::kUnsupported,
               "config.json: architecture 'Qwen2ForCausalLM' is not supported");
  expect_error(with_field("rope_scaling", R"({"rope_type": "yarn", "factor": 4})"),
               StatusCode::kUnsupported, "rope_scaling type 'yarn' is not supported");
  // Without architectures, model_type names the family.
  auto by_type = parse_hf_config(
      with_field("architectures", "").insert(1, "\"model_type\": \"mistral\","), "config.json");
  ASSERT_TRUE(by_type) << by_type.status().to_string();
  EXPECT_EQ(by_type.value().architecture, "MistralForCausalLM");
}

TEST(ModelConfig, InconsistentHeadCounts) {
  expect_error(with_field("num_key_value_heads", "3"), StatusCode::kInvalidArgument,
               "config.json: num_key_value_heads 3 does not divide num_attention_heads 4");
  expect_error(with_field("num_attention_heads", "5"), StatusCode::kInvalidArgument,
               "head_dim is absent and hidden_size 64 is not divisible by num_attention_heads 5");
  // An explicit head_dim decouples it from hidden_size (as in Mistral Nemo).
  auto nemo = nlohmann::json::parse(with_field("num_attention_heads", "5"));
  nemo["head_dim"] = 32;
  nemo["num_key_value_heads"] = 5;
  auto c = parse_hf_config(nemo.dump(), "config.json");
  ASSERT_TRUE(c) << c.status().to_string();
  EXPECT_EQ(c.value().head_dim, 32);
  expect_error(with_field("head_dim", "15"), StatusCode::kInvalidArgument,
               "head_dim 15 must be even");
}

TEST(ModelConfig, RejectsNonObjectsAndBadJson) {
  expect_error("[1]", StatusCode::kInvalidArgument,
               "config.json: must be a JSON object, got an array");
  expect_error("{\"hidden_size\": ", StatusCode::kInvalidArgument, "config.json: not valid JSON");
  expect_error("", StatusCode::kInvalidArgument, "not valid JSON");
  expect_error("{\"a\": 1e999}", StatusCode::kInvalidArgument, "not valid JSON");
}

TEST(ModelConfig, ValidateChecksTheStruct) {
  ModelConfig m = parse_hf_config(kMistral7b, "x").value();
  EXPECT_TRUE(m.validate("x").is_ok());
  m.vocab_size = 0;
  EXPECT_EQ(m.validate("cfg").message(), "cfg: vocab_size must be between 1 and 2147483647, got 0");
}

TEST(ModelConfig, LoadsFromFile) {
  const std::string dir = w::make_temp_dir("config_load");
  const std::string path = w::write_file(dir, "config.json", std::string(kMistral7b));
  auto c = load_hf_config(path);
  ASSERT_TRUE(c) << c.status().to_string();
  EXPECT_EQ(c.value().vocab_size, 32000);
  w::write_file(dir, "bad.json", std::string("{\"architectures\": [\"GPT2LMHeadModel\"]}"));
  auto bad = load_hf_config(dir + "/bad.json");
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.status().message().rfind(dir + "/bad.json: architecture 'GPT2LMHeadModel'", 0), 0u);
  EXPECT_EQ(load_hf_config(dir + "/absent.json").status().code(), StatusCode::kIo);
}

// --- GGUF ---------------------------------------------------------------------------------

w::GgufWriter llama_gguf() {
  w::GgufWriter g;
  g.kv("general.architecture", w::gguf_string("llama"));
  g.kv("llama.embedding_length", w::gguf_u32(64));
  g.kv("llama.feed_forward_length", w::gguf_u32(128));
  g.kv("llama.block_count", w::gguf_u32(2));
  g.kv("llama.attention.head_count", w::gguf_u32(4));
  g.kv("llama.attention.head_count_kv", w::gguf_u32(2));
  g.kv("llama.attention.layer_norm_rms_epsilon", w::gguf_f32(1e-5f));
  g.kv("llama.rope.freq_base", w::gguf_f32(1000000.f));
  g.kv("llama.context_length", w::gguf_u32(4096));
  g.kv("tokenizer.ggml.bos_token_id", w::gguf_u32(1));
  g.kv("tokenizer.ggml.eos_token_id", w::gguf_u32(2));
  g.kv("tokenizer.ggml.tokens",
       w::gguf_array(w::kWString,
                     {w::gguf_string("<unk>"), w::gguf_string("<s>"), w::gguf_string("</s>")}));
  return g;
}

Expected<ModelConfig> config_of(const w::GgufWriter& g) {
  auto f = GgufFile::parse(w::storage_from_bytes(g.build()), "model.gguf");
  if (!f) return f.status();
  return model_config_from_gguf(*f.value());
}

TEST(ModelConfig, FromGguf) {
  w::GgufWriter g = llama_gguf();
  g.tensor("output.weight", w::kGgmlF32, {64, 3}, w::pattern_bytes(64 * 3 * 4));
  auto c = config_of(g);
  ASSERT_TRUE(c) << c.status().to_string();
  const ModelConfig& m = c.value();
  EXPECT_EQ(m.architecture, "llama");
  EXPECT_EQ(m.hidden_size, 64);
  EXPECT_EQ(m.intermediate_size, 128);
  EXPECT_EQ(m.num_hidden_layers, 2);
  EXPECT_EQ(m.num_attention_heads, 4);
  EXPECT_EQ(m.num_key_value_heads, 2);
  EXPECT_EQ(m.head_dim, 16);
  EXPECT_NEAR(m.rms_norm_eps, 1e-5, 1e-12);
  EXPECT_DOUBLE_EQ(m.rope_theta, 1e6);
  EXPECT_EQ(m.max_position_embeddings, 4096);
  EXPECT_EQ(m.vocab_size, 3);  // from tokenizer.ggml.tokens
  EXPECT_EQ(m.bos_token_ids, (std::vector<int32_t>{1}));
  EXPECT_EQ(m.eos_token_ids, (std::vector<int32_t>{2}));
  EXPECT_FALSE(m.tie_word_embeddings);
  EXPECT_EQ(m.rope_scaling.kind, RopeScaling::Kind::kNone);
}

TEST(ModelConfig, FromGgufOptionalKeys) {
  w::GgufWriter g = llama_gguf();
  g.kv("llama.vocab_size", w::gguf_u32(32000));
  g.kv("llama.attention.key_length", w::gguf_u32(32));
  g.kv("llama.attention.sliding_window", w::gguf_u32(4096));
  g.kv("llama.rope.scaling.type", w::gguf_string("linear"));
  g.kv("llama.rope.scaling.factor", w::gguf_f32(4.f));
  auto c = config_of(g);
  ASSERT_TRUE(c) << c.status().to_string();
  EXPECT_EQ(c.value().vocab_size, 32000);
  EXPECT_EQ(c.value().head_dim, 32);
  EXPECT_EQ(c.value().sliding_window, 4096);
  EXPECT_TRUE(c.value().tie_word_embeddings);  // no output.weight
  EXPECT_EQ(c.value().rope_scaling.kind, RopeScaling::Kind::kLinear);
  EXPECT_DOUBLE_EQ(c.value().rope_scaling.factor, 4.0);
  // Vocabulary from the embedding when there is no token list.
  w::GgufWriter e;
  e.kv("general.architecture", w::gguf_string("llama"));
  e.kv("llama.embedding_length", w::gguf_u32(64));
  e.kv("llama.feed_forward_length", w::gguf_u32(128));
  e.kv("llama.block_count", w::gguf_u32(1));
  e.kv("llama.attention.head_count", w::gguf_u32(4));
  e.kv("llama.attention.layer_norm_rms_epsilon", w::gguf_f32(1e-6f));
  e.tensor("token_embd.weight", w::kGgmlF16, {64, 7}, w::pattern_bytes(64 * 7 * 2));
  auto v = config_of(e);
  ASSERT_TRUE(v) << v.status().to_string();
  EXPECT_EQ(v.value().vocab_size, 7);
  EXPECT_EQ(v.value().num_key_value_heads, 4);
  EXPECT_EQ(v.value().max_position_embeddings, 2048);
}

TEST(ModelConfig, FromGgufErrors) {
  w::GgufWriter arch;
  arch.kv("general.architecture", w::gguf_string("gpt2"));
  auto a = config_of(arch);
  ASSERT_FALSE(a);
  EXPECT_EQ(a.status().code(), StatusCode::kUnsupported);
  EXPECT_EQ(a.status().message(),
            "model.gguf: general.architecture 'gpt2' is not supported (llama is)");
  EXPECT_EQ(config_of(w::GgufWriter()).status().message(),
            "model.gguf: metadata key 'general.architecture' is missing");
  w::GgufWriter kv = llama_gguf();
  kv.kv("llama.attention.head_count_kv", w::gguf_u32(3));  // duplicate key: rejected by the parser
  EXPECT_NE(config_of(kv).status().message().find("appears twice"), std::string::npos);
  w::GgufWriter odd;
  odd.kv("general.architecture", w::gguf_string("llama"));
  odd.kv("llama.embedding_length", w::gguf_u32(64));
  odd.kv("llama.feed_forward_length", w::gguf_u32(128));
  odd.kv("llama.block_count", w::gguf_u32(1));
  odd.kv("llama.attention.head_count", w::gguf_u32(4));
  odd.kv("llama.attention.head_count_kv", w::gguf_u32(3));
  odd.kv("llama.attention.layer_norm_rms_epsilon", w::gguf_f32(1e-6f));
  odd.kv("llama.vocab_size", w::gguf_u32(10));
  EXPECT_EQ(config_of(odd).status().message(),
            "model.gguf: num_key_value_heads 3 does not divide num_attention_heads 4");
  w::GgufWriter yarn = llama_gguf();
  yarn.kv("llama.rope.scaling.type", w::gguf_string("yarn"));
  EXPECT_EQ(config_of(yarn).status().code(), StatusCode::kUnsupported);
  w::GgufWriter typed = llama_gguf();
  typed.kv("llama.block_count", w::gguf_string("2"));
  EXPECT_NE(config_of(typed).status().message().find("appears twice"), std::string::npos);
  w::GgufWriter wrong;
  wrong.kv("general.architecture", w::gguf_string("llama"));
  wrong.kv("llama.embedding_length", w::gguf_string("64"));
  EXPECT_EQ(config_of(wrong).status().message(),
            "model.gguf: metadata key 'llama.embedding_length' is string, expected an integer");
  w::GgufWriter no_vocab;
  no_vocab.kv("general.architecture", w::gguf_string("llama"));
  no_vocab.kv("llama.embedding_length", w::gguf_u32(64));
  no_vocab.kv("llama.feed_forward_length", w::gguf_u32(128));
  no_vocab.kv("llama.block_count", w::gguf_u32(1));
  no_vocab.kv("llama.attention.head_count", w::gguf_u32(4));
  no_vocab.kv("llama.attention.layer_norm_rms_epsilon", w::gguf_f32(1e-6f));
  EXPECT_NE(config_of(no_vocab).status().message().find("cannot tell the vocabulary size"),
            std::string::npos);
}

}  // namespace
}  // namespace mistralrs
