#include "tokenizer/tekken.h"

#include <oniguruma.h>

#include <algorithm>
#include <fstream>
#include <mutex>
#include <queue>
#include <sstream>
#include <unordered_set>

#include "formats/json_util.h"
#include "tokenizer/utf8_stream.h"

namespace mistralrs {

// The word-splitting pattern, compiled once (Oniguruma, UTF-8, Ruby syntax: \p{..}
// categories and look-ahead, as tiktoken's fancy-regex patterns need).
class TekkenRegex {
 public:
  ~TekkenRegex() {
    if (re_) onig_free(re_);
  }
  static Expected<std::unique_ptr<TekkenRegex>> compile(const std::string& pattern, const std::string& origin) {
    static std::once_flag init;
    std::call_once(init, [] {
      OnigEncoding enc[] = {ONIG_ENCODING_UTF8};
      onig_initialize(enc, 1);
    });
    auto r = std::unique_ptr<TekkenRegex>(new TekkenRegex());
    OnigErrorInfo info;
    const auto* p = reinterpret_cast<const OnigUChar*>(pattern.data());
    const int rc = onig_new(&r->re_, p, p + pattern.size(), ONIG_OPTION_NONE, ONIG_ENCODING_UTF8,
                            ONIG_SYNTAX_DEFAULT, &info);
    if (rc != ONIG_NORMAL) {
      OnigUChar msg[ONIG_MAX_ERROR_MESSAGE_LEN];
      onig_error_code_to_str(msg, rc, &info);
      r->re_ = nullptr;
      return invalid_argument(origin + ": bad config.pattern: " + reinterpret_cast<char*>(msg));
    }
    return r;
  }
  // Calls f(word) for each successive non-overlapping match; text between matches is not
  // part of any word (tiktoken skips it too). False when the matcher fails.
  template <class F>
  bool for_each_match(std::string_view text, F&& f) const {
    OnigRegion* region = onig_region_new();
    const auto* s = reinterpret_cast<const OnigUChar*>(text.data());
    const OnigUChar* end = s + text.size();
    bool ok = true;
    for (const OnigUChar* at = s; at < end;) {
      const int r = onig_search(re_, s, end, at, end, region, ONIG_OPTION_NONE);
      if (r == ONIG_MISMATCH) break;
      if (r < 0) {
        ok = false;
        break;
      }
      const size_t b = static_cast<size_t>(region->beg[0]), e = static_cast<size_t>(region->end[0]);
      if (e > b) f(text.substr(b, e - b));
      // An empty match moves on by one UTF-8 character.
      at = s + (e > b ? e : e + static_cast<size_t>(std::max(1, utf8_char_length(text.substr(e)))));
    }
    onig_region_free(region, 1);
    return ok;
  }

 private:
  TekkenRegex() = default;
  OnigRegex re_ = nullptr;
};

namespace {

using nlohmann::json;

// Standard base64 (RFC 4648, with padding); nullopt-like false on any other character.
bool base64_decode(std::string_view in, std::string& out) {
  auto value = [](char c) -> int {
    if (c >= 'A' && c <= 'Z') return c - 'A';
    if (c >= 'a' && c <= 'z') return c - 'a' + 26;
    if (c >= '0' && c <= '9') return c - '0' + 52;
    if (c == '+') return 62;
    if (c == '/') return 63;
    return -1;
  };
  out.clear();
  while (!in.empty() && in.back() == '=') in.remove_suffix(1);
  uint32_t acc = 0;
  int bits = 0;
  for (char c : in) {
    const int v = value(c);
    if (v < 0) return false;
    acc = (acc << 6) | static_cast<uint32_t>(v);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out.push_back(static_cast<char>((acc >> bits) & 0xFF));
    }
  }
  return true;
}

// Special tokens of tekken files older than v7 that do not list them (mistral-common's list).
constexpr const char* kDefaultSpecials[] = {
    "<unk>", "<s>", "</s>", "[INST]", "[/INST]", "[AVAILABLE_TOOLS]", "[/AVAILABLE_TOOLS]",
    "[TOOL_RESULTS]", "[/TOOL_RESULTS]", "[TOOL_CALLS]", "[IMG]", "<pad>", "[IMG_BREAK]", "[IMG_END]",
    "[PREFIX]", "[MIDDLE]", "[SUFFIX]", "[SYSTEM_PROMPT]", "[/SYSTEM_PROMPT]", "[TOOL_CONTENT]"};

Expected<int64_t> config_int(const json& config, const char* key, const std::string& origin) {
  const auto it = config.find(key);
  if (it == config.end() || !it->is_number_integer())
    return invalid_argument(origin + ": config." + key + " is missing or not an integer");
  return it->get<int64_t>();
}

}  // namespace

TekkenTokenizer::TekkenTokenizer() = default;
TekkenTokenizer::~TekkenTokenizer() = default;

Expected<std::unique_ptr<TekkenTokenizer>> TekkenTokenizer::from_file(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  if (!f) return io_error("'" + path + "': cannot open the tekken file");
  std::stringstream ss;
  ss << f.rdbuf();
  const std::string text = ss.str();
  json j;
  std::string error;
  if (!json_parse(text.data(), text.size(), j, error)) return invalid_argument("'" + path + "': " + error);
  return from_json(j, "'" + path + "'");
}

Expected<std::unique_ptr<TekkenTokenizer>> TekkenTokenizer::from_json(const json& j, const std::string& origin) {
  std::unique_ptr<TekkenTokenizer> t(new TekkenTokenizer());
  try {
    MISTRALRS_RETURN_IF_ERROR(t->load(j, origin));
  } catch (const std::exception& e) {  // a wrongly typed field
    return invalid_argument(origin + ": malformed tekken file: " + e.what());
  }
  return t;
}

Status TekkenTokenizer::load(const json& j, const std::string& origin) {
  if (!j.is_object() || !j.contains("config") || !j["config"].is_object() || !j.contains("vocab") ||
      !j["vocab"].is_array())
    return invalid_argument(origin + ": a tekken file needs an object 'config' and an array 'vocab'");
  const json& config = j["config"];
  if (!config.contains("pattern") || !config["pattern"].is_string())
    return invalid_argument(origin + ": config.pattern is missing");
  auto vocab_size = config_int(config, "default_vocab_size", origin);
  if (!vocab_size) return vocab_size.status();
  auto num_special = config_int(config, "default_num_special_tokens", origin);
  if (!num_special) return num_special.status();
  const json& vocab = j["vocab"];
  // The ordinary vocabulary is cut to default_vocab_size - num_special entries. Real files
  // have 1000 special ids; more than 2^20 would only make filler tokens.
  constexpr int64_t kMaxSpecial = int64_t{1} << 20;
  if (num_special.value() < 0 || num_special.value() > kMaxSpecial || vocab_size.value() < 0 ||
      vocab_size.value() > INT32_MAX)
    return invalid_argument(origin + ": default_vocab_size " + std::to_string(vocab_size.value()) +
                            " or default_num_special_tokens " + std::to_string(num_special.value()) +
                            " is out of range (0..2^31-1, 0..2^20)");
  const int64_t inner = vocab_size.value() - num_special.value();
  if (inner < 256 || inner > static_cast<int64_t>(vocab.size()))
    return invalid_argument(origin + ": default_vocab_size " + std::to_string(vocab_size.value()) + " with " +
                            std::to_string(num_special.value()) + " special tokens does not fit a vocab of " +
                            std::to_string(vocab.size()) + " entries (at least the 256 bytes)");
  vocab_size_ = static_cast<int32_t>(vocab_size.value());
  rank_bytes_.resize(static_cast<size_t>(inner));
  for (int64_t r = 0; r < inner; ++r) {
    const json& e = vocab[static_cast<size_t>(r)];
    if (!e.is_object() || e.value("rank", int64_t{-1}) != r || !e.contains("token_bytes") ||
        !e["token_bytes"].is_string())
      return invalid_argument(origin + ": vocab[" + std::to_string(r) + "] needs rank " + std::to_string(r) +
                              " and base64 token_bytes");
    std::string& bytes = rank_bytes_[static_cast<size_t>(r)];
    if (!base64_decode(e["token_bytes"].get<std::string>(), bytes) || bytes.empty())
      return invalid_argument(origin + ": vocab[" + std::to_string(r) + "].token_bytes is not base64 bytes");
    if (r < 256 && bytes != std::string(1, static_cast<char>(r)))
      return invalid_argument(origin + ": the first 256 ranks must be the single bytes in order");
    if (!ranks_.emplace(bytes, static_cast<int32_t>(r)).second)
      return invalid_argument(origin + ": vocab[" + std::to_string(r) + "] repeats a byte string");
  }
  MISTRALRS_RETURN_IF_ERROR(load_specials(j, origin));
  if (static_cast<int64_t>(specials_.size()) != num_special.value())
    return internal_error(origin + ": special token count");
  auto compiled = TekkenRegex::compile(config["pattern"].get<std::string>(), origin);
  if (!compiled) return compiled.status();
  regex_ = std::move(compiled.value());
  return Status::ok();
}

// special_tokens: [{rank, token_str, is_control}] with rank == index; missing entries up to
// num_special are fillers "<SPECIAL_id>" (as mistral-common adds them).
Status TekkenTokenizer::load_specials(const json& j, const std::string& origin) {
  const int64_t num_special = j["config"]["default_num_special_tokens"].get<int64_t>();
  std::vector<std::string> listed;
  if (j.contains("special_tokens") && !j["special_tokens"].is_null()) {
    if (!j["special_tokens"].is_array()) return invalid_argument(origin + ": special_tokens is not an array");
    for (const json& s : j["special_tokens"]) {
      if (!s.is_object() || !s.contains("token_str") || !s["token_str"].is_string() ||
          s.value("rank", int64_t{-1}) != static_cast<int64_t>(listed.size()))
        return invalid_argument(origin + ": special_tokens[" + std::to_string(listed.size()) +
                                "] needs rank " + std::to_string(listed.size()) + " and token_str");
      listed.push_back(s["token_str"].get<std::string>());
    }
  } else {
    listed.assign(std::begin(kDefaultSpecials), std::end(kDefaultSpecials));
  }
  if (static_cast<int64_t>(listed.size()) > num_special)
    return invalid_argument(origin + ": " + std::to_string(listed.size()) + " special tokens for " +
                            std::to_string(num_special) + " special ids");
  for (int64_t i = static_cast<int64_t>(listed.size()); i < num_special; ++i)
    listed.push_back("<SPECIAL_" + std::to_string(i) + ">");
  specials_ = std::move(listed);
  std::unordered_set<std::string_view> seen;
  for (size_t i = 0; i < specials_.size(); ++i) {
    if (!seen.insert(specials_[i]).second)
      return invalid_argument(origin + ": special token '" + specials_[i] + "' appears twice");
    if (specials_[i] == "<s>") bos_ = static_cast<int32_t>(i);
    if (specials_[i] == "</s>") eos_ = static_cast<int32_t>(i);
    if (!specials_[i].empty()) specials_by_length_.push_back(static_cast<int32_t>(i));
  }
  std::stable_sort(specials_by_length_.begin(), specials_by_length_.end(),
                   [&](int32_t a, int32_t b) { return specials_[a].size() > specials_[b].size(); });
  return Status::ok();
}

int32_t TekkenTokenizer::rank_of(std::string_view bytes) const {
  const auto it = ranks_.find(bytes);
  return it == ranks_.end() ? -1 : it->second;
}

// Pairwise merging with a heap: O(n log n) in the word length (a long whitespace run is one
// word). Symbols are identified by their start offset; an entry is stale when either symbol
// has changed since it was pushed. Ties go to the leftmost pair, as in tiktoken.
void TekkenTokenizer::encode_word(std::string_view word, std::vector<int32_t>& out) const {
  const int32_t n = static_cast<int32_t>(word.size());
  const int32_t whole = rank_of(word);
  if (whole >= 0) {
    out.push_back(whole + num_special_tokens());
    return;
  }
  std::vector<int32_t> next(n), prev(n);  // next[s]: start of the following symbol (n at end)
  std::vector<char> alive(n, 1);
  for (int32_t i = 0; i < n; ++i) next[i] = i + 1, prev[i] = i - 1;
  struct Entry {
    int32_t rank, left, right_end;
    bool operator>(const Entry& o) const { return rank != o.rank ? rank > o.rank : left > o.left; }
  };
  std::priority_queue<Entry, std::vector<Entry>, std::greater<>> heap;
  auto push = [&](int32_t left) {
    if (left < 0 || next[left] >= n) return;
    const int32_t end = next[next[left]];
    const int32_t r = rank_of(word.substr(left, end - left));
    if (r >= 0) heap.push({r, left, end});
  };
  for (int32_t i = 0; i + 1 < n; ++i) push(i);
  while (!heap.empty()) {
    const Entry e = heap.top();
    heap.pop();
    if (!alive[e.left] || next[e.left] >= n || next[next[e.left]] != e.right_end) continue;
    const int32_t right = next[e.left];
    alive[right] = 0;
    next[e.left] = e.right_end;
    if (e.right_end < n) prev[e.right_end] = e.left;
    push(prev[e.left]);
    push(e.left);
  }
  for (int32_t s = 0; s < n; s = next[s]) out.push_back(rank_of(word.substr(s, next[s] - s)) + num_special_tokens());
}

Status TekkenTokenizer::encode_ordinary(std::string_view text, std::vector<int32_t>& out) const {
  if (regex_->for_each_match(text, [&](std::string_view word) { encode_word(word, out); })) return Status::ok();
  return invalid_argument("tekken: the word pattern failed on the input text");
}

namespace {

// Invalid UTF-8 sequences become U+FFFD (as Python's bytes.decode(errors="replace") would
// before mistral-common sees a str); the matcher is only ever given valid UTF-8.
std::string valid_utf8(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (size_t i = 0; i < text.size();) {
    const int n = utf8_char_length(text.substr(i));
    if (n > 0) {
      out.append(text.substr(i, static_cast<size_t>(n)));
      i += static_cast<size_t>(n);
    } else {
      out += "\xEF\xBF\xBD";
      ++i;
    }
  }
  return out;
}

}  // namespace

// add_special: BOS only (mistral-common's encode(text, bos=True, eos=False), how prompts start).
Expected<std::vector<int32_t>> TekkenTokenizer::encode(std::string_view raw, bool add_special,
                                                       bool parse_special) const {
  const std::string valid = valid_utf8(raw);
  const std::string_view text = valid;
  std::vector<int32_t> out;
  if (add_special && bos_ >= 0) out.push_back(bos_);
  size_t start = 0;
  if (parse_special) {
    for (size_t i = 0; i < text.size();) {
      const auto hit = std::find_if(specials_by_length_.begin(), specials_by_length_.end(),
                                    [&](int32_t id) { return text.substr(i).starts_with(specials_[id]); });
      if (hit == specials_by_length_.end()) {
        ++i;
        continue;
      }
      MISTRALRS_RETURN_IF_ERROR(encode_ordinary(text.substr(start, i - start), out));
      out.push_back(*hit);
      i += specials_[*hit].size();
      start = i;
    }
  }
  MISTRALRS_RETURN_IF_ERROR(encode_ordinary(text.substr(start), out));
  return out;
}

std::string TekkenTokenizer::token_bytes(int32_t id, bool render_special) const {
  if (id < 0 || id >= vocab_size_) return "";
  if (id < num_special_tokens()) return render_special ? specials_[id] : "";
  return rank_bytes_[static_cast<size_t>(id - num_special_tokens())];
}

}  // namespace mistralrs
