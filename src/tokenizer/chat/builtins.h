// Registries of built-in filters, tests, globals and methods (jinja2 3.1 built-ins plus the
// globals Hugging Face transformers adds). Defined in filters.cpp, tests.cpp and methods.cpp.
#pragma once
#include <string>
#include <string_view>

#include "tokenizer/chat/value.h"

namespace mistralrs::chat {

class Interpreter;

using FilterFn = Value (*)(Interpreter& in, const Value& subject, const CallArgs& args);
using TestFn = bool (*)(Interpreter& in, const Value& subject, const CallArgs& args);

// nullptr when no such filter / test.
FilterFn find_filter(std::string_view name);
TestFn find_test(std::string_view name);

// Attribute lookup as jinja's sandboxed getattr does it: a bound method for built-in
// methods of str, list and dict, then the dict item; an undefined value otherwise. Mutating
// methods (list.append, dict.update, ...) give an undefined value that raises SecurityError.
Value get_attr(const Value& obj, const std::string& name);
// obj[key]: item first, then attribute for string keys.
Value get_item(const Value& obj, const Value& key);

// Items of an iterable (str -> characters, dict -> keys, undefined -> none); TypeError otherwise.
std::vector<Value> iterate(const Value& v);
// len(v); TypeError when v has no length.
int64_t length_of(const Value& v);

// Python string helpers shared by filters and methods.
std::string py_strip(const std::string& s, const Value* chars, bool left, bool right);
std::string py_upper(std::string s);
std::string py_lower(std::string s);
std::string py_capitalize(const std::string& s);
std::string py_title(const std::string& s);     // str.title()
bool py_islower(const std::string& s);
bool py_isupper(const std::string& s);
std::string jinja_title(const std::string& s);  // the `title` filter: words split at whitespace and -({[<
std::string py_replace(const std::string& s, const std::string& old, const std::string& repl, int64_t count);
std::vector<Value> py_split(const std::string& s, const Value* sep, int64_t maxsplit, bool from_right);

// Argument helpers: the integer/string argument at `index` or `name`, or `fallback`.
int64_t arg_int(const CallArgs& args, size_t index, std::string_view name, int64_t fallback);
bool arg_bool(const CallArgs& args, size_t index, std::string_view name, bool fallback);
std::string arg_str(const CallArgs& args, size_t index, std::string_view name, const std::string& fallback);

}  // namespace mistralrs::chat
