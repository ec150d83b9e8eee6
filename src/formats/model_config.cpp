// ModelConfig from an HF config.json, and ModelConfig::validate.
// (GGUF metadata -> ModelConfig is in model_config_gguf.cpp.)
#include "formats/model_config.h"

#include <cmath>
#include <limits>

#include "core/mapped_file.h"
#include "formats/json_util.h"

namespace mistralrs {

namespace {

// Sizes above this are not a real model and would overflow products like vocab x hidden.
constexpr int64_t kMaxSize = std::numeric_limits<int32_t>::max();

// Typed reads of config.json fields. Optional fields that are absent or null keep the
// caller's default; a present value of the wrong type is an error naming the field.
class ConfigReader {
 public:
  // `prefix` names a nested object in messages, e.g. "rope_scaling.".
  ConfigReader(const nlohmann::json& obj, const std::string& origin, std::string prefix = "")
      : obj_(obj), origin_(origin), prefix_(std::move(prefix)) {}

  const nlohmann::json* find(const char* key) const {
    auto it = obj_.find(key);
    return it == obj_.end() ? nullptr : &*it;
  }
  bool present(const char* key) const {
    const nlohmann::json* v = find(key);
    return v && !v->is_null();
  }
  Status missing(const char* key) const {
    return invalid_argument(origin_ + ": " + prefix_ + key + " is missing");
  }
  Status bad(const std::string& key, const char* expected, const nlohmann::json& got) const {
    return invalid_argument(origin_ + ": " + prefix_ + key + " must be " + expected + ", got " +
                            json_excerpt(got));
  }

  Status integer(const char* key, int64_t min, int64_t& out, bool required) const {
    const nlohmann::json* v = find(key);
    if (!v || (v->is_null() && !required)) return required ? missing(key) : Status::ok();
    const char* expected = min > 0 ? "a positive integer" : "a non-negative integer";
    if (!v->is_number_integer()) return bad(key, expected, *v);
    if (v->is_number_unsigned() && v->get<uint64_t>() > static_cast<uint64_t>(kMaxSize))
      return bad(key, "at most 2147483647", *v);
    const int64_t i = v->get<int64_t>();
    if (i < min) return bad(key, expected, *v);
    if (i > kMaxSize) return bad(key, "at most 2147483647", *v);
    out = i;
    return Status::ok();
  }

  Status positive_number(const char* key, double& out, bool required) const {
    const nlohmann::json* v = find(key);
    if (!v || (v->is_null() && !required)) return required ? missing(key) : Status::ok();
    if (!v->is_number() || !(v->get<double>() > 0) || !std::isfinite(v->get<double>()))
      return bad(key, "a positive number", *v);
    out = v->get<double>();
    return Status::ok();
  }

  Status boolean(const char* key, bool& out) const {
    const nlohmann::json* v = find(key);
    if (!v || v->is_null()) return Status::ok();
    if (!v->is_boolean()) return bad(key, "true or false", *v);
    out = v->get<bool>();
    return Status::ok();
  }

  Status string(const char* key, std::string& out) const {
    const nlohmann::json* v = find(key);
    if (!v || v->is_null()) return Status::ok();
    if (!v->is_string()) return bad(key, "a string", *v);
    out = v->get<std::string>();
    return Status::ok();
  }

  // An id, a list of ids, or null.
  Status token_ids(const char* key, std::vector<int32_t>& out) const {
    const nlohmann::json* v = find(key);
    if (!v || v->is_null()) return Status::ok();
    const char* expected = "a token id, a list of token ids or null";
    auto one = [&](const nlohmann::json& x) -> Status {
      if (!x.is_number_integer() || x.get<int64_t>() < 0 ||
          (x.is_number_unsigned() && x.get<uint64_t>() > uint64_t{INT32_MAX}) ||
          x.get<int64_t>() > INT32_MAX)
        return bad(key, expected, *v);
      out.push_back(static_cast<int32_t>(x.get<int64_t>()));
      return Status::ok();
    };
    if (!v->is_array()) return one(*v);
    for (const nlohmann::json& x : *v) MISTRALRS_RETURN_IF_ERROR(one(x));
    return Status::ok();
  }

  const std::string& origin() const { return origin_; }

 private:
  const nlohmann::json& obj_;
  const std::string& origin_;
  std::string prefix_;
};

Status read_architecture(const ConfigReader& r, ModelConfig& c) {
  const nlohmann::json* archs = r.find("architectures");
  if (!archs || archs->is_null()) {
    // Some configs omit architectures; model_type names the family.
    std::string model_type;
    MISTRALRS_RETURN_IF_ERROR(r.string("model_type", model_type));
    if (model_type == "llama")
      c.architecture = "LlamaForCausalLM";
    else if (model_type == "mistral")
      c.architecture = "MistralForCausalLM";
    else
      return r.missing("architectures");
    return Status::ok();
  }
  if (!archs->is_array() || archs->empty() || !(*archs)[0].is_string())
    return r.bad("architectures", "a non-empty list of strings", *archs);
  c.architecture = (*archs)[0].get<std::string>();
  if (c.architecture != "LlamaForCausalLM" && c.architecture != "MistralForCausalLM")
    return unsupported(r.origin() + ": architecture '" + c.architecture +
                       "' is not supported (LlamaForCausalLM and MistralForCausalLM are)");
  return Status::ok();
}

// rope_scaling: null, {"rope_type"|"type": "linear", "factor"} or the llama3 variant.
Status read_rope_scaling(const ConfigReader& r, const char* key, RopeScaling& out) {
  const nlohmann::json* v = r.find(key);
  if (!v || v->is_null()) return Status::ok();
  if (!v->is_object()) return r.bad(key, "null or an object", *v);
  ConfigReader s(*v, r.origin(), std::string(key) + ".");
  std::string type;
  MISTRALRS_RETURN_IF_ERROR(s.string("type", type));
  MISTRALRS_RETURN_IF_ERROR(s.string("rope_type", type));
  if (type.empty() || type == "default") return Status::ok();
  if (type == "linear") {
    out.kind = RopeScaling::Kind::kLinear;
    return s.positive_number("factor", out.factor, true);
  }
  if (type == "llama3") {
    out.kind = RopeScaling::Kind::kLlama3;
    MISTRALRS_RETURN_IF_ERROR(s.positive_number("factor", out.factor, true));
    MISTRALRS_RETURN_IF_ERROR(s.positive_number("low_freq_factor", out.low_freq_factor, true));
    MISTRALRS_RETURN_IF_ERROR(s.positive_number("high_freq_factor", out.high_freq_factor, true));
    return s.integer("original_max_position_embeddings", 1, out.original_max_position_embeddings,
                     true);
  }
  return unsupported(r.origin() + ": " + key + " type '" + type +
                     "' is not supported (linear and llama3 are)");
}

Status read_sizes(const ConfigReader& r, ModelConfig& c) {
  MISTRALRS_RETURN_IF_ERROR(r.integer("vocab_size", 1, c.vocab_size, true));
  MISTRALRS_RETURN_IF_ERROR(r.integer("hidden_size", 1, c.hidden_size, true));
  MISTRALRS_RETURN_IF_ERROR(r.integer("intermediate_size", 1, c.intermediate_size, true));
  MISTRALRS_RETURN_IF_ERROR(r.integer("num_hidden_layers", 1, c.num_hidden_layers, true));
  MISTRALRS_RETURN_IF_ERROR(r.integer("num_attention_heads", 1, c.num_attention_heads, true));
  c.num_key_value_heads = c.num_attention_heads;
  MISTRALRS_RETURN_IF_ERROR(r.integer("num_key_value_heads", 1, c.num_key_value_heads, false));
  c.head_dim = 0;
  MISTRALRS_RETURN_IF_ERROR(r.integer("head_dim", 1, c.head_dim, false));
  if (c.head_dim == 0) {
    if (c.hidden_size % c.num_attention_heads != 0)
      return invalid_argument(
          r.origin() + ": head_dim is absent and hidden_size " + std::to_string(c.hidden_size) +
          " is not divisible by num_attention_heads " + std::to_string(c.num_attention_heads));
    c.head_dim = c.hidden_size / c.num_attention_heads;
  }
  MISTRALRS_RETURN_IF_ERROR(
      r.integer("max_position_embeddings", 1, c.max_position_embeddings, false));
  return r.integer("sliding_window", 0, c.sliding_window, false);
}

Status read_hf_config(const ConfigReader& r, ModelConfig& c) {
  MISTRALRS_RETURN_IF_ERROR(read_architecture(r, c));
  MISTRALRS_RETURN_IF_ERROR(read_sizes(r, c));
  MISTRALRS_RETURN_IF_ERROR(r.positive_number("rms_norm_eps", c.rms_norm_eps, true));
  // transformers v5 moves rope_theta and the scaling into "rope_parameters".
  const char* rope_key = r.present("rope_scaling") ? "rope_scaling" : "rope_parameters";
  MISTRALRS_RETURN_IF_ERROR(read_rope_scaling(r, rope_key, c.rope_scaling));
  if (r.present("rope_theta") || !r.present("rope_parameters")) {
    MISTRALRS_RETURN_IF_ERROR(r.positive_number("rope_theta", c.rope_theta, false));
  } else if (r.find("rope_parameters")->is_object()) {
    ConfigReader p(*r.find("rope_parameters"), r.origin(), "rope_parameters.");
    MISTRALRS_RETURN_IF_ERROR(p.positive_number("rope_theta", c.rope_theta, false));
  }
  MISTRALRS_RETURN_IF_ERROR(r.boolean("tie_word_embeddings", c.tie_word_embeddings));
  MISTRALRS_RETURN_IF_ERROR(r.token_ids("bos_token_id", c.bos_token_ids));
  MISTRALRS_RETURN_IF_ERROR(r.token_ids("eos_token_id", c.eos_token_ids));
  // Newer transformers write "dtype"; older ones "torch_dtype".
  MISTRALRS_RETURN_IF_ERROR(
      r.string(r.present("torch_dtype") ? "torch_dtype" : "dtype", c.torch_dtype));
  return Status::ok();
}

Status positive(const std::string& origin, const char* field, int64_t v) {
  if (v > 0 && v <= kMaxSize) return Status::ok();
  return invalid_argument(origin + ": " + field + " must be between 1 and 2147483647, got " +
                          std::to_string(v));
}

}  // namespace

Status ModelConfig::validate(const std::string& origin) const {
  MISTRALRS_RETURN_IF_ERROR(positive(origin, "vocab_size", vocab_size));
  MISTRALRS_RETURN_IF_ERROR(positive(origin, "hidden_size", hidden_size));
  MISTRALRS_RETURN_IF_ERROR(positive(origin, "intermediate_size", intermediate_size));
  MISTRALRS_RETURN_IF_ERROR(positive(origin, "num_hidden_layers", num_hidden_layers));
  MISTRALRS_RETURN_IF_ERROR(positive(origin, "num_attention_heads", num_attention_heads));
  MISTRALRS_RETURN_IF_ERROR(positive(origin, "num_key_value_heads", num_key_value_heads));
  MISTRALRS_RETURN_IF_ERROR(positive(origin, "head_dim", head_dim));
  MISTRALRS_RETURN_IF_ERROR(positive(origin, "max_position_embeddings", max_position_embeddings));
  if (num_attention_heads % num_key_value_heads != 0)
    return invalid_argument(
        origin + ": num_key_value_heads " + std::to_string(num_key_value_heads) +
        " does not divide num_attention_heads " + std::to_string(num_attention_heads));
  if (head_dim % 2 != 0)  // RoPE rotates pairs of dimensions
    return invalid_argument(origin + ": head_dim " + std::to_string(head_dim) + " must be even");
  if (!(rms_norm_eps > 0) || !std::isfinite(rms_norm_eps))
    return invalid_argument(origin + ": rms_norm_eps must be a positive number");
  if (!(rope_theta > 0) || !std::isfinite(rope_theta))
    return invalid_argument(origin + ": rope_theta must be a positive number");
  if (sliding_window < 0) return invalid_argument(origin + ": sliding_window must not be negative");
  const RopeScaling& rs = rope_scaling;
  if (rs.kind != RopeScaling::Kind::kNone && (!(rs.factor > 0) || !std::isfinite(rs.factor)))
    return invalid_argument(origin + ": rope_scaling.factor must be a positive number");
  // llama3 interpolates between the two wavelength bounds; they must be ordered.
  if (rs.kind == RopeScaling::Kind::kLlama3 &&
      (!(rs.low_freq_factor > 0) || !(rs.high_freq_factor > rs.low_freq_factor) ||
       rs.original_max_position_embeddings <= 0))
    return invalid_argument(origin +
                            ": rope_scaling needs 0 < low_freq_factor < high_freq_factor "
                            "and a positive original_max_position_embeddings");
  return Status::ok();
}

Expected<ModelConfig> parse_hf_config(const std::string& json_text, const std::string& origin) {
  nlohmann::json j;
  std::string error;
  if (!json_parse(json_text.data(), json_text.size(), j, error))
    return invalid_argument(origin + ": not valid JSON: " + error);
  if (!j.is_object())
    return invalid_argument(origin + ": must be a JSON object, got " + json_type_name(j));
  ModelConfig c;
  try {  // every access is type-checked first; this only guards against bad_alloc
    MISTRALRS_RETURN_IF_ERROR(read_hf_config(ConfigReader(j, origin), c));
  } catch (const std::exception& e) {
    return internal_error(origin + ": " + e.what());
  }
  MISTRALRS_RETURN_IF_ERROR(c.validate(origin));
  return c;
}

Expected<ModelConfig> load_hf_config(const std::string& path) {
  auto mapped = MappedFile::open(path);
  if (!mapped) return mapped.status();
  const MappedFile& m = *mapped.value();
  if (m.size() == 0) return parse_hf_config(std::string(), path);
  return parse_hf_config(std::string(reinterpret_cast<const char*>(m.bytes()), m.size()), path);
}

}  // namespace mistralrs
