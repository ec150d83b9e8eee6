#include "tokenizer/load.h"

#include <cstring>
#include <filesystem>
#include <fstream>
#include <optional>
#include <sstream>

#include "formats/gguf.h"
#include "formats/json_util.h"
#include "tokenizer/gguf_vocab.h"
#include "tokenizer/hf/hf_tokenizer.h"
#include "tokenizer/sentencepiece_model.h"
#include "tokenizer/tekken.h"

namespace mistralrs {

namespace {

namespace fs = std::filesystem;
using nlohmann::json;

// "'path'" for messages (built by appending: GCC 12 warns falsely on "'" + string + ...).
std::string quote_path(const fs::path& p) {
  std::string q(1, '\'');
  q += p.string();
  q += '\'';
  return q;
}

bool is_file(const fs::path& p) {
  std::error_code ec;
  return fs::is_regular_file(p, ec);
}

Expected<std::string> read_file(const fs::path& p) {
  std::ifstream f(p, std::ios::binary);
  if (!f) return io_error(quote_path(p) + ": cannot open");
  std::stringstream s;
  s << f.rdbuf();
  if (f.bad()) return io_error(quote_path(p) + ": read error");
  return s.str();
}

// `origin` names the text in messages.
Expected<json> parse_json_object(std::string_view text, const std::string& origin) {
  json j;
  std::string error;
  if (!json_parse(text.data(), text.size(), j, error)) return invalid_argument(origin + ": " + error);
  if (!j.is_object()) return invalid_argument(origin + ": expected a JSON object, got " + json_type_name(j));
  return j;
}

Expected<json> read_json(const fs::path& p) {
  auto text = read_file(p);
  if (!text) return text.status();
  return parse_json_object(text.value(), quote_path(p));
}

// tokenizer_config.json in `dir`; nullopt when there is none.
Expected<std::optional<json>> read_config(const fs::path& dir) {
  const fs::path p = dir / "tokenizer_config.json";
  if (!is_file(p)) return std::optional<json>();
  auto j = read_json(p);
  if (!j) return j.status();
  return std::optional<json>(std::move(j.value()));
}

// chat_template is a string, or (older files) a list of {name, template}: "default" wins.
std::string config_template(const json& cfg) {
  const auto it = cfg.find("chat_template");
  if (it == cfg.end()) return "";
  if (it->is_string()) return it->get<std::string>();
  if (!it->is_array()) return "";
  std::string first;
  for (const json& t : *it) {
    if (!t.is_object() || !t.contains("template") || !t["template"].is_string()) continue;
    if (t.value("name", std::string()) == "default") return t["template"].get<std::string>();
    if (first.empty()) first = t["template"].get<std::string>();
  }
  return first;
}

// chat_template.jinja beside the tokenizer wins over tokenizer_config.json (transformers 5).
Status attach_chat_template(Tokenizer& t, const fs::path& dir, const std::optional<json>& cfg) {
  const fs::path jinja = dir / "chat_template.jinja";
  if (is_file(jinja)) {
    auto text = read_file(jinja);
    if (!text) return text.status();
    t.set_chat_template(std::move(text.value()));
  } else if (cfg && t.chat_template().empty()) {
    t.set_chat_template(config_template(*cfg));
  }
  return Status::ok();
}

bool config_bool(const std::optional<json>& cfg, const char* key, bool fallback) {
  if (!cfg) return fallback;
  const auto it = cfg->find(key);
  return it != cfg->end() && it->is_boolean() ? it->get<bool>() : fallback;
}

Expected<std::unique_ptr<Tokenizer>> with_config(Expected<std::unique_ptr<SentencePieceModel>> m,
                                                  const std::optional<json>& cfg) {
  if (!m) return m.status();
  m.value()->set_add_special(config_bool(cfg, "add_bos_token", true), config_bool(cfg, "add_eos_token", false));
  return std::unique_ptr<Tokenizer>(std::move(m.value()));
}

bool looks_like_tekken(const json& j) {
  return j.contains("config") && j["config"].is_object() && j.contains("vocab") && j["vocab"].is_array();
}

Expected<std::unique_ptr<Tokenizer>> load_sentencepiece(const fs::path& p, const std::optional<json>& cfg) {
  return with_config(SentencePieceModel::from_file(p.string()), cfg);
}

Expected<std::unique_ptr<Tokenizer>> json_tokenizer(const json& j, const std::string& origin,
                                                    const std::optional<json>& cfg) {
  if (looks_like_tekken(j)) {
    auto t = TekkenTokenizer::from_json(j, origin);
    if (!t) return t.status();
    return std::unique_ptr<Tokenizer>(std::move(t.value()));
  }
  auto t = load_hf_tokenizer(j, cfg ? &*cfg : nullptr);
  if (!t) return Status(t.status().code(), origin + ": " + t.status().message());
  return t;
}

Expected<std::unique_ptr<Tokenizer>> load_json_tokenizer(const fs::path& p, const std::optional<json>& cfg) {
  auto j = read_json(p);
  if (!j) return j.status();
  return json_tokenizer(j.value(), quote_path(p), cfg);
}

Expected<std::unique_ptr<Tokenizer>> gguf_tokenizer(Expected<std::unique_ptr<GgufFile>> g, const std::string& origin) {
  if (!g) return g.status();
  auto t = tokenizer_from_gguf(*g.value());
  if (!t) return t.status();
  if (!t.value()) return invalid_argument(origin + ": the GGUF file has no tokenizer (tokenizer.ggml.tokens)");
  return t;
}

Expected<std::unique_ptr<Tokenizer>> load_gguf(const fs::path& p) {
  return gguf_tokenizer(GgufFile::open(p.string()), quote_path(p));
}

enum class FileKind { kGguf, kJson, kSentencePiece };

// Told apart by the first bytes: GGUF magic, a JSON object, else a SentencePiece ModelProto.
Expected<FileKind> kind_of(std::string_view head, const std::string& origin) {
  if (head.starts_with("GGUF")) return FileKind::kGguf;
  const size_t first = head.find_first_not_of(" \t\r\n");
  if (first != std::string_view::npos && head[first] == '{') return FileKind::kJson;
  if (head.empty()) return invalid_argument(origin + ": empty file");
  return FileKind::kSentencePiece;
}

Expected<FileKind> sniff(const fs::path& p) {
  std::ifstream f(p, std::ios::binary);
  if (!f) return io_error(quote_path(p) + ": cannot open");
  char head[64] = {};
  f.read(head, sizeof(head));
  return kind_of(std::string_view(head, static_cast<size_t>(f.gcount())), quote_path(p));
}

Expected<std::unique_ptr<Tokenizer>> load_file(const fs::path& p) {
  auto kind = sniff(p);
  if (!kind) return kind.status();
  if (kind.value() == FileKind::kGguf) return load_gguf(p);
  const fs::path dir = p.parent_path().empty() ? fs::path(".") : p.parent_path();
  auto cfg = read_config(dir);
  if (!cfg) return cfg.status();
  auto t = kind.value() == FileKind::kJson ? load_json_tokenizer(p, cfg.value()) : load_sentencepiece(p, cfg.value());
  if (!t) return t.status();
  MISTRALRS_RETURN_IF_ERROR(attach_chat_template(*t.value(), dir, cfg.value()));
  return t;
}

constexpr const char* kTokenizerFiles[] = {"tokenizer.json", "tekken.json", "tokenizer.model"};

}  // namespace

bool has_tokenizer_files(const std::string& dir) {
  for (const char* name : kTokenizerFiles)
    if (is_file(fs::path(dir) / name)) return true;
  return false;
}

Expected<std::unique_ptr<Tokenizer>> load_tokenizer(const std::string& path) {
  std::error_code ec;
  const fs::path p(path);
  try {
    if (fs::is_directory(p, ec)) {
      for (const char* name : kTokenizerFiles)
        if (is_file(p / name)) return load_file(p / name);
      return io_error(quote_path(path) + ": no tokenizer.json, tekken.json or tokenizer.model in the directory");
    }
    if (!fs::exists(p, ec)) return io_error(quote_path(path) + ": no such file or directory");
    return load_file(p);
  } catch (const std::exception& e) {  // bad_alloc, or a JSON accessor on an unexpected type
    return invalid_argument(quote_path(path) + ": cannot load the tokenizer: " + e.what());
  }
}

Expected<std::unique_ptr<Tokenizer>> load_tokenizer_from_memory(std::string_view bytes, std::string_view config_json) {
  const std::string origin = "the tokenizer buffer";
  try {
    std::optional<json> cfg;
    if (!config_json.empty()) {
      auto c = parse_json_object(config_json, "the tokenizer config");
      if (!c) return c.status();
      cfg = std::move(c.value());
    }
    auto kind = kind_of(bytes.substr(0, 64), origin);
    if (!kind) return kind.status();
    Expected<std::unique_ptr<Tokenizer>> t = invalid_argument(origin);
    if (kind.value() == FileKind::kGguf) {
      auto storage = AlignedStorage::create(bytes.size());  // GGUF parsing wants aligned bytes
      if (!storage) return storage.status();
      std::memcpy(storage.value()->data(), bytes.data(), bytes.size());
      t = gguf_tokenizer(GgufFile::parse(std::move(storage.value()), origin), origin);
    } else if (kind.value() == FileKind::kJson) {
      auto j = parse_json_object(bytes, origin);
      if (!j) return j.status();
      t = json_tokenizer(j.value(), origin, cfg);
    } else {
      t = with_config(SentencePieceModel::from_serialized(bytes, origin), cfg);
    }
    if (!t) return t.status();
    if (cfg && t.value()->chat_template().empty()) t.value()->set_chat_template(config_template(*cfg));
    return t;
  } catch (const std::exception& e) {
    return invalid_argument(origin + ": cannot load the tokenizer: " + e.what());
  }
}

}  // namespace mistralrs
