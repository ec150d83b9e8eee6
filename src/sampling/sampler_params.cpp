#include "sampling/sampler_params.h"

#include <cmath>

namespace mistralrs {

namespace {

std::string num(float v) {
  if (std::isnan(v)) return "NaN";
  return std::to_string(v);
}

bool finite(float v) { return std::isfinite(v); }

Status check_window(const char* name, int32_t n) {
  if (n < -1)
    return invalid_argument(std::string(name) + " must be 0 (off), -1 (the context length) or a token count, got " +
                            std::to_string(n));
  return Status::ok();
}

}  // namespace

std::vector<SamplerStage> default_sampler_order() {
  return {SamplerStage::kLogitBias, SamplerStage::kPenalties, SamplerStage::kDry,   SamplerStage::kTopNSigma,
          SamplerStage::kTopK,      SamplerStage::kTypical,   SamplerStage::kTopP,  SamplerStage::kMinP,
          SamplerStage::kXtc,       SamplerStage::kTemperature};
}

const char* sampler_stage_name(SamplerStage s) {
  switch (s) {
    case SamplerStage::kLogitBias: return "logit_bias";
    case SamplerStage::kPenalties: return "penalties";
    case SamplerStage::kDry: return "dry";
    case SamplerStage::kTopNSigma: return "top_n_sigma";
    case SamplerStage::kTopK: return "top_k";
    case SamplerStage::kTypical: return "typical";
    case SamplerStage::kTopP: return "top_p";
    case SamplerStage::kMinP: return "min_p";
    case SamplerStage::kXtc: return "xtc";
    case SamplerStage::kTemperature: return "temperature";
  }
  return "unknown";
}

std::vector<DryBreaker> DryParams::default_dry_breakers() {
  return {DryBreaker{"\n", {}}, DryBreaker{":", {}}, DryBreaker{"\"", {}}, DryBreaker{"*", {}}};
}

SamplerParams SamplerParams::request_defaults() {
  SamplerParams p;
  p.temperature = 0.8f;
  p.top_k = 40;
  p.top_p = 0.95f;
  p.min_p = 0.05f;
  p.penalty_last_n = 64;
  return p;
}

Status check_temperature(float t) {
  if (!(t >= 0.0f) || !finite(t)) return invalid_argument("temperature must be a finite number >= 0, got " + num(t));
  return Status::ok();
}

Status check_dynamic_temperature(float range, float exponent) {
  if (!(range >= 0.0f) || !finite(range))
    return invalid_argument("dynamic temperature range must be a finite number >= 0, got " + num(range));
  if (!(exponent >= 0.0f) || !finite(exponent))
    return invalid_argument("dynamic temperature exponent must be a finite number >= 0, got " + num(exponent));
  return Status::ok();
}

Status check_top_k(int32_t k) {
  if (k < -1) return invalid_argument("top_k must be >= 0 (0 or -1 = off), got " + std::to_string(k));
  return Status::ok();
}

Status check_probability(const char* name, float v) {
  if (!(v >= 0.0f && v <= 1.0f)) return invalid_argument(std::string(name) + " must be in [0, 1], got " + num(v));
  return Status::ok();
}

Status check_top_n_sigma(float n) {
  if (n == -1.0f) return Status::ok();  // llama.cpp's spelling of "off"
  if (!(n >= 0.0f) || !finite(n))
    return invalid_argument("top_n_sigma must be a finite number >= 0 (0 or -1 = off), got " + num(n));
  return Status::ok();
}

Status check_min_keep(int32_t n) {
  if (n < 1) return invalid_argument("min_keep must be >= 1, got " + std::to_string(n));
  return Status::ok();
}

Status check_mirostat(int32_t version, float tau, float eta) {
  if (version < 0 || version > 2) return invalid_argument("mirostat must be 0 (off), 1 or 2, got " + std::to_string(version));
  if (!(tau >= 0.0f) || !finite(tau)) return invalid_argument("mirostat tau must be a finite number >= 0, got " + num(tau));
  if (!(eta >= 0.0f) || !finite(eta)) return invalid_argument("mirostat eta must be a finite number >= 0, got " + num(eta));
  return Status::ok();
}

Status check_penalties(int32_t last_n, float repeat, float frequency, float presence) {
  MISTRALRS_RETURN_IF_ERROR(check_window("penalty_last_n", last_n));
  if (!(repeat > 0.0f) || !finite(repeat))
    return invalid_argument("repeat penalty must be a finite number > 0 (1 = off), got " + num(repeat));
  if (!finite(frequency)) return invalid_argument("frequency penalty must be finite, got " + num(frequency));
  if (!finite(presence)) return invalid_argument("presence penalty must be finite, got " + num(presence));
  return Status::ok();
}

Status check_logit_bias(int32_t token, float bias) {
  if (token < 0) return invalid_argument("logit bias token must be >= 0, got " + std::to_string(token));
  if (std::isnan(bias) || bias == INFINITY)
    return invalid_argument("logit bias must be finite or -inf (a ban), got " + num(bias));
  return Status::ok();
}

Status check_dry(float multiplier, float base, int32_t allowed_length, int32_t penalty_last_n) {
  if (!(multiplier >= 0.0f) || !finite(multiplier))
    return invalid_argument("DRY multiplier must be a finite number >= 0 (0 = off), got " + num(multiplier));
  if (!finite(base)) return invalid_argument("DRY base must be finite, got " + num(base));
  if (multiplier != 0.0f && base < 1.0f)
    return invalid_argument("DRY base must be >= 1 when the multiplier is not 0, got " + num(base));
  if (allowed_length < 1) return invalid_argument("DRY allowed_length must be >= 1, got " + std::to_string(allowed_length));
  return check_window("DRY penalty_last_n", penalty_last_n);
}

Status check_dry_breaker(const DryBreaker& b) {
  if (b.is_text()) {
    if (b.text.empty()) return invalid_argument("a DRY sequence breaker must not be empty");
    if (b.text.size() > kDryMaxBreakerBytes)
      return invalid_argument("a DRY sequence breaker is at most " + std::to_string(kDryMaxBreakerBytes) +
                              " bytes, got " + std::to_string(b.text.size()));
    return Status::ok();
  }
  if (b.tokens.size() > 1 + kDryMaxTailTokens)
    return invalid_argument("a DRY token breaker is a head and at most " + std::to_string(kDryMaxTailTokens) +
                            " tail tokens, got " + std::to_string(b.tokens.size()) + " tokens");
  for (int32_t t : b.tokens)
    if (t < 0) return invalid_argument("DRY breaker token ids must be >= 0, got " + std::to_string(t));
  return Status::ok();
}

Status check_order_ids(std::span<const int32_t> ids) {
  bool seen[kNumSamplerStages] = {};
  for (int32_t id : ids) {
    if (id < 0 || id >= kNumSamplerStages)
      return invalid_argument("unknown sampler stage " + std::to_string(id) + " (stages are 0.." +
                              std::to_string(kNumSamplerStages - 1) + ")");
    if (seen[id])
      return invalid_argument(std::string("sampler stage ") + sampler_stage_name(static_cast<SamplerStage>(id)) +
                              " appears twice in the order");
    seen[id] = true;
  }
  return Status::ok();
}

Status check_order(std::span<const SamplerStage> order) {
  std::vector<int32_t> ids;
  for (SamplerStage s : order) ids.push_back(static_cast<int32_t>(s));
  return check_order_ids(ids);
}

Status validate(const SamplerParams& p) {
  MISTRALRS_RETURN_IF_ERROR(check_temperature(p.temperature));
  MISTRALRS_RETURN_IF_ERROR(check_dynamic_temperature(p.dynatemp_range, p.dynatemp_exponent));
  MISTRALRS_RETURN_IF_ERROR(check_top_k(p.top_k));
  MISTRALRS_RETURN_IF_ERROR(check_probability("top_p", p.top_p));
  MISTRALRS_RETURN_IF_ERROR(check_probability("min_p", p.min_p));
  MISTRALRS_RETURN_IF_ERROR(check_probability("typical_p", p.typical_p));
  MISTRALRS_RETURN_IF_ERROR(check_top_n_sigma(p.top_n_sigma));
  MISTRALRS_RETURN_IF_ERROR(check_probability("xtc probability", p.xtc_probability));
  MISTRALRS_RETURN_IF_ERROR(check_probability("xtc threshold", p.xtc_threshold));
  MISTRALRS_RETURN_IF_ERROR(check_min_keep(p.min_keep));
  MISTRALRS_RETURN_IF_ERROR(check_mirostat(p.mirostat, p.mirostat_tau, p.mirostat_eta));
  MISTRALRS_RETURN_IF_ERROR(
      check_penalties(p.penalty_last_n, p.repeat_penalty, p.frequency_penalty, p.presence_penalty));
  for (const LogitBias& b : p.logit_bias) MISTRALRS_RETURN_IF_ERROR(check_logit_bias(b.token, b.bias));
  MISTRALRS_RETURN_IF_ERROR(check_dry(p.dry.multiplier, p.dry.base, p.dry.allowed_length, p.dry.penalty_last_n));
  for (const DryBreaker& b : p.dry.breakers) MISTRALRS_RETURN_IF_ERROR(check_dry_breaker(b));
  return check_order(p.order);
}

}  // namespace mistralrs
