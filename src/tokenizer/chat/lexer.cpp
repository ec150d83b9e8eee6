#include "tokenizer/chat/lexer.h"

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstdlib>

#include "tokenizer/chat/value.h"

namespace mistralrs::chat {
namespace {

bool is_space(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f'; }

std::string normalize_newlines(std::string_view src) {
  std::string out;
  out.reserve(src.size());
  for (size_t k = 0; k < src.size(); ++k) {
    if (src[k] == '\r') {
      out += '\n';
      if (k + 1 < src.size() && src[k + 1] == '\n') ++k;
    } else {
      out += src[k];
    }
  }
  if (!out.empty() && out.back() == '\n') out.pop_back();  // keep_trailing_newline=False
  return out;
}

class Lexer {
 public:
  explicit Lexer(std::string src) : src_(std::move(src)) {
    line_starts_.push_back(0);
    for (size_t k = 0; k < src_.size(); ++k)
      if (src_[k] == '\n') line_starts_.push_back(k + 1);
  }

  std::vector<Token> run() {
    size_t pos = 0;
    bool line_starting = true;
    while (pos < src_.size()) {
      size_t tp = find_tag(pos);
      if (tp == std::string::npos) {
        emit_data(src_.substr(pos), pos);
        break;
      }
      char kind = src_[tp + 1];
      char sign = tp + 2 < src_.size() && (src_[tp + 2] == '-' || src_[tp + 2] == '+') ? src_[tp + 2] : 0;
      std::string text = strip_text(src_.substr(pos, tp - pos), sign, kind != '{', line_starting);
      emit_data(std::move(text), pos);
      size_t body = tp + 2 + (sign ? 1 : 0);
      if (kind == '#') {
        pos = lex_comment(tp, body);
      } else if (kind == '%' && match_raw(body, "raw") != std::string::npos) {
        pos = lex_raw(tp, match_raw(body, "raw"));
        line_starting = src_[pos - 1] == '\n';
        continue;
      } else {
        pos = lex_tag(tp, body, kind == '%');
      }
      line_starting = pos > 0 && src_[pos - 1] == '\n';
    }
    Token eof;
    eof.type = Tok::kEof;
    locate(eof, src_.size());
    tokens_.push_back(eof);
    return std::move(tokens_);
  }

 private:
  size_t find_tag(size_t from) const {
    for (size_t k = src_.find('{', from); k != std::string::npos && k + 1 < src_.size(); k = src_.find('{', k + 1)) {
      char c = src_[k + 1];
      if (c == '{' || c == '%' || c == '#') return k;
    }
    return std::string::npos;
  }

  // The text before a tag: `{%-` strips all trailing whitespace; lstrip_blocks strips the
  // spaces between the line start and a block or comment tag.
  static std::string strip_text(std::string text, char sign, bool block_or_comment, bool line_starting) {
    if (sign == '-') {
      while (!text.empty() && is_space(text.back())) text.pop_back();
    } else if (sign != '+' && block_or_comment) {
      size_t nl = text.rfind('\n');
      size_t l_pos = nl == std::string::npos ? 0 : nl + 1;
      if ((l_pos > 0 || line_starting) && l_pos < text.size() &&
          std::all_of(text.begin() + static_cast<std::ptrdiff_t>(l_pos), text.end(), is_space))
        text.resize(l_pos);
    }
    return text;
  }

  // After a block/comment end: `-%}` eats all whitespace, `+%}` nothing, `%}` one newline.
  size_t after_end(size_t pos, char sign, bool trim_newline) const {
    if (sign == '-') {
      while (pos < src_.size() && is_space(src_[pos])) ++pos;
    } else if (sign != '+' && trim_newline && pos < src_.size() && src_[pos] == '\n') {
      ++pos;
    }
    return pos;
  }

  size_t lex_comment(size_t tp, size_t body) {
    size_t q = src_.find("#}", body);
    if (q == std::string::npos) error("missing end of comment tag", tp);
    char sign = q > body && (src_[q - 1] == '-' || src_[q - 1] == '+') ? src_[q - 1] : 0;
    return after_end(q + 2, sign, true);
  }

  // Matches `\s*word\s*[-+]?%}` at `pos`; returns the position after it or npos.
  size_t match_raw(size_t pos, std::string_view word) const {
    while (pos < src_.size() && is_space(src_[pos])) ++pos;
    if (src_.compare(pos, word.size(), word) != 0) return std::string::npos;
    pos += word.size();
    if (pos < src_.size() && (std::isalnum(static_cast<unsigned char>(src_[pos])) || src_[pos] == '_'))
      return std::string::npos;
    while (pos < src_.size() && is_space(src_[pos])) ++pos;
    // jinja2 accepts `+%}` after endraw but not after raw.
    if (pos < src_.size() && (src_[pos] == '-' || (src_[pos] == '+' && word == "endraw"))) {
      if (src_.compare(pos + 1, 2, "%}") != 0) return std::string::npos;
      return src_[pos] == '-' ? after_end(pos + 3, '-', false) : pos + 3;
    }
    return src_.compare(pos, 2, "%}") == 0 ? pos + 2 : std::string::npos;
  }

  size_t lex_raw(size_t tp, size_t content) {
    for (size_t k = src_.find("{%", content); k != std::string::npos; k = src_.find("{%", k + 1)) {
      char sign = k + 2 < src_.size() && (src_[k + 2] == '-' || src_[k + 2] == '+') ? src_[k + 2] : 0;
      size_t end = match_raw(k + 2 + (sign ? 1 : 0), "endraw");
      if (end == std::string::npos) continue;
      bool line_starting = content > 0 && src_[content - 1] == '\n';
      emit_data(strip_text(src_.substr(content, k - content), sign, true, line_starting), content);
      char end_sign = src_[end - 3] == '-' || src_[end - 3] == '+' ? src_[end - 3] : 0;
      if (end_sign == '-') return end;  // match_raw already ate the whitespace
      return after_end(end, end_sign, true);
    }
    error("missing end of raw directive", tp);
  }

  size_t lex_tag(size_t tp, size_t pos, bool block) {
    push(block ? Tok::kBlockBegin : Tok::kVarBegin, tp, block ? "{%" : "{{");
    std::vector<char> brackets;
    while (true) {
      while (pos < src_.size() && is_space(src_[pos])) ++pos;
      if (pos >= src_.size()) error("unexpected end of template, expected the end of the tag", tp);
      if (brackets.empty()) {
        size_t end = match_end(pos, block);
        if (end != std::string::npos) {
          push(block ? Tok::kBlockEnd : Tok::kVarEnd, pos, block ? "%}" : "}}");
          return end;
        }
      }
      pos = lex_token(pos, brackets);
    }
  }

  size_t match_end(size_t pos, bool block) const {
    const char* close = block ? "%}" : "}}";
    if (src_[pos] == '-' && src_.compare(pos + 1, 2, close) == 0) return after_end(pos + 3, '-', block);
    if (block && src_[pos] == '+' && src_.compare(pos + 1, 2, close) == 0) return pos + 3;
    if (src_.compare(pos, 2, close) == 0) return after_end(pos + 2, 0, block);
    return std::string::npos;
  }

  size_t lex_token(size_t pos, std::vector<char>& brackets) {
    char c = src_[pos];
    if (std::isdigit(static_cast<unsigned char>(c))) return lex_number(pos);
    if (std::isalpha(static_cast<unsigned char>(c)) || c == '_') {
      size_t e = pos;
      while (e < src_.size() && (std::isalnum(static_cast<unsigned char>(src_[e])) || src_[e] == '_')) ++e;
      push(Tok::kName, pos, src_.substr(pos, e - pos));
      return e;
    }
    if (c == '\'' || c == '"') return lex_string(pos);
    static const char* kOps2[] = {"//", "**", "==", "!=", "<=", ">="};
    for (const char* op : kOps2)
      if (src_.compare(pos, 2, op) == 0) {
        push(Tok::kOp, pos, op);
        return pos + 2;
      }
    if (std::string_view("+-/*%~[](){}<>=.:|,;").find(c) == std::string_view::npos)
      error(std::string("unexpected char '") + c + "'", pos);
    if (c == '(' || c == '[' || c == '{') brackets.push_back(c == '(' ? ')' : c == '[' ? ']' : '}');
    if (c == ')' || c == ']' || c == '}') {
      if (brackets.empty() || brackets.back() != c) error(std::string("unexpected '") + c + "'", pos);
      brackets.pop_back();
    }
    push(Tok::kOp, pos, std::string(1, c));
    return pos + 1;
  }

  size_t digits(size_t pos) const {  // (\d+_)*\d+
    while (pos < src_.size() && (std::isdigit(static_cast<unsigned char>(src_[pos])) ||
                                 (src_[pos] == '_' && pos + 1 < src_.size() &&
                                  std::isdigit(static_cast<unsigned char>(src_[pos + 1])))))
      ++pos;
    return pos;
  }

  size_t lex_number(size_t pos) {
    size_t e = digits(pos);
    bool is_float = false;
    bool after_dot = pos > 0 && src_[pos - 1] == '.';  // `x.0` is an item lookup, never a float
    if (!after_dot && e + 1 < src_.size() && src_[e] == '.' && std::isdigit(static_cast<unsigned char>(src_[e + 1]))) {
      e = digits(e + 1);
      is_float = true;
    }
    if (!after_dot && e < src_.size() && (src_[e] == 'e' || src_[e] == 'E')) {
      size_t x = e + 1;
      if (x < src_.size() && (src_[x] == '+' || src_[x] == '-')) ++x;
      if (x < src_.size() && std::isdigit(static_cast<unsigned char>(src_[x]))) {
        e = digits(x);
        is_float = true;
      }
    }
    std::string text;
    for (size_t k = pos; k < e; ++k)
      if (src_[k] != '_') text += src_[k];
    Token t;
    t.text = text;
    locate(t, pos);
    if (is_float) {
      t.type = Tok::kFloat;
      t.float_value = std::strtod(text.c_str(), nullptr);
    } else {
      t.type = Tok::kInt;
      errno = 0;
      t.int_value = std::strtoll(text.c_str(), nullptr, 10);
      if (errno == ERANGE) error("integer literal out of range", pos);
    }
    tokens_.push_back(std::move(t));
    return e;
  }

  size_t lex_string(size_t pos) {
    char q = src_[pos];
    std::string out;
    size_t k = pos + 1;
    for (; k < src_.size() && src_[k] != q; ++k) {
      if (src_[k] != '\\') {
        out += src_[k];
        continue;
      }
      if (++k >= src_.size()) break;
      k = unescape(k, out);
    }
    if (k >= src_.size()) error("unterminated string", pos);
    push(Tok::kString, pos, std::move(out));
    return k + 1;
  }

  // Python's unicode-escape decoding of the escape starting at src_[k] (after the backslash).
  // Returns the index of the escape's last character.
  size_t unescape(size_t k, std::string& out) const {
    char c = src_[k];
    switch (c) {
      case 'n': out += '\n'; return k;
      case 't': out += '\t'; return k;
      case 'r': out += '\r'; return k;
      case 'a': out += '\a'; return k;
      case 'b': out += '\b'; return k;
      case 'f': out += '\f'; return k;
      case 'v': out += '\v'; return k;
      case '\\': case '\'': case '"': out += c; return k;
      case '\n': return k;
      default: break;
    }
    if (c >= '0' && c <= '7') {
      unsigned v = 0;
      size_t e = k;
      while (e < src_.size() && e < k + 3 && src_[e] >= '0' && src_[e] <= '7') v = v * 8 + (src_[e++] - '0');
      utf8_append(out, v);
      return e - 1;
    }
    int width = c == 'x' ? 2 : c == 'u' ? 4 : c == 'U' ? 8 : 0;
    if (width == 0) {  // unknown escape: kept verbatim
      out += '\\';
      out += c;
      return k;
    }
    uint32_t v = 0;
    for (int m = 1; m <= width; ++m) {
      char h = k + m < src_.size() ? src_[k + m] : '\0';
      if (!std::isxdigit(static_cast<unsigned char>(h))) error("truncated \\" + std::string(1, c) + " escape in string", k);
      v = v * 16 + static_cast<uint32_t>(std::isdigit(static_cast<unsigned char>(h)) ? h - '0' : (std::tolower(h) - 'a' + 10));
    }
    if (v > 0x10ffff) error("illegal Unicode character in string", k);
    utf8_append(out, v);
    return k + width;
  }

  void emit_data(std::string text, size_t pos) {
    if (text.empty()) return;
    push(Tok::kData, pos, std::move(text));
  }

  void push(Tok type, size_t pos, std::string text) {
    Token t;
    t.type = type;
    t.text = std::move(text);
    locate(t, pos);
    tokens_.push_back(std::move(t));
  }

  void locate(Token& t, size_t pos) const {
    auto it = std::upper_bound(line_starts_.begin(), line_starts_.end(), pos) - 1;
    t.line = static_cast<int>(it - line_starts_.begin()) + 1;
    t.col = static_cast<int>(pos - *it) + 1;
  }

  [[noreturn]] void error(const std::string& what, size_t pos) const {
    Token t;
    locate(t, pos);
    fail("TemplateSyntaxError: " + what + " (line " + std::to_string(t.line) + ", column " + std::to_string(t.col) + ")");
  }

  std::string src_;
  std::vector<size_t> line_starts_;
  std::vector<Token> tokens_;
};

}  // namespace

std::vector<Token> tokenize(std::string_view source) { return Lexer(normalize_newlines(source)).run(); }

}  // namespace mistralrs::chat
