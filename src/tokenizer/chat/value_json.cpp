// JSON in and out of template values: the context (nlohmann::json or ordered_json) and the
// `tojson` filter, which must print exactly what Python's json.dumps prints.
#include <algorithm>
#include <cmath>
#include <cstdio>

#include "tokenizer/chat/value.h"

namespace mistralrs::chat {

template <class Json>
static Value json_to_value(const Json& j, int depth) {
  if (depth > 512) fail("context JSON is nested too deeply");
  switch (j.type()) {
    case Json::value_t::null: return Value::none();
    case Json::value_t::boolean: return Value::boolean(j.template get<bool>());
    case Json::value_t::number_integer: return Value::integer(j.template get<int64_t>());
    case Json::value_t::number_unsigned: {
      uint64_t u = j.template get<uint64_t>();
      if (u > static_cast<uint64_t>(INT64_MAX)) return Value::number(static_cast<double>(u));
      return Value::integer(static_cast<int64_t>(u));
    }
    case Json::value_t::number_float: return Value::number(j.template get<double>());
    case Json::value_t::string: return Value::string(j.template get<std::string>());
    case Json::value_t::array: {
      std::vector<Value> items;
      items.reserve(j.size());
      for (const auto& e : j) items.push_back(json_to_value(e, depth + 1));
      return Value::make_list(std::move(items));
    }
    case Json::value_t::object: {
      Value d = Value::make_dict();
      for (auto it = j.begin(); it != j.end(); ++it) d.dict->set(Value::string(it.key()), json_to_value(it.value(), depth + 1));
      return d;
    }
    default: fail("unsupported JSON value in the context");
  }
}

Value from_json(const nlohmann::json& j, int depth) { return json_to_value(j, depth); }
Value from_json(const nlohmann::ordered_json& j, int depth) { return json_to_value(j, depth); }

static void json_ascii_char(std::string& out, unsigned char c) {
  switch (c) {
    case '"': out += "\\\""; break;
    case '\\': out += "\\\\"; break;
    case '\n': out += "\\n"; break;
    case '\r': out += "\\r"; break;
    case '\t': out += "\\t"; break;
    case '\b': out += "\\b"; break;
    case '\f': out += "\\f"; break;
    default:
      if (c < 0x20) {
        char buf[8];
        std::snprintf(buf, sizeof buf, "\\u%04x", c);
        out += buf;
      } else {
        out += static_cast<char>(c);
      }
  }
}

// json.dumps of a str: ensure_ascii=False keeps UTF-8; True writes \uXXXX (surrogate pairs).
static void json_string(std::string& out, const std::string& s, bool ensure_ascii) {
  out += '"';
  if (!ensure_ascii) {
    for (unsigned char c : s) json_ascii_char(out, c);
  } else {
    for (char32_t cp : utf8_decode(s)) {
      char buf[16];
      if (cp < 0x80) {
        json_ascii_char(out, static_cast<unsigned char>(cp));
        continue;
      }
      if (cp < 0x10000) {
        std::snprintf(buf, sizeof buf, "\\u%04x", static_cast<unsigned>(cp));
      } else {
        unsigned v = static_cast<unsigned>(cp) - 0x10000;
        std::snprintf(buf, sizeof buf, "\\u%04x\\u%04x", 0xd800 + (v >> 10), 0xdc00 + (v & 0x3ff));
      }
      out += buf;
    }
  }
  out += '"';
}

static std::string json_float(double x) {
  if (std::isnan(x)) return "NaN";
  if (std::isinf(x)) return x > 0 ? "Infinity" : "-Infinity";
  return float_repr(x);
}

static std::string json_key(const Value& k) {
  switch (k.kind) {
    case Kind::kString: return k.s;
    case Kind::kBool: return k.b ? "true" : "false";
    case Kind::kInt: return std::to_string(k.i);
    case Kind::kFloat: return json_float(k.f);
    case Kind::kNone: return "null";
    default: fail("TypeError: keys must be str, int, float, bool or None, not " + type_name(k));
  }
}

static void dump(std::string& out, const Value& v, const JsonStyle& st, int level) {
  if (level > 512) fail("ValueError: value is nested too deeply for tojson");
  std::string nl;
  if (st.pretty) {
    nl = "\n";
    for (int k = 0; k <= level; ++k) nl += st.indent;
  }
  std::string close_nl = st.pretty ? "\n" : "";
  if (st.pretty)
    for (int k = 0; k < level; ++k) close_nl += st.indent;
  switch (v.kind) {
    case Kind::kNone: out += "null"; return;
    case Kind::kBool: out += v.b ? "true" : "false"; return;
    case Kind::kInt: out += std::to_string(v.i); return;
    case Kind::kFloat: out += json_float(v.f); return;
    case Kind::kString: json_string(out, v.s, st.ensure_ascii); return;
    case Kind::kList: {
      if (v.list->generator) break;
      if (v.list->items.empty()) { out += "[]"; return; }
      out += "[" + nl;
      bool first = true;
      for (const Value& item : v.list->items) {
        if (!first) out += st.item_sep + nl;
        first = false;
        dump(out, item, st, level + 1);
      }
      out += close_nl + "]";
      return;
    }
    case Kind::kDict: {
      if (v.dict->is_namespace) break;
      if (v.dict->entries.empty()) { out += "{}"; return; }
      std::vector<std::pair<std::string, const Value*>> items;
      for (const auto& [k, val] : v.dict->entries) items.emplace_back(json_key(k), &val);
      if (st.sort_keys)
        std::stable_sort(items.begin(), items.end(), [](const auto& x, const auto& y) { return x.first < y.first; });
      out += "{" + nl;
      bool first = true;
      for (const auto& [k, val] : items) {
        if (!first) out += st.item_sep + nl;
        first = false;
        json_string(out, k, st.ensure_ascii);
        out += st.key_sep;
        dump(out, *val, st, level + 1);
      }
      out += close_nl + "}";
      return;
    }
    default: break;
  }
  fail("TypeError: Object of type " + type_name(v) + " is not JSON serializable");
}

std::string to_json(const Value& v, const JsonStyle& style) {
  std::string out;
  dump(out, v, style, 0);
  return out;
}

}  // namespace mistralrs::chat
