#include "tokenizer/hf/post_processor.h"

#include <string>

namespace mistralrs::hf {

namespace {

Status read_pair_id(const Json& j, const char* key, std::vector<int32_t>& out) {
  auto it = j.find(key);
  if (it == j.end() || !it->is_array() || it->size() != 2 || !(*it)[1].is_number_integer() ||
      (*it)[1].get<int64_t>() < 0 || (*it)[1].get<int64_t>() > INT32_MAX) {
    return invalid_argument(std::string("tokenizer.json: post_processor.") + key + " must be [token, id]");
  }
  out.push_back(static_cast<int32_t>((*it)[1].get<int64_t>()));
  return Status::ok();
}

Expected<PostProcessor> parse_template(const Json& j) {
  auto single = j.find("single");
  if (single == j.end() || !single->is_array()) return invalid_argument("tokenizer.json: TemplateProcessing needs a \"single\" array");
  auto specials = j.find("special_tokens");
  std::vector<int32_t> before, after;
  bool seen_a = false;
  for (const Json& piece : *single) {
    if (piece.is_object() && piece.contains("Sequence")) {
      if (seen_a) return unsupported("tokenizer.json: TemplateProcessing with $A twice is not supported");
      seen_a = true;
      continue;
    }
    const Json* st = piece.is_object() && piece.contains("SpecialToken") ? &piece.find("SpecialToken").value() : nullptr;
    if (!st || !st->is_object() || !st->contains("id") || !st->find("id")->is_string()) {
      return invalid_argument("tokenizer.json: TemplateProcessing piece must be a Sequence or a SpecialToken");
    }
    const std::string name = st->find("id")->get<std::string>();
    if (specials == j.end() || !specials->is_object() || !specials->contains(name)) {
      return invalid_argument("tokenizer.json: TemplateProcessing special token '" + name + "' is not in special_tokens");
    }
    const Json& entry = specials->find(name).value();
    static const Json kNone;
    const Json& ids = entry.is_object() && entry.contains("ids") ? entry.find("ids").value() : kNone;
    if (!ids.is_array()) return invalid_argument("tokenizer.json: special_tokens['" + name + "'].ids must be an array");
    for (const Json& id : ids) {
      if (!id.is_number_integer() || id.get<int64_t>() < 0 || id.get<int64_t>() > INT32_MAX) {
        return invalid_argument("tokenizer.json: special_tokens['" + name + "'].ids must hold token ids");
      }
      (seen_a ? after : before).push_back(static_cast<int32_t>(id.get<int64_t>()));
    }
  }
  return PostProcessor(std::move(before), std::move(after));
}

}  // namespace

Expected<PostProcessor> parse_post_processor(const Json& j, int depth) {
  if (j.is_null()) return PostProcessor();
  std::string type;
  MISTRALRS_RETURN_IF_ERROR(read_type(j, "post_processor", type));
  if (type == "TemplateProcessing") return parse_template(j);
  if (type == "ByteLevel") return PostProcessor();
  if (type == "BertProcessing" || type == "RobertaProcessing") {
    std::vector<int32_t> cls, sep;
    MISTRALRS_RETURN_IF_ERROR(read_pair_id(j, "cls", cls));
    MISTRALRS_RETURN_IF_ERROR(read_pair_id(j, "sep", sep));
    return PostProcessor(std::move(cls), std::move(sep));
  }
  if (type == "Sequence") {
    if (depth >= kMaxNesting) return invalid_argument("tokenizer.json: post-processor sequences nest too deep");
    auto it = j.find("processors");
    if (it == j.end() || !it->is_array()) return invalid_argument("tokenizer.json: Sequence post-processor needs a \"processors\" array");
    std::vector<int32_t> before, after;
    for (const Json& sub : *it) {
      auto p = parse_post_processor(sub, depth + 1);
      if (!p) return p.status();
      // Each processor wraps the output of the previous one.
      before.insert(before.begin(), p.value().before().begin(), p.value().before().end());
      after.insert(after.end(), p.value().after().begin(), p.value().after().end());
    }
    return PostProcessor(std::move(before), std::move(after));
  }
  return unsupported("tokenizer.json: post-processor type '" + type + "' is not supported");
}

}  // namespace mistralrs::hf
