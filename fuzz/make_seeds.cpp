// Writes seed corpora for the fuzz targets, built with the test writers:
//   make_fuzz_seeds <dir>  ->  <dir>/gguf/*, <dir>/safetensors/*, <dir>/config/*
// Seeds are small valid files, so the fuzzer starts from inputs that reach deep code.
#include <cstdio>
#include <string>

#include "common/gguf_writer.h"
#include "common/safetensors_writer.h"

namespace w = mistralrs::testing;

namespace {

w::GgufWriter llama_like() {
  w::GgufWriter g;
  g.kv("general.architecture", w::gguf_string("llama"));
  g.kv("llama.embedding_length", w::gguf_u32(64));
  g.kv("llama.feed_forward_length", w::gguf_u32(128));
  g.kv("llama.block_count", w::gguf_u32(1));
  g.kv("llama.attention.head_count", w::gguf_u32(4));
  g.kv("llama.attention.head_count_kv", w::gguf_u32(2));
  g.kv("llama.attention.layer_norm_rms_epsilon", w::gguf_f32(1e-5f));
  g.kv("llama.rope.freq_base", w::gguf_f32(10000.f));
  g.kv("llama.rope.scaling.type", w::gguf_string("linear"));
  g.kv("llama.rope.scaling.factor", w::gguf_f32(2.f));
  g.kv("tokenizer.ggml.bos_token_id", w::gguf_u32(1));
  g.kv("tokenizer.ggml.tokens",
       w::gguf_array(w::kWString, {w::gguf_string("a"), w::gguf_string("b")}));
  g.kv("scores", w::gguf_array(w::kWF32, {w::gguf_f32(0.5f), w::gguf_f32(1.f)}));
  g.kv("misc", w::gguf_array(w::kWArray, {w::gguf_array(w::kWI64, {w::gguf_i64(-1)}),
                                          w::gguf_array(w::kWBool, {w::gguf_bool(true)})}));
  g.kv("u8", w::gguf_u8(1));
  g.kv("i16", w::gguf_i16(-2));
  g.kv("u64", w::gguf_u64(3));
  g.kv("f64", w::gguf_f64(0.25));
  g.tensor("token_embd.weight", w::kGgmlF16, {64, 2}, w::pattern_bytes(256));
  g.tensor("output.weight", w::kGgmlQ8_0, {64, 2}, w::pattern_bytes(136));
  return g;
}

w::GgufWriter every_type() {
  w::GgufWriter g;
  g.tensor("f32", w::kGgmlF32, {4, 2}, w::pattern_bytes(32));
  g.tensor("bf16", w::kGgmlBF16, {4}, w::pattern_bytes(8));
  g.tensor("q4_0", w::kGgmlQ4_0, {32}, w::pattern_bytes(18));
  g.tensor("q4_k", w::kGgmlQ4_K, {256}, w::pattern_bytes(144));
  g.tensor("q6_k", w::kGgmlQ6_K, {256, 1, 1, 1}, w::pattern_bytes(210));
  return g;
}

const char* kMistral = R"({"architectures": ["MistralForCausalLM"], "bos_token_id": 1,
 "eos_token_id": 2, "hidden_size": 4096, "intermediate_size": 14336,
 "max_position_embeddings": 32768, "num_attention_heads": 32, "num_hidden_layers": 32,
 "num_key_value_heads": 8, "rms_norm_eps": 1e-05, "rope_theta": 10000.0,
 "sliding_window": 4096, "tie_word_embeddings": false, "torch_dtype": "bfloat16",
 "vocab_size": 32000})";
const char* kLlama = R"({"architectures": ["LlamaForCausalLM"], "bos_token_id": 128000,
 "eos_token_id": [128001, 128009], "head_dim": 64, "hidden_size": 2048,
 "intermediate_size": 8192, "max_position_embeddings": 131072, "num_attention_heads": 32,
 "num_hidden_layers": 16, "num_key_value_heads": 8, "rms_norm_eps": 1e-05,
 "rope_scaling": {"factor": 32.0, "high_freq_factor": 4.0, "low_freq_factor": 1.0,
 "original_max_position_embeddings": 8192, "rope_type": "llama3"}, "rope_theta": 500000.0,
 "tie_word_embeddings": true, "dtype": "bfloat16", "vocab_size": 128256})";

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: %s <seed dir>\n", argv[0]);
    return 2;
  }
  const std::string dir = argv[1];
  w::GgufWriter v2 = llama_like();
  v2.version = 2;
  w::GgufWriter aligned = every_type();
  aligned.set_alignment(64);
  w::write_file(dir + "/gguf", "llama.gguf", llama_like().build());
  w::write_file(dir + "/gguf", "v2.gguf", v2.build());
  w::write_file(dir + "/gguf", "types.gguf", every_type().build());
  w::write_file(dir + "/gguf", "aligned.gguf", aligned.build());

  w::SafetensorsWriter st;
  st.metadata("format", "pt");
  st.tensor("model.embed_tokens.weight", "BF16", {2, 4}, w::pattern_bytes(16));
  st.tensor("model.norm.weight", "F32", {4}, w::pattern_bytes(16));
  st.tensor("lm_head.weight", "F16", {1, 1, 2, 4}, w::pattern_bytes(16));
  st.tensor("position_ids", "I64", {2}, w::pattern_bytes(16));
  w::write_file(dir + "/safetensors", "model.safetensors", st.build());
  w::write_file(dir + "/safetensors", "empty.safetensors", w::safetensors_raw("{}", {}));

  w::write_file(dir + "/config", "mistral.json", std::string(kMistral));
  w::write_file(dir + "/config", "llama.json", std::string(kLlama));
  std::printf("seeds written to %s/{gguf,safetensors,config}\n", dir.c_str());
  return 0;
}
