// Unicode helpers for the tokenizer.json engine: UTF-8 stepping, the character classes that
// Rust's `char` methods define (Hugging Face tokenizers is written in Rust, so "whitespace",
// "alphanumeric" and "punctuation" here mean what they mean there), normalization forms
// through utf8proc, and Rust's String::from_utf8_lossy.
#pragma once
#include <cstdint>
#include <string>
#include <string_view>

namespace mistralrs::hf {

// Decodes the character at s[i] (s must be valid UTF-8) and advances i past it.
char32_t next_char(std::string_view s, size_t& i);
// Length in bytes of the valid UTF-8 character starting with byte c.
inline size_t char_len(unsigned char c) { return c < 0x80 ? 1 : c < 0xE0 ? 2 : c < 0xF0 ? 3 : 4; }
void append_utf8(std::string& out, char32_t c);

// Rust char::is_whitespace (the White_Space property).
bool is_whitespace(char32_t c);
// Rust char::is_alphanumeric: letters and numbers (general categories L*, Nd, Nl, No).
bool is_alphanumeric(char32_t c);
// Rust char::is_numeric: general categories Nd, Nl, No.
bool is_numeric(char32_t c);
// Any punctuation: ASCII punctuation or general category P*.
bool is_punctuation(char32_t c);
// General category C* (control, format, unassigned, private use, surrogate).
bool is_other(char32_t c);
bool is_mark(char32_t c);             // M*
bool is_mark_nonspacing(char32_t c);  // Mn
bool is_space_separator(char32_t c);  // Zs
// Regex \w as Rust's regex crate defines it (Alphabetic, M*, Nd, Pc, Join_Control).
bool is_word_char(char32_t c);

// Rust char::to_lowercase appended to out (one character except U+0130).
void append_lowercase(std::string& out, char32_t c);

enum class NormalForm { kNfc, kNfd, kNfkc, kNfkd };
// Normalizes valid UTF-8 text; returns false when utf8proc fails (only on invalid input).
bool normalize_form(std::string_view in, NormalForm form, std::string& out);

// Valid UTF-8 kept, each maximal invalid subsequence replaced by U+FFFD (Rust's rule).
std::string utf8_lossy(std::string_view bytes);
bool is_valid_utf8(std::string_view bytes);

}  // namespace mistralrs::hf
