// Helpers of the tokenizer tests: llama.cpp-style test vectors (NAME.gguf.inp holds strings
// separated by "\n__ggml_vocab_test__\n"; NAME.gguf.out holds one line of space-prefixed ids
// each), whole files, hex strings and id lists for messages.
#pragma once
#include <cstdint>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

namespace mistralrs::testing {

struct VocabCase {
  std::string text;
  std::vector<int32_t> ids;
};

inline std::vector<VocabCase> read_vocab_cases(const std::string& inp_path, const std::string& out_path) {
  std::ifstream fi(inp_path, std::ios::binary), fo(out_path, std::ios::binary);
  std::stringstream si;
  si << fi.rdbuf();
  const std::string all = si.str();
  const std::string sep = "\n__ggml_vocab_test__\n";
  std::vector<std::string> texts;
  for (size_t pos = 0;;) {
    const size_t next = all.find(sep, pos);
    if (next == std::string::npos) break;
    texts.push_back(all.substr(pos, next - pos));
    pos = next + sep.size();
  }
  std::vector<VocabCase> cases;
  std::string line;
  for (const std::string& t : texts) {
    if (!std::getline(fo, line)) break;
    VocabCase c{t, {}};
    std::istringstream ls(line);
    int32_t id;
    while (ls >> id) c.ids.push_back(id);
    cases.push_back(std::move(c));
  }
  return cases;
}

// The whole file as bytes (empty when it cannot be read).
inline std::string read_all(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  std::stringstream ss;
  ss << f.rdbuf();
  return ss.str();
}

// "e282ac" -> "\xe2\x82\xac" (the fixtures record texts, invalid UTF-8 included, as hex).
inline std::string from_hex(const std::string& hex) {
  std::string out;
  for (size_t i = 0; i + 1 < hex.size(); i += 2)
    out.push_back(static_cast<char>(std::stoi(hex.substr(i, 2), nullptr, 16)));
  return out;
}

// " 1 2 3" for failure messages.
inline std::string show(const std::vector<int32_t>& v) {
  std::string s;
  for (int32_t x : v) s += " " + std::to_string(x);
  return s;
}

}  // namespace mistralrs::testing
