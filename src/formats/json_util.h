// Non-throwing JSON helpers for the parsers of untrusted headers and configs
// (safetensors headers and indexes, config.json). nlohmann::json throws; these catch.
#pragma once
#include <cstddef>
#include <nlohmann/json.hpp>
#include <string>

namespace mistralrs {

// Deepest nesting of arrays/objects accepted. Real headers and configs nest 3-4 levels;
// the cap keeps nlohmann's recursive copy/dump/compare bounded on hostile input.
constexpr int kMaxJsonDepth = 64;

// Parses `size` bytes of JSON into `out`. On failure returns false and sets `error`
// (syntax error with its position, nesting too deep, or out of memory).
bool json_parse(const char* text, size_t size, nlohmann::json& out, std::string& error);

// "an object", "a string", ... for messages.
std::string json_type_name(const nlohmann::json& j);
// The value as JSON text, cut to about 60 characters, for "got ..." in messages.
std::string json_excerpt(const nlohmann::json& j);

}  // namespace mistralrs
