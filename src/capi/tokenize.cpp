// mistralrs_tokenize / mistralrs_detokenize.
#include <cstring>

#include "capi/guard.h"
#include "capi/handles.h"

using namespace mistralrs;
using capi::guarded;
using capi::null_argument;

extern "C" {

MISTRALRS_API int32_t mistralrs_tokenize(const mistralrs_tokenizer* tokenizer, const char* text,
                                         size_t text_len, uint32_t flags, int32_t* ids,
                                         size_t capacity, size_t* n_ids) {
  return guarded(__func__, [&]() -> Status {
    if (!tokenizer || !tokenizer->impl) return null_argument("tokenizer");
    if (!text && text_len > 0) return null_argument("text");
    if (!n_ids) return null_argument("n_ids");
    if (!ids && capacity > 0) return null_argument("ids");
    if (flags & ~(MISTRALRS_TOKENIZE_ADD_SPECIAL | MISTRALRS_TOKENIZE_PARSE_SPECIAL))
      return invalid_argument("unknown flags " + std::to_string(flags));
    auto r = tokenizer->impl->encode(std::string_view(text ? text : "", text_len),
                                     flags & MISTRALRS_TOKENIZE_ADD_SPECIAL,
                                     flags & MISTRALRS_TOKENIZE_PARSE_SPECIAL);
    if (!r) return r.status();
    *n_ids = r.value().size();
    if (r.value().size() > capacity)
      return Status(StatusCode::kBufferTooSmall, std::to_string(r.value().size()) +
                                                     " ids do not fit in a capacity of " + std::to_string(capacity));
    if (!r.value().empty()) std::memcpy(ids, r.value().data(), r.value().size() * sizeof(int32_t));
    return Status::ok();
  });
}

MISTRALRS_API int32_t mistralrs_detokenize(const mistralrs_tokenizer* tokenizer, const int32_t* ids,
                                           size_t n_ids, uint32_t flags, char* text, size_t capacity,
                                           size_t* text_len) {
  return guarded(__func__, [&]() -> Status {
    if (!tokenizer || !tokenizer->impl) return null_argument("tokenizer");
    if (!ids && n_ids > 0) return null_argument("ids");
    if (!text_len) return null_argument("text_len");
    if (!text && capacity > 0) return null_argument("text");
    if (flags & ~MISTRALRS_DETOKENIZE_RENDER_SPECIAL) return invalid_argument("unknown flags " + std::to_string(flags));
    const Tokenizer& t = *tokenizer->impl;
    for (size_t i = 0; i < n_ids; ++i)
      if (ids[i] < 0 || ids[i] >= t.vocab_size())
        return invalid_argument("token id " + std::to_string(ids[i]) + " at index " + std::to_string(i) +
                                " is outside [0, " + std::to_string(t.vocab_size()) + ")");
    const std::string s = t.decode(std::vector<int32_t>(ids, ids + n_ids), flags & MISTRALRS_DETOKENIZE_RENDER_SPECIAL);
    *text_len = s.size();
    if (s.size() > capacity)
      return Status(StatusCode::kBufferTooSmall,
                    std::to_string(s.size()) + " bytes do not fit in a capacity of " + std::to_string(capacity));
    if (!s.empty()) std::memcpy(text, s.data(), s.size());
    return Status::ok();
  });
}

}  // extern "C"
