// The chat-template engine against Python jinja2 (tests/fixtures/chat/jinja_cases.json, written
// by tools/gen_jinja_fixtures.py), plus error reporting, context handling and hostile input.
#include <gtest/gtest.h>

#include <chrono>
#include <ctime>
#include <fstream>
#include <random>

#include "common/paths.h"
#include "tokenizer/chat/chat_template.h"

namespace {

using mistralrs::StatusCode;
using mistralrs::chat::render_template;
using mistralrs::chat::render_template_json;
using mistralrs::chat::RenderOptions;

constexpr int64_t kFixtureNow = 1795694400;  // 2026-11-26 12:00:00 UTC, the generator's clock

RenderOptions fixed_clock(int64_t now = kFixtureNow) {
  RenderOptions o;
  o.now_unix_utc = now;
  return o;
}

nlohmann::ordered_json load_fixture() {
  std::ifstream in(mistralrs::testing::fixture_path("chat/jinja_cases.json"));
  EXPECT_TRUE(in.good()) << "missing tests/fixtures/chat/jinja_cases.json";
  return nlohmann::ordered_json::parse(in);
}

TEST(ChatTemplate, MatchesJinja2Fixture) {
  auto doc = load_fixture();
  ASSERT_GE(doc["cases"].size(), 150u);
  for (const auto& c : doc["cases"]) {
    const std::string name = c["name"];
    auto r = render_template(c["template"].get<std::string>(), c["context"], fixed_clock());
    if (c.contains("expected")) {
      const std::string want = c["expected"];
      EXPECT_TRUE(r.is_ok()) << name << ": " << r.status().message();
      if (r.is_ok()) EXPECT_EQ(r.value(), want) << name << "\ntemplate: " << c["template"].get<std::string>();
    } else if (c.contains("raises")) {
      ASSERT_FALSE(r.is_ok()) << name << " rendered but jinja2 raised";
      EXPECT_NE(r.status().message().find(c["raises"].get<std::string>()), std::string::npos)
          << name << ": " << r.status().message();
    } else {
      EXPECT_FALSE(r.is_ok()) << name << " rendered '" << (r.is_ok() ? r.value() : "") << "' but jinja2 failed with "
                              << c["error"].get<std::string>();
      if (!r.is_ok()) {
        EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument) << name;
        EXPECT_FALSE(r.status().message().empty()) << name;
      }
    }
  }
}

TEST(ChatTemplate, SyntaxErrorNamesTheLine) {
  auto r = render_template("line1\nline2\n{{ 1 + }}", nlohmann::json::object());
  ASSERT_FALSE(r.is_ok());
  EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(r.status().message().find("line 3"), std::string::npos) << r.status().message();
  EXPECT_NE(r.status().message().find("TemplateSyntaxError"), std::string::npos) << r.status().message();
}

TEST(ChatTemplate, RuntimeErrorNamesTheLine) {
  auto r = render_template("a\nb\n\n  {{ x.y.z }}", nlohmann::json::object());
  ASSERT_FALSE(r.is_ok());
  EXPECT_NE(r.status().message().find("'x' is undefined"), std::string::npos) << r.status().message();
  EXPECT_NE(r.status().message().find("line 4"), std::string::npos) << r.status().message();
}

TEST(ChatTemplate, RaiseExceptionKeepsTheMessageVerbatim) {
  const std::string msg = "Conversation roles must alternate user/assistant/user/assistant/... {} \"'%s";
  nlohmann::json ctx = {{"m", msg}};
  auto r = render_template("ok{{ raise_exception(m) }}", ctx);
  ASSERT_FALSE(r.is_ok());
  EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(r.status().message().find(msg), std::string::npos) << r.status().message();
}

TEST(ChatTemplate, ClockCanBeFixedOrLive) {
  // 86400 * 365 + 3600 + 61 seconds after the epoch: 1971-01-01 01:01:01 UTC.
  auto fixed = render_template("{{ strftime_now('%Y-%m-%d %H:%M:%S') }}", nlohmann::json::object(),
                               fixed_clock(86400 * 365 + 3600 + 61));
  ASSERT_TRUE(fixed.is_ok()) << fixed.status().message();
  EXPECT_EQ(fixed.value(), "1971-01-01 01:01:01");
  std::time_t now = std::time(nullptr);
  std::tm tm{};
  gmtime_r(&now, &tm);
  auto live = render_template("{{ strftime_now('%Y') }}", nlohmann::json::object());
  ASSERT_TRUE(live.is_ok()) << live.status().message();
  int year = std::stoi(live.value());
  EXPECT_GE(year, tm.tm_year + 1900 - 1);  // allow a year boundary between the two reads
  EXPECT_LE(year, tm.tm_year + 1900);
}

TEST(ChatTemplate, ContextKeyOrder) {
  const std::string tmpl = "{{ d|tojson }}|{% for k in d %}{{ k }}{% endfor %}";
  const std::string json = R"({"d": {"zeta": 1, "alpha": 2}})";
  // nlohmann::json sorts keys; ordered_json and the text overload keep Python's order.
  auto sorted = render_template(tmpl, nlohmann::json::parse(json));
  ASSERT_TRUE(sorted.is_ok());
  EXPECT_EQ(sorted.value(), R"({"alpha": 2, "zeta": 1}|alphazeta)");
  auto ordered = render_template(tmpl, nlohmann::ordered_json::parse(json));
  ASSERT_TRUE(ordered.is_ok());
  EXPECT_EQ(ordered.value(), R"({"zeta": 1, "alpha": 2}|zetaalpha)");
  auto text = render_template_json(tmpl, json);
  ASSERT_TRUE(text.is_ok());
  EXPECT_EQ(text.value(), ordered.value());
}

TEST(ChatTemplate, BadContext) {
  auto bad_json = render_template_json("{{ 1 }}", "{\"a\": ");
  ASSERT_FALSE(bad_json.is_ok());
  EXPECT_EQ(bad_json.status().code(), StatusCode::kInvalidArgument);
  auto not_object = render_template("{{ 1 }}", nlohmann::json::array({1, 2}));
  ASSERT_FALSE(not_object.is_ok());
  EXPECT_EQ(not_object.status().code(), StatusCode::kInvalidArgument);
  auto null_context = render_template("{{ 1 }}", nlohmann::json());
  ASSERT_TRUE(null_context.is_ok());
  EXPECT_EQ(null_context.value(), "1");
  std::string deep(100000, '[');  // nesting beyond nlohmann's and our limits, as text
  auto too_deep = render_template_json("x", "{\"a\": " + deep + "}");
  EXPECT_FALSE(too_deep.is_ok());
}

// Each hostile template must end with an error status (not a crash, hang or huge allocation).
TEST(ChatTemplate, HostileTemplatesFailCleanly) {
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"deep parens", "{{ " + std::string(20000, '(') + "1" + std::string(20000, ')') + " }}"},
      {"deep additions", "{{ 1" + [] {
         std::string s;
         for (int k = 0; k < 50000; ++k) s += " + 1";
         return s;
       }() + " }}"},
      {"deep attributes", "{{ x" + [] {
         std::string s;
         for (int k = 0; k < 50000; ++k) s += ".a";
         return s;
       }() + " }}"},
      {"deep ifs", [] {
         std::string s;
         for (int k = 0; k < 5000; ++k) s += "{% if true %}";
         return s;
       }()},
      {"deep unary", "{{ " + std::string(50000, '-') + "1 }}"},
      {"deep filters", "{{ 1" + [] {
         std::string s;
         for (int k = 0; k < 50000; ++k) s += "|abs";
         return s;
       }() + " }}"},
      {"endless recursion", "{% macro f(n) %}{{ f(n + 1) }}{% endmacro %}{{ f(0) }}"},
      {"step bomb", "{% for a in range(100000) %}{% for b in range(100000) %}{% endfor %}{% endfor %}"},
      {"string bomb", "{{ 'a' * 1000000000 }}"},
      {"doubling bomb", "{% set ns = namespace(s='ab') %}{% for i in range(64) %}{% set ns.s = ns.s ~ ns.s %}{% endfor %}"},
      {"list bomb", "{{ [1] * 1000000000 }}"},
      {"range bomb", "{{ range(10000000000)|length }}"},
      {"deep list", "{% set ns = namespace(x=[]) %}{% for i in range(100000) %}{% set ns.x = [ns.x] %}{% endfor %}{{ ns.x }}"},
      {"self namespace", "{% set ns = namespace() %}{% set ns.me = ns %}{% set d = {'a': ns} %}{{ d }}"},
      {"int overflow", "{{ 9223372036854775807 + 1 }}"},
      {"pow overflow", "{{ 2 ** 64 }}"},
      {"huge literal", "{{ 99999999999999999999999 }}"},
      {"replace bomb", "{% set ns = namespace(s='aaaaaaaaaaaaaaaa') %}{% for i in range(20) %}{% set ns.s = ns.s.replace('a', 'aaaa') %}{% endfor %}"},
  };
  for (const auto& [name, tmpl] : cases) {
    auto start = std::chrono::steady_clock::now();
    auto r = render_template(tmpl, nlohmann::json::object());
    double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    EXPECT_FALSE(r.is_ok()) << name << " rendered " << (r.is_ok() ? r.value().size() : 0) << " bytes";
    if (!r.is_ok()) EXPECT_FALSE(r.status().message().empty()) << name;
    EXPECT_LT(seconds, 30.0) << name;
    std::cout << name << ": " << seconds << " s, " << (r.is_ok() ? "rendered" : r.status().message().substr(0, 90)) << "\n";
  }
}

// Every prefix of a real template, and random token soup, gives a result or a status.
TEST(ChatTemplate, TruncatedAndGarbageInputDoNotCrash) {
  auto doc = load_fixture();
  std::string full;
  nlohmann::ordered_json ctx;
  for (const auto& c : doc["cases"])
    if (c["name"] == "chat_template") {
      full = c["template"];
      ctx = c["context"];
    }
  ASSERT_FALSE(full.empty());
  int errors = 0;
  for (size_t n = 0; n <= full.size(); ++n) {
    auto r = render_template(std::string_view(full).substr(0, n), ctx);
    if (!r.is_ok()) {
      ++errors;
      EXPECT_FALSE(r.status().message().empty());
    }
  }
  EXPECT_GT(errors, 0);  // most prefixes cut a tag in half
  const char* pieces[] = {"{%", "%}", "{{", "}}", "{#", "#}", "-", "+", "if", "for", "in", "endif", "endfor",
                          "set", "macro", "(", ")", "[", "]", "{", "}", "'", "\"", "x", "1", ".", ":", "|",
                          "~", "is", "not", "\n", " ", "loop", "namespace", "=", ",", "call", "caller",
                          "raw", "endraw", "\\", "\xff", "\xc3"};
  std::mt19937 rng(1234);
  for (int iter = 0; iter < 3000; ++iter) {
    std::string s;
    int len = 1 + static_cast<int>(rng() % 40);
    for (int k = 0; k < len; ++k) s += pieces[rng() % (sizeof(pieces) / sizeof(pieces[0]))];
    auto r = render_template(s, ctx);
    if (!r.is_ok()) EXPECT_FALSE(r.status().message().empty()) << s;
  }
}

}  // namespace
