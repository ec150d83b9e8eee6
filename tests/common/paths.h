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

}  // namespace mistralrs::testing
