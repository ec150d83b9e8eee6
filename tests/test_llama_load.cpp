// Loading a Llama model from bad inputs: each gives a status whose message names the file
// and the problem, never a crash. Also cancellation inside prefill.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "common/paths.h"
#include "pipeline/text_session.h"

namespace mistralrs {
namespace {

namespace fs = std::filesystem;

// A copy of the llama_gqa HF directory whose config.json is edited by `edit`.
std::string edited_copy(const std::string& name, const std::function<void(nlohmann::json&)>& edit) {
  const fs::path src = testing::fixture_path("text/llama_gqa/hf_f32");
  const fs::path dst = fs::path(::testing::TempDir()) / ("mistralrs_" + name);
  fs::remove_all(dst);
  fs::create_directories(dst);
  fs::copy_file(src / "model.safetensors", dst / "model.safetensors");
  std::ifstream in(src / "config.json");
  nlohmann::json j = nlohmann::json::parse(in);
  edit(j);
  std::ofstream(dst / "config.json") << j.dump(2);
  return dst.string();
}

Status load_status(const std::string& path) {
  auto m = LlamaModel::load(path);
  return m ? Status::ok() : m.status();
}

TEST(LlamaLoad, InconsistentHeadCounts) {
  const std::string p = edited_copy("heads", [](nlohmann::json& j) { j["num_key_value_heads"] = 3; });
  const Status s = load_status(p);
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument);
  EXPECT_NE(s.message().find("num_key_value_heads"), std::string::npos) << s.message();
  EXPECT_NE(s.message().find("config.json"), std::string::npos) << s.message();
}

TEST(LlamaLoad, ShapeMismatchNamesTheTensor) {
  const std::string p = edited_copy("shape", [](nlohmann::json& j) { j["intermediate_size"] = 96; });
  const Status s = load_status(p);
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument);
  EXPECT_NE(s.message().find("mlp.gate_proj.weight"), std::string::npos) << s.message();
  EXPECT_NE(s.message().find("model.safetensors"), std::string::npos) << s.message();
}

TEST(LlamaLoad, MissingTensor) {
  const std::string p = edited_copy("layers", [](nlohmann::json& j) { j["num_hidden_layers"] = 3; });
  const Status s = load_status(p);
  EXPECT_NE(s.code(), StatusCode::kOk);
  EXPECT_NE(s.message().find("model.layers.2."), std::string::npos) << s.message();
}

TEST(LlamaLoad, UnknownArchitecture) {
  const std::string p = edited_copy("arch", [](nlohmann::json& j) { j["architectures"] = {"GPT2LMHeadModel"}; });
  const Status s = load_status(p);
  EXPECT_EQ(s.code(), StatusCode::kUnsupported);
  EXPECT_NE(s.message().find("GPT2LMHeadModel"), std::string::npos) << s.message();
}

TEST(LlamaLoad, NotAModel) {
  EXPECT_EQ(load_status("/nonexistent/path").code(), StatusCode::kIo);
  const Status s = load_status(testing::fixture_path("text/README.md"));
  EXPECT_EQ(s.code(), StatusCode::kUnsupported);
  EXPECT_NE(s.message().find("README.md"), std::string::npos) << s.message();
}

// A cancel flag that is already set stops prefill before the first layer; nothing is
// committed, and the session works normally afterwards.
TEST(LlamaLoad, CancelDuringPrefillCommitsNothing) {
  auto tm = TextModel::load(testing::fixture_path("text/llama_gqa/gguf_f32.gguf"));
  ASSERT_TRUE(tm) << tm.status().to_string();
  auto s = TextSession::create(*tm.value(), nullptr, 64, 8);
  ASSERT_TRUE(s);
  std::vector<int32_t> prompt(20, 5);
  std::atomic<bool> cancel{true};
  const Status st = s.value()->eval(prompt.data(), prompt.size(), nullptr, &cancel);
  EXPECT_EQ(st.code(), StatusCode::kCancelled);
  EXPECT_EQ(s.value()->n_past(), 0);
  cancel = false;
  EXPECT_TRUE(s.value()->eval(prompt.data(), prompt.size(), nullptr, &cancel).is_ok());
  EXPECT_EQ(s.value()->n_past(), 20);
}

}  // namespace
}  // namespace mistralrs
