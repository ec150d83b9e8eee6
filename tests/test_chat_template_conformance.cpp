// Real chat templates rendered by Python jinja2 as transformers configures it (see
// ../shared/conformance/README.md): every case must give the exact text, the raised message,
// or an error where the reference failed.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "common/paths.h"
#include "tokenizer/chat/chat_template.h"

namespace {

using mistralrs::chat::render_template;
using mistralrs::chat::RenderOptions;

constexpr int64_t kConformanceNow = 1795694400;  // 2026-11-26 12:00:00 UTC, as the reference used

std::string read_text(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// The first differing position with a little context on each side.
std::string short_diff(const std::string& got, const std::string& want) {
  size_t k = 0;
  while (k < got.size() && k < want.size() && got[k] == want[k]) ++k;
  size_t from = k > 40 ? k - 40 : 0;
  return "first difference at byte " + std::to_string(k) + "\n  got:  ..." + got.substr(from, 100) +
         "\n  want: ..." + want.substr(from, 100);
}

void run_cases(const std::string& jsonl, const std::string& template_dir) {
  const std::string root = mistralrs::testing::conformance_dir();
  if (root.empty()) GTEST_SKIP() << "../shared/conformance is absent; chat-template conformance not checked";
  const std::filesystem::path dir = std::filesystem::path(root) / "chat-templates";
  std::ifstream in(dir / jsonl);
  if (!in) GTEST_SKIP() << (dir / jsonl).string() << " is absent";
  RenderOptions options;
  options.now_unix_utc = kConformanceNow;
  std::string line;
  int cases = 0, failures = 0;
  while (std::getline(in, line)) {
    if (line.empty()) continue;
    auto c = nlohmann::ordered_json::parse(line);  // ordered: Python dicts keep key order
    const std::string name = c["template"].get<std::string>() + " / " + c["case"].get<std::string>();
    const std::string source = read_text(dir / "templates" / template_dir / c["template"].get<std::string>());
    auto r = render_template(source, c["context"], options);
    ++cases;
    std::string problem;
    if (c.contains("expected")) {
      const std::string want = c["expected"].get<std::string>();
      if (!r.is_ok()) problem = "error: " + r.status().message();
      else if (r.value() != want) problem = short_diff(r.value(), want);
    } else if (c.contains("raises")) {
      const std::string msg = c["raises"].get<std::string>();
      if (r.is_ok()) problem = "rendered, but the reference raised: " + msg;
      else if (r.status().message().find(msg) == std::string::npos)
        problem = "error without the raised message '" + msg + "': " + r.status().message();
    } else {
      if (r.is_ok()) problem = "rendered, but the reference failed with " + c["error"].get<std::string>();
    }
    if (!problem.empty()) {
      ++failures;
      ADD_FAILURE() << name << ": " << problem;
    }
  }
  EXPECT_GT(cases, 0) << "no cases in " << jsonl;
  std::cout << jsonl << ": " << cases - failures << "/" << cases << " cases pass\n";
}

TEST(ChatTemplateConformance, HuggingFaceTemplates) { run_cases("cases-hf.jsonl", "hf"); }

TEST(ChatTemplateConformance, MistralCommonTemplates) { run_cases("cases-mistral-common.jsonl", "mistral-common"); }

}  // namespace
