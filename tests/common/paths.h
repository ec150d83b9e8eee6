// Where tests find data: committed fixtures and the shared conformance suite.
#pragma once
#include <filesystem>
#include <string>

namespace mistralrs::testing {

inline std::string fixture_path(const std::string& rel) {
  return std::string(MISTRALRS_SOURCE_DIR) + "/tests/fixtures/" + rel;
}

// ../shared/conformance beside the project root; empty when absent.
inline std::string conformance_dir() {
  const std::filesystem::path p = std::filesystem::path(MISTRALRS_SOURCE_DIR).parent_path() / "shared" / "conformance";
  std::error_code ec;
  return std::filesystem::is_directory(p, ec) ? p.string() : std::string();
}

// The llama.cpp vocabulary files of the conformance suite, with a trailing '/'; empty when
// the suite is absent.
inline std::string llama_cpp_vocab_dir() {
  const std::string c = conformance_dir();
  return c.empty() ? c : c + "/tokenizer/llama.cpp-vocab/";
}

}  // namespace mistralrs::testing
