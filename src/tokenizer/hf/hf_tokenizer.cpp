// The tokenizer.json pipeline, in tokenizers' order: added tokens are cut out of the raw text,
// the rest is normalized (then searched for normalized added tokens), pre-tokenized into pieces,
// and each piece goes through the model; the post-processor adds BOS/EOS when asked.
#include "tokenizer/hf/hf_tokenizer.h"

#include <fstream>
#include <sstream>

#include "formats/json_util.h"
#include "tokenizer/hf/added_vocab.h"
#include "tokenizer/hf/decoders.h"
#include "tokenizer/hf/model.h"
#include "tokenizer/hf/normalizers.h"
#include "tokenizer/hf/post_processor.h"
#include "tokenizer/hf/pre_tokenizers.h"
#include "tokenizer/hf/unicode.h"

namespace mistralrs {

namespace {

using hf::Json;

class HfTokenizer final : public Tokenizer {
 public:
  int32_t vocab_size() const override { return std::max(model_->id_limit(), added_.id_limit()); }
  Expected<std::vector<int32_t>> encode(std::string_view text, bool add_special, bool parse_special) const override;
  std::string token_bytes(int32_t id, bool render_special) const override;
  int32_t bos_id() const override { return bos_; }
  int32_t eos_id() const override { return eos_; }
  bool strips_leading_space() const override { return decoder_ && decoder_->strips_leading_space(); }
  std::string decode(const std::vector<int32_t>& ids, bool render_special) const override;

  Status build_token_bytes();

  std::unique_ptr<hf::Model> model_;
  std::unique_ptr<hf::Normalizer> normalizer_;
  std::unique_ptr<hf::PreTokenizer> pre_tokenizer_;
  std::unique_ptr<hf::Decoder> decoder_;
  hf::PostProcessor post_;
  hf::AddedVocabulary added_;
  std::vector<std::string> bytes_;  // per id: the token decoded as a continuation, raw bytes
  int32_t bos_ = -1, eos_ = -1;

 private:
  const std::string* token_text(int32_t id) const {
    const hf::AddedToken* a = added_.by_id(id);
    return a ? &a->content : model_->id_to_token(id);
  }
};

Expected<std::vector<int32_t>> HfTokenizer::encode(std::string_view text, bool add_special, bool parse_special) const {
  std::string repaired;
  if (!hf::is_valid_utf8(text)) {  // as Python's bytes.decode("utf-8", "replace") would
    repaired = hf::utf8_lossy(text);
    text = repaired;
  }
  std::vector<int32_t> ids;
  ids.reserve(text.size() / 3 + 4);
  // A per-call word cache pays off only when words repeat: on long texts (a short prompt's
  // words are mostly new, and filling the cache would cost more than it saves).
  constexpr size_t kCacheMinBytes = 4096;
  std::shared_ptr<void> cache = text.size() >= kCacheMinBytes ? model_->new_cache() : nullptr;
  std::vector<hf::Segment> raw, normal;
  std::vector<hf::Piece> pieces;
  added_.split(text, false, parse_special, raw);
  for (const hf::Segment& seg : raw) {
    if (seg.id >= 0) {
      ids.push_back(seg.id);
      continue;
    }
    std::string s(text.substr(seg.begin, seg.end - seg.begin));
    bool at_origin = seg.begin == 0;
    if (normalizer_) normalizer_->normalize(s, at_origin);
    normal.clear();
    added_.split(s, true, parse_special, normal);
    for (const hf::Segment& n : normal) {
      if (n.id >= 0) {
        ids.push_back(n.id);
        continue;
      }
      pieces.clear();
      pieces.push_back({s.substr(n.begin, n.end - n.begin), at_origin && n.begin == 0});
      if (pre_tokenizer_) pre_tokenizer_->pre_tokenize(pieces);
      for (const hf::Piece& p : pieces) {
        if (!p.text.empty()) MISTRALRS_RETURN_IF_ERROR(model_->tokenize(p.text, ids, cache.get()));
      }
    }
  }
  if (add_special) post_.apply(ids);
  return ids;
}

std::string HfTokenizer::token_bytes(int32_t id, bool render_special) const {
  if (id < 0 || size_t(id) >= bytes_.size()) return std::string();
  const hf::AddedToken* a = added_.by_id(id);
  if (a && a->special) return render_special ? a->content : std::string();
  return bytes_[size_t(id)];
}

std::string HfTokenizer::decode(const std::vector<int32_t>& ids, bool render_special) const {
  std::vector<std::string> tokens;
  tokens.reserve(ids.size());
  for (int32_t id : ids) {
    const std::string* t = token_text(id);
    if (!t) continue;
    const hf::AddedToken* a = added_.by_id(id);
    if (a && a->special && !render_special) continue;
    tokens.push_back(*t);
  }
  std::string out;
  if (decoder_) {
    decoder_->decode_chain(tokens, hf::DecodeOptions{});
    for (const std::string& t : tokens) out += t;
    return out;
  }
  for (size_t k = 0; k < tokens.size(); ++k) out += (k ? " " : "") + tokens[k];
  return out;
}

Status HfTokenizer::build_token_bytes() {
  const int32_t n = vocab_size();
  bytes_.assign(size_t(n), std::string());
  const hf::DecodeOptions o{true, true};
  std::vector<std::string> one;
  for (int32_t id = 0; id < n; ++id) {
    const std::string* t = token_text(id);
    if (!t) continue;
    if (!decoder_) {
      bytes_[size_t(id)] = *t;
      continue;
    }
    one.assign(1, *t);
    decoder_->decode_chain(one, o);
    for (const std::string& s : one) bytes_[size_t(id)] += s;
  }
  return Status::ok();
}

// "bos_token": "<s>", or {"content": "<s>", ...} as older (transformers 4) configs write it.
std::string config_token(const Json& cfg, const char* key) {
  auto it = cfg.find(key);
  if (it == cfg.end()) return std::string();
  if (it->is_string()) return it->get<std::string>();
  if (it->is_object() && it->contains("content") && it->find("content")->is_string()) return it->find("content")->get<std::string>();
  return std::string();
}

Status apply_config(const Json& cfg, HfTokenizer& t) {
  if (!cfg.is_object()) return invalid_argument("tokenizer_config.json must be an object");
  auto id_of = [&](const std::string& s) {
    if (s.empty()) return -1;
    const int32_t a = t.added_.id_of(s);
    return a >= 0 ? a : t.model_->token_to_id(s);
  };
  const int32_t bos = id_of(config_token(cfg, "bos_token"));
  const int32_t eos = id_of(config_token(cfg, "eos_token"));
  if (bos >= 0) t.bos_ = bos;
  if (eos >= 0) t.eos_ = eos;
  // add_bos_token / add_eos_token are not applied: transformers 5.24 keeps the post-processor
  // of tokenizer.json whatever they say (AutoTokenizer on tests/fixtures/tokenizer/
  // bytefallback_legacy with add_bos_token=false, add_eos_token=true still encodes "Hi" as
  // [1, 389, 306]), so the template above is the one to follow.
  auto ct = cfg.find("chat_template");
  if (ct != cfg.end() && ct->is_string()) {
    t.set_chat_template(ct->get<std::string>());
  } else if (ct != cfg.end() && ct->is_array()) {  // [{"name": ..., "template": ...}]
    for (const Json& e : *ct) {
      if (!e.is_object() || !e.contains("template") || !e.find("template")->is_string()) continue;
      const bool is_default = e.contains("name") && e.find("name")->is_string() && e.find("name")->get<std::string>() == "default";
      if (is_default || t.chat_template().empty()) t.set_chat_template(e.find("template")->get<std::string>());
    }
  }
  return Status::ok();
}

Expected<std::string> read_file(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  if (!f) return io_error("cannot open '" + path + "'");
  std::ostringstream ss;
  ss << f.rdbuf();
  if (f.bad()) return io_error("cannot read '" + path + "'");
  return ss.str();
}

}  // namespace

Expected<std::unique_ptr<Tokenizer>> load_hf_tokenizer(const nlohmann::json& j, const nlohmann::json* config) {
  if (!j.is_object()) return invalid_argument("tokenizer.json must be a JSON object");
  auto t = std::make_unique<HfTokenizer>();
  static const Json kNull;
  auto field = [&](const char* k) -> const Json& { auto it = j.find(k); return it == j.end() ? kNull : *it; };
  auto model = hf::parse_model(field("model"));
  if (!model) return model.status();
  t->model_ = std::move(model.value());
  auto norm = hf::parse_normalizer(field("normalizer"));
  if (!norm) return norm.status();
  t->normalizer_ = std::move(norm.value());
  auto pre = hf::parse_pre_tokenizer(field("pre_tokenizer"));
  if (!pre) return pre.status();
  t->pre_tokenizer_ = std::move(pre.value());
  auto dec = hf::parse_decoder(field("decoder"));
  if (!dec) return dec.status();
  t->decoder_ = std::move(dec.value());
  auto post = hf::parse_post_processor(field("post_processor"));
  if (!post) return post.status();
  t->post_ = std::move(post.value());
  MISTRALRS_RETURN_IF_ERROR(t->added_.load(field("added_tokens"), *t->model_, t->normalizer_.get()));
  for (const auto* ids : {&t->post_.before(), &t->post_.after()})
    for (int32_t id : *ids)
      if (id < 0 || id >= t->vocab_size())
        return invalid_argument("post_processor: special token id " + std::to_string(id) + " is outside the vocabulary of " +
                                std::to_string(t->vocab_size()));
  if (!t->post_.before().empty()) t->bos_ = t->post_.before().front();
  if (!t->post_.after().empty()) t->eos_ = t->post_.after().back();
  if (config) MISTRALRS_RETURN_IF_ERROR(apply_config(*config, *t));
  MISTRALRS_RETURN_IF_ERROR(t->build_token_bytes());
  return std::unique_ptr<Tokenizer>(std::move(t));
}

Expected<std::unique_ptr<Tokenizer>> load_hf_tokenizer_file(const std::string& path) {
  auto text = read_file(path);
  if (!text) return text.status();
  nlohmann::json j;
  std::string err;
  if (!json_parse(text.value().data(), text.value().size(), j, err)) return invalid_argument(path + ": " + err);
  const size_t slash = path.find_last_of('/');
  const std::string cfg_path = (slash == std::string::npos ? std::string() : path.substr(0, slash + 1)) + "tokenizer_config.json";
  std::ifstream probe(cfg_path);
  if (!probe) return load_hf_tokenizer(j, nullptr);
  auto cfg_text = read_file(cfg_path);
  if (!cfg_text) return cfg_text.status();
  nlohmann::json cfg;
  if (!json_parse(cfg_text.value().data(), cfg_text.value().size(), cfg, err)) return invalid_argument(cfg_path + ": " + err);
  return load_hf_tokenizer(j, &cfg);
}

}  // namespace mistralrs
