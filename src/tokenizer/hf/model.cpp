#include "tokenizer/hf/model.h"

#include "formats/json_util.h"

namespace mistralrs::hf {

Status read_vocab_object(const Json& j, const std::string& where, TokenMap& map, std::vector<std::string>& by_id,
                         std::vector<bool>& present) {
  auto it = j.find("vocab");
  if (it == j.end() || !it->is_object()) return invalid_argument("tokenizer.json: " + where + ".vocab must be an object");
  int64_t max_id = -1;
  for (auto e = it->begin(); e != it->end(); ++e) {
    if (!e.value().is_number_integer()) return invalid_argument("tokenizer.json: " + where + ".vocab['" + e.key() + "'] must be an integer id");
    const int64_t id = e.value().is_number_unsigned() && e.value().get<uint64_t>() > uint64_t(kMaxTokenId)
                           ? kMaxTokenId + 1
                           : e.value().get<int64_t>();
    if (id < 0 || id > kMaxTokenId) return invalid_argument("tokenizer.json: " + where + " id " + json_excerpt(e.value()) + " of '" + e.key() + "' is out of range");
    max_id = std::max(max_id, id);
  }
  map.reserve(it->size());
  by_id.assign(static_cast<size_t>(max_id + 1), std::string());
  present.assign(static_cast<size_t>(max_id + 1), false);
  for (auto e = it->begin(); e != it->end(); ++e) {
    const auto id = static_cast<int32_t>(e.value().get<int64_t>());
    map[e.key()] = id;
    by_id[static_cast<size_t>(id)] = e.key();
    present[static_cast<size_t>(id)] = true;
  }
  return Status::ok();
}

Expected<std::unique_ptr<Model>> parse_model(const Json& j) {
  if (!j.is_object()) return invalid_argument("tokenizer.json: \"model\" must be an object");
  std::string type;
  MISTRALRS_RETURN_IF_ERROR(read_string(j, "type", "model", type));
  if (type.empty()) {  // old files omit the type; tell the models apart by their fields
    if (j.contains("merges")) type = "BPE";
    else if (j.contains("vocab") && j["vocab"].is_array()) type = "Unigram";
    else if (j.contains("continuing_subword_prefix") || j.contains("max_input_chars_per_word")) type = "WordPiece";
  }
  if (type == "BPE") return parse_bpe(j);
  if (type == "WordPiece") return parse_wordpiece(j);
  if (type == "Unigram") return parse_unigram(j);
  if (type.empty()) return invalid_argument("tokenizer.json: model has no \"type\"");
  return unsupported("tokenizer.json: model type '" + type + "' is not supported");
}

}  // namespace mistralrs::hf
