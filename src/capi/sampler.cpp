// mistralrs_sampler_params_* and mistralrs_sampler_*: the standalone sampler chain.
#include <span>

#include "capi/guard.h"
#include "capi/handles.h"
#include "capi/sampler_handles.h"

using namespace mistralrs;
using capi::guarded;
using capi::null_argument;

namespace {

// Runs a setter: NULL check, the stage's own validation, then the assignment, so that a
// rejected value leaves the params as they were.
template <class Check, class Assign>
int32_t set_params(const char* function, mistralrs_sampler_params* h, Check&& check, Assign&& assign) {
  return guarded(function, [&]() -> Status {
    if (!h) return null_argument("params");
    MISTRALRS_RETURN_IF_ERROR(check());
    assign(h->params);
    return Status::ok();
  });
}

}  // namespace

extern "C" {

MISTRALRS_API mistralrs_sampler_params* mistralrs_sampler_params_create(void) {
  mistralrs_sampler_params* out = nullptr;
  guarded(__func__, [&]() -> Status {
    out = new mistralrs_sampler_params();
    return Status::ok();
  });
  return out;
}

MISTRALRS_API void mistralrs_sampler_params_free(mistralrs_sampler_params* params) { delete params; }

MISTRALRS_API int32_t mistralrs_sampler_params_set_order(mistralrs_sampler_params* h, const int32_t* stages,
                                                         size_t n_stages) {
  return guarded(__func__, [&]() -> Status {
    if (!h) return null_argument("params");
    if (!stages && n_stages > 0) return null_argument("stages");
    const std::span<const int32_t> ids(stages, n_stages);
    MISTRALRS_RETURN_IF_ERROR(check_order_ids(ids));
    h->params.order.clear();
    for (int32_t id : ids) h->params.order.push_back(static_cast<SamplerStage>(id));
    return Status::ok();
  });
}

MISTRALRS_API int32_t mistralrs_sampler_params_set_seed(mistralrs_sampler_params* h, uint64_t seed) {
  return set_params(__func__, h, [] { return Status::ok(); }, [&](SamplerParams& p) { p.seed = seed; });
}

MISTRALRS_API int32_t mistralrs_sampler_params_set_greedy(mistralrs_sampler_params* h, int32_t greedy) {
  return set_params(__func__, h, [] { return Status::ok(); }, [&](SamplerParams& p) { p.greedy = greedy != 0; });
}

MISTRALRS_API int32_t mistralrs_sampler_params_set_temperature(mistralrs_sampler_params* h, float t) {
  return set_params(__func__, h, [&] { return check_temperature(t); }, [&](SamplerParams& p) { p.temperature = t; });
}

MISTRALRS_API int32_t mistralrs_sampler_params_set_dynamic_temperature(mistralrs_sampler_params* h, float range,
                                                                       float exponent) {
  return set_params(
      __func__, h, [&] { return check_dynamic_temperature(range, exponent); },
      [&](SamplerParams& p) {
        p.dynatemp_range = range;
        p.dynatemp_exponent = exponent;
      });
}

MISTRALRS_API int32_t mistralrs_sampler_params_set_top_k(mistralrs_sampler_params* h, int32_t k) {
  return set_params(__func__, h, [&] { return check_top_k(k); }, [&](SamplerParams& p) { p.top_k = k; });
}

MISTRALRS_API int32_t mistralrs_sampler_params_set_top_p(mistralrs_sampler_params* h, float v) {
  return set_params(__func__, h, [&] { return check_probability("top_p", v); }, [&](SamplerParams& p) { p.top_p = v; });
}

MISTRALRS_API int32_t mistralrs_sampler_params_set_min_p(mistralrs_sampler_params* h, float v) {
  return set_params(__func__, h, [&] { return check_probability("min_p", v); }, [&](SamplerParams& p) { p.min_p = v; });
}

MISTRALRS_API int32_t mistralrs_sampler_params_set_typical_p(mistralrs_sampler_params* h, float v) {
  return set_params(
      __func__, h, [&] { return check_probability("typical_p", v); }, [&](SamplerParams& p) { p.typical_p = v; });
}

MISTRALRS_API int32_t mistralrs_sampler_params_set_top_n_sigma(mistralrs_sampler_params* h, float n) {
  return set_params(__func__, h, [&] { return check_top_n_sigma(n); }, [&](SamplerParams& p) { p.top_n_sigma = n; });
}

MISTRALRS_API int32_t mistralrs_sampler_params_set_xtc(mistralrs_sampler_params* h, float probability,
                                                       float threshold) {
  return set_params(
      __func__, h,
      [&] {
        MISTRALRS_RETURN_IF_ERROR(check_probability("xtc probability", probability));
        return check_probability("xtc threshold", threshold);
      },
      [&](SamplerParams& p) {
        p.xtc_probability = probability;
        p.xtc_threshold = threshold;
      });
}

MISTRALRS_API int32_t mistralrs_sampler_params_set_min_keep(mistralrs_sampler_params* h, int32_t n) {
  return set_params(__func__, h, [&] { return check_min_keep(n); }, [&](SamplerParams& p) { p.min_keep = n; });
}

MISTRALRS_API int32_t mistralrs_sampler_params_set_mirostat(mistralrs_sampler_params* h, int32_t version, float tau,
                                                            float eta) {
  return set_params(
      __func__, h, [&] { return check_mirostat(version, tau, eta); },
      [&](SamplerParams& p) {
        p.mirostat = version;
        p.mirostat_tau = tau;
        p.mirostat_eta = eta;
      });
}

MISTRALRS_API int32_t mistralrs_sampler_params_set_penalties(mistralrs_sampler_params* h, int32_t last_n,
                                                             float repeat, float frequency, float presence) {
  return set_params(
      __func__, h, [&] { return check_penalties(last_n, repeat, frequency, presence); },
      [&](SamplerParams& p) {
        p.penalty_last_n = last_n;
        p.repeat_penalty = repeat;
        p.frequency_penalty = frequency;
        p.presence_penalty = presence;
      });
}

MISTRALRS_API int32_t mistralrs_sampler_params_add_logit_bias(mistralrs_sampler_params* h, int32_t token,
                                                              float bias) {
  return set_params(
      __func__, h, [&] { return check_logit_bias(token, bias); },
      [&](SamplerParams& p) { p.logit_bias.push_back({token, bias}); });
}

MISTRALRS_API int32_t mistralrs_sampler_params_clear_logit_bias(mistralrs_sampler_params* h) {
  return set_params(__func__, h, [] { return Status::ok(); }, [](SamplerParams& p) { p.logit_bias.clear(); });
}

MISTRALRS_API int32_t mistralrs_sampler_params_set_dry(mistralrs_sampler_params* h, float multiplier, float base,
                                                       int32_t allowed_length, int32_t penalty_last_n) {
  return set_params(
      __func__, h, [&] { return check_dry(multiplier, base, allowed_length, penalty_last_n); },
      [&](SamplerParams& p) {
        p.dry.multiplier = multiplier;
        p.dry.base = base;
        p.dry.allowed_length = allowed_length;
        p.dry.penalty_last_n = penalty_last_n;
      });
}

MISTRALRS_API int32_t mistralrs_sampler_params_add_dry_breaker(mistralrs_sampler_params* h, const char* text) {
  return guarded(__func__, [&]() -> Status {
    if (!h) return null_argument("params");
    if (!text) return null_argument("text");
    DryBreaker b{text, {}};
    MISTRALRS_RETURN_IF_ERROR(check_dry_breaker(b));
    h->params.dry.breakers.push_back(std::move(b));
    return Status::ok();
  });
}

MISTRALRS_API int32_t mistralrs_sampler_params_add_dry_breaker_tokens(mistralrs_sampler_params* h,
                                                                      const int32_t* tokens, size_t n_tokens) {
  return guarded(__func__, [&]() -> Status {
    if (!h) return null_argument("params");
    if (!tokens) return null_argument("tokens");
    if (n_tokens == 0) return invalid_argument("a DRY token breaker needs at least one token (its head)");
    if (n_tokens > 1 + kDryMaxTailTokens)  // before copying a caller's oversized array
      return invalid_argument("a DRY token breaker is a head and at most " + std::to_string(kDryMaxTailTokens) +
                              " tail tokens, got " + std::to_string(n_tokens) + " tokens");
    DryBreaker b{{}, std::vector<int32_t>(tokens, tokens + n_tokens)};
    MISTRALRS_RETURN_IF_ERROR(check_dry_breaker(b));
    h->params.dry.breakers.push_back(std::move(b));
    return Status::ok();
  });
}

MISTRALRS_API int32_t mistralrs_sampler_params_clear_dry_breakers(mistralrs_sampler_params* h) {
  return set_params(__func__, h, [] { return Status::ok(); }, [](SamplerParams& p) { p.dry.breakers.clear(); });
}

MISTRALRS_API int32_t mistralrs_sampler_create(const mistralrs_sampler_params* params,
                                               const mistralrs_tokenizer* tokenizer, int32_t context_length,
                                               mistralrs_sampler** out) {
  return guarded(__func__, [&]() -> Status {
    if (!out) return null_argument("out");
    *out = nullptr;
    if (!params) return null_argument("params");
    auto chain = SamplerChain::create(params->params, tokenizer ? tokenizer->impl : nullptr, context_length);
    if (!chain) return chain.status();
    auto h = std::make_unique<mistralrs_sampler>();
    h->chain = std::move(chain.value());
    *out = h.release();
    return Status::ok();
  });
}

MISTRALRS_API void mistralrs_sampler_free(mistralrs_sampler* sampler) { delete sampler; }

MISTRALRS_API int32_t mistralrs_sampler_reset(mistralrs_sampler* sampler) {
  return guarded(__func__, [&]() -> Status {
    if (!sampler) return null_argument("sampler");
    sampler->chain->reset();
    return Status::ok();
  });
}

MISTRALRS_API int32_t mistralrs_sampler_accept(mistralrs_sampler* sampler, int32_t token) {
  return guarded(__func__, [&]() -> Status {
    if (!sampler) return null_argument("sampler");
    return sampler->chain->accept(token);
  });
}

MISTRALRS_API int32_t mistralrs_sampler_apply(mistralrs_sampler* sampler, float* logits, size_t n_vocab) {
  return guarded(__func__, [&]() -> Status {
    if (!sampler) return null_argument("sampler");
    if (!logits) return null_argument("logits");
    return sampler->chain->apply(logits, n_vocab);
  });
}

MISTRALRS_API int32_t mistralrs_sampler_sample(mistralrs_sampler* sampler, const float* logits, size_t n_vocab,
                                               int32_t* token) {
  return guarded(__func__, [&]() -> Status {
    if (!sampler) return null_argument("sampler");
    if (!logits) return null_argument("logits");
    if (!token) return null_argument("token");
    auto t = sampler->chain->sample(logits, n_vocab);
    if (!t) return t.status();
    *token = t.value();
    return Status::ok();
  });
}

}  // extern "C"
