#include "tokenizer/chat/filters_seq.h"

#include <algorithm>

#include "tokenizer/chat/interpreter.h"

namespace mistralrs::chat {
namespace {

// jinja's make_attrgetter: "a.b.0" looks up a, then b, then item 0.
Value lookup_path(const Value& item, const Value& attribute) {
  if (attribute.kind == Kind::kInt) return get_item(item, attribute);
  std::string path = to_str(attribute);
  Value cur = item;
  size_t start = 0;
  while (true) {
    size_t dot = path.find('.', start);
    std::string part = path.substr(start, dot == std::string::npos ? std::string::npos : dot - start);
    require_defined(cur);
    bool digits = !part.empty() && part.size() < 18 && std::all_of(part.begin(), part.end(), ::isdigit);
    cur = get_item(cur, digits ? Value::integer(std::stoll(part)) : Value::string(part));
    if (dot == std::string::npos) return cur;
    start = dot + 1;
  }
}

Value generator(std::vector<Value> items) {
  Value g = Value::make_list(std::move(items));
  g.list->generator = true;
  return g;
}

// Sort key comparison: strings compare case-insensitively unless case_sensitive.
int key_compare(const Value& a, const Value& b, bool case_sensitive) {
  if (!case_sensitive && a.is_string() && b.is_string())
    return compare(Value::string(py_lower(a.s)), Value::string(py_lower(b.s)));
  return compare(a, b);
}

Value key_of(const Value& item, const Value* attribute) { return attribute && !attribute->is_none() ? lookup_path(item, *attribute) : item; }

Value select_impl(Interpreter& in, const Value& v, const CallArgs& a, bool attr, bool keep) {
  size_t first = attr ? 1 : 0;
  const Value* attribute = attr ? a.get(0, "attribute") : nullptr;
  if (attr && !attribute) fail("TypeError: selectattr/rejectattr need an attribute name");
  CallArgs test_args;
  for (size_t k = first + 1; k < a.positional.size(); ++k) test_args.positional.push_back(a.positional[k]);
  test_args.named = a.named;
  std::vector<Value> out;
  if (!truthy(v)) return generator({});  // jinja: `if value:` before iterating
  for (const Value& item : iterate(v)) {
    Value subject = attr ? lookup_path(item, *attribute) : item;
    bool ok;
    if (a.positional.size() > first) {
      if (!a.positional[first].is_string()) fail("TypeError: test name must be a string");
      ok = in.apply_test(a.positional[first].s, subject, test_args);
    } else {
      ok = truthy(subject);
    }
    if (ok == keep) out.push_back(item);
  }
  return generator(std::move(out));
}

Value min_max(const Value& v, const CallArgs& a, bool want_max) {
  bool cs = arg_bool(a, 0, "case_sensitive", false);
  const Value* attribute = a.get(1, "attribute");
  std::vector<Value> items = iterate(v);
  if (items.empty()) return Value::undefined("UndefinedError: No aggregated item, sequence was empty.");
  size_t best = 0;
  for (size_t k = 1; k < items.size(); ++k) {
    int c = key_compare(key_of(items[k], attribute), key_of(items[best], attribute), cs);
    if (want_max ? c > 0 : c < 0) best = k;
  }
  return items[best];
}

}  // namespace

Value f_length(Interpreter&, const Value& v, const CallArgs&) { return Value::integer(length_of(v)); }

Value f_join(Interpreter&, const Value& v, const CallArgs& a) {
  std::string sep = to_str(a.get(0, "d") ? *a.get(0, "d") : Value::string(""));
  const Value* attribute = a.get(1, "attribute");
  std::string out;
  bool first = true;
  for (const Value& item : iterate(v)) {
    if (!first) out += sep;
    out += to_str(key_of(item, attribute));
    first = false;
    if (out.size() > kMaxOutputBytes) fail("MemoryError: join result is too large");
  }
  return Value::string(std::move(out));
}

Value f_first(Interpreter&, const Value& v, const CallArgs&) {
  std::vector<Value> items = iterate(v);
  if (items.empty()) return Value::undefined("UndefinedError: No first item, sequence was empty.");
  return items.front();
}

Value f_last(Interpreter&, const Value& v, const CallArgs&) {
  if (v.is_undefined() || (v.is_list() && v.list->generator))
    fail("TypeError: '" + type_name(v) + "' object is not reversible");
  std::vector<Value> items = iterate(v);
  if (items.empty()) return Value::undefined("UndefinedError: No last item, sequence was empty.");
  return items.back();
}

Value f_items(Interpreter&, const Value& v, const CallArgs&) {
  if (v.is_undefined()) return generator({});
  if (!v.is_dict() || v.dict->is_namespace) fail("TypeError: Can only get item pairs from a mapping.");
  std::vector<Value> out;
  for (const auto& [k, val] : v.dict->entries) out.push_back(Value::make_list({k, val}, true));
  return generator(std::move(out));
}

Value f_list(Interpreter&, const Value& v, const CallArgs&) { return Value::make_list(iterate(v)); }

Value f_map(Interpreter& in, const Value& v, const CallArgs& a) {
  std::vector<Value> out;
  if (!truthy(v)) return generator({});  // jinja: `if value:` before iterating
  const Value* attribute = nullptr;
  const Value* fallback = nullptr;
  for (const auto& [k, val] : a.named) {
    if (k == "attribute") attribute = &val;
    if (k == "default") fallback = &val;
  }
  if (attribute) {
    for (const Value& item : iterate(v)) {
      Value r = lookup_path(item, *attribute);
      out.push_back(r.is_undefined() && fallback ? *fallback : r);
    }
    return generator(std::move(out));
  }
  if (a.positional.empty() || !a.positional[0].is_string()) fail("TypeError: map() needs a filter name or attribute=");
  CallArgs rest;
  rest.positional.assign(a.positional.begin() + 1, a.positional.end());
  rest.named = a.named;
  for (const Value& item : iterate(v)) out.push_back(in.apply_filter(a.positional[0].s, item, rest));
  return generator(std::move(out));
}

Value f_select(Interpreter& in, const Value& v, const CallArgs& a) { return select_impl(in, v, a, false, true); }
Value f_reject(Interpreter& in, const Value& v, const CallArgs& a) { return select_impl(in, v, a, false, false); }
Value f_selectattr(Interpreter& in, const Value& v, const CallArgs& a) { return select_impl(in, v, a, true, true); }
Value f_rejectattr(Interpreter& in, const Value& v, const CallArgs& a) { return select_impl(in, v, a, true, false); }

Value f_unique(Interpreter&, const Value& v, const CallArgs& a) {
  bool cs = arg_bool(a, 0, "case_sensitive", false);
  const Value* attribute = a.get(1, "attribute");
  std::vector<Value> out, seen;
  for (const Value& item : iterate(v)) {
    Value key = key_of(item, attribute);
    if (!cs && key.is_string()) key = Value::string(py_lower(key.s));
    if (std::any_of(seen.begin(), seen.end(), [&](const Value& s) { return equals(s, key); })) continue;
    seen.push_back(key);
    out.push_back(item);
  }
  return generator(std::move(out));
}

Value f_sort(Interpreter&, const Value& v, const CallArgs& a) {
  bool reverse = arg_bool(a, 0, "reverse", false), cs = arg_bool(a, 1, "case_sensitive", false);
  const Value* attribute = a.get(2, "attribute");
  std::vector<Value> items = iterate(v);
  std::vector<std::pair<Value, Value>> keyed;
  for (const Value& item : items) keyed.emplace_back(key_of(item, attribute), item);
  std::stable_sort(keyed.begin(), keyed.end(), [&](const auto& x, const auto& y) {
    int c = key_compare(x.first, y.first, cs);
    return reverse ? c > 0 : c < 0;
  });
  std::vector<Value> out;
  for (auto& kv : keyed) out.push_back(std::move(kv.second));
  return Value::make_list(std::move(out));
}

Value f_reverse(Interpreter&, const Value& v, const CallArgs&) {
  if (v.is_string()) {
    std::vector<char32_t> cps = utf8_decode(v.s);
    std::reverse(cps.begin(), cps.end());
    return Value::string(utf8_encode(cps, 0, cps.size()));
  }
  std::vector<Value> items = iterate(v);
  std::reverse(items.begin(), items.end());
  return generator(std::move(items));
}

Value f_batch(Interpreter&, const Value& v, const CallArgs& a) {
  int64_t n = arg_int(a, 0, "linecount", 0);
  const Value* fill = a.get(1, "fill_with");
  std::vector<Value> out, cur;
  for (const Value& item : iterate(v)) {  // jinja's loop, so linecount <= 0 behaves as in Python
    if (static_cast<int64_t>(cur.size()) == n) {
      out.push_back(Value::make_list(std::move(cur)));
      cur.clear();
    }
    cur.push_back(item);
  }
  if (!cur.empty()) {
    if (fill && !fill->is_none())
      while (static_cast<int64_t>(cur.size()) < n) cur.push_back(*fill);
    out.push_back(Value::make_list(std::move(cur)));
  }
  return generator(std::move(out));
}

Value f_dictsort(Interpreter&, const Value& v, const CallArgs& a) {
  require_defined(v);
  if (!v.is_dict() || v.dict->is_namespace) fail("TypeError: dictsort needs a mapping");
  bool cs = arg_bool(a, 0, "case_sensitive", false);
  std::string by = arg_str(a, 1, "by", "key");
  bool reverse = arg_bool(a, 2, "reverse", false);
  if (by != "key" && by != "value") fail("FilterArgumentError: You can only sort by either \"key\" or \"value\"");
  std::vector<Value> pairs;
  for (const auto& [k, val] : v.dict->entries) pairs.push_back(Value::make_list({k, val}, true));
  size_t pos = by == "key" ? 0 : 1;
  std::stable_sort(pairs.begin(), pairs.end(), [&](const Value& x, const Value& y) {
    int c = key_compare(x.list->items[pos], y.list->items[pos], cs);
    return reverse ? c > 0 : c < 0;
  });
  return Value::make_list(std::move(pairs));
}

Value f_min(Interpreter&, const Value& v, const CallArgs& a) { return min_max(v, a, false); }
Value f_max(Interpreter&, const Value& v, const CallArgs& a) { return min_max(v, a, true); }

Value f_sum(Interpreter&, const Value& v, const CallArgs& a) {
  const Value* attribute = a.get(0, "attribute");
  const Value* start = a.get(1, "start");
  Value total = start ? *start : Value::integer(0);
  for (const Value& item : iterate(v)) total = binary_op("+", total, key_of(item, attribute));
  return total;
}

Value f_attr(Interpreter&, const Value& v, const CallArgs& a) {
  require_defined(v);
  std::string name = arg_str(a, 0, "name", "");
  // Python getattr only: a dict's items are not attributes.
  if (v.is_dict() && !v.dict->is_namespace && name != "items" && name != "keys" && name != "values" &&
      name != "get" && name != "copy")
    return Value::undefined("UndefinedError: 'dict object' has no attribute '" + name + "'");
  return get_attr(v, name);
}

}  // namespace mistralrs::chat
