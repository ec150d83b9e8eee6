// Reads llama.cpp-style tokenizer test vectors: NAME.gguf.inp holds strings separated by
// "\n__ggml_vocab_test__\n"; NAME.gguf.out holds one line of space-prefixed ids each.
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

}  // namespace mistralrs::testing
