#include "mlx/io/json.h"

#include <stdexcept>
#include <unordered_set>

namespace mlx::core::io {
namespace {

// Deeper nesting is refused, so recursion depth stays bounded.
constexpr int kMaxDepth = 64;

// Length of the well-formed UTF-8 sequence at text[i] (RFC 3629: no
// overlong forms, no surrogates, at most U+10FFFF), or 0.
size_t utf8_sequence(std::string_view text, size_t i) {
  auto byte = [&](size_t k) -> unsigned {
    return i + k < text.size() ? static_cast<unsigned char>(text[i + k])
                               : 0x100;
  };
  unsigned lead = byte(0);
  unsigned low = 0x80, high = 0xbf; // range of the second byte
  size_t n;
  if (lead < 0x80) {
    return 1;
  } else if (lead >= 0xc2 && lead <= 0xdf) {
    n = 2;
  } else if (lead >= 0xe0 && lead <= 0xef) {
    n = 3;
    low = lead == 0xe0 ? 0xa0 : low;
    high = lead == 0xed ? 0x9f : high;
  } else if (lead >= 0xf0 && lead <= 0xf4) {
    n = 4;
    low = lead == 0xf0 ? 0x90 : low;
    high = lead == 0xf4 ? 0x8f : high;
  } else {
    return 0;
  }
  if (byte(1) < low || byte(1) > high) {
    return 0;
  }
  for (size_t k = 2; k < n; ++k) {
    if (byte(k) < 0x80 || byte(k) > 0xbf) {
      return 0;
    }
  }
  return n;
}

void append_utf8(std::string& out, uint32_t cp) {
  if (cp < 0x80) {
    out += static_cast<char>(cp);
  } else if (cp < 0x800) {
    out += static_cast<char>(0xc0 | (cp >> 6));
    out += static_cast<char>(0x80 | (cp & 0x3f));
  } else if (cp < 0x10000) {
    out += static_cast<char>(0xe0 | (cp >> 12));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3f));
    out += static_cast<char>(0x80 | (cp & 0x3f));
  } else {
    out += static_cast<char>(0xf0 | (cp >> 18));
    out += static_cast<char>(0x80 | ((cp >> 12) & 0x3f));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3f));
    out += static_cast<char>(0x80 | (cp & 0x3f));
  }
}

class Parser {
public:
  explicit Parser(std::string_view text) : text_(text) {}

  JsonValue parse_document() {
    skip_space();
    JsonValue value = parse_value(0);
    skip_space();
    if (pos_ != text_.size()) {
      error("unexpected text after the JSON value");
    }
    return value;
  }

private:
  [[noreturn]] void error(const std::string& what) const {
    std::string where = at_end() ? " at the end of the text" : " at byte ";
    throw std::runtime_error(
        what + where + (at_end() ? "" : std::to_string(pos_)));
  }
  bool at_end() const { return pos_ >= text_.size(); }
  char peek() const { return at_end() ? '\0' : text_[pos_]; }
  void skip_space() {
    while (!at_end() && (peek() == ' ' || peek() == '\t' || peek() == '\n' ||
                         peek() == '\r')) {
      ++pos_;
    }
  }
  void expect(char c) {
    if (peek() != c) {
      error(std::string("expected '") + c + "'");
    }
    ++pos_;
  }
  bool is_digit() const { return !at_end() && peek() >= '0' && peek() <= '9'; }

  JsonValue parse_value(int depth) {
    if (depth > kMaxDepth) {
      error("nesting deeper than 64 levels");
    }
    if (at_end()) {
      error("expected a value");
    }
    JsonValue v;
    char c = peek();
    if (c == '{') {
      v.type = JsonValue::Type::object;
      parse_object(v, depth);
    } else if (c == '[') {
      v.type = JsonValue::Type::array;
      parse_array(v, depth);
    } else if (c == '"') {
      v.type = JsonValue::Type::string;
      v.text = parse_string();
    } else if (c == '-' || (c >= '0' && c <= '9')) {
      v.type = JsonValue::Type::number;
      v.text = parse_number();
    } else if (parse_literal("true")) {
      v.type = JsonValue::Type::boolean;
      v.boolean = true;
    } else if (parse_literal("false")) {
      v.type = JsonValue::Type::boolean;
    } else if (!parse_literal("null")) {
      error("unexpected character");
    }
    return v;
  }

  bool parse_literal(std::string_view word) {
    if (text_.substr(pos_, word.size()) == word) {
      pos_ += word.size();
      return true;
    }
    return false;
  }

  void parse_object(JsonValue& v, int depth) {
    ++pos_;
    skip_space();
    if (peek() == '}') {
      ++pos_;
      return;
    }
    std::unordered_set<std::string> keys;
    for (;;) {
      skip_space();
      if (peek() != '"') {
        error("expected a string key");
      }
      size_t key_pos = pos_;
      std::string key = parse_string();
      if (!keys.insert(key).second) {
        pos_ = key_pos;
        error("duplicate key \"" + key + "\"");
      }
      skip_space();
      expect(':');
      skip_space();
      v.members.emplace_back(std::move(key), parse_value(depth + 1));
      skip_space();
      if (peek() == ',') {
        ++pos_;
        continue;
      }
      expect('}');
      return;
    }
  }

  void parse_array(JsonValue& v, int depth) {
    ++pos_;
    skip_space();
    if (peek() == ']') {
      ++pos_;
      return;
    }
    for (;;) {
      skip_space();
      v.elements.push_back(parse_value(depth + 1));
      skip_space();
      if (peek() == ',') {
        ++pos_;
        continue;
      }
      expect(']');
      return;
    }
  }

  std::string parse_number() {
    size_t start = pos_;
    if (peek() == '-') {
      ++pos_;
    }
    if (peek() == '0') {
      ++pos_;
    } else if (is_digit()) {
      while (is_digit()) {
        ++pos_;
      }
    } else {
      error("invalid number");
    }
    if (peek() == '.') {
      ++pos_;
      if (!is_digit()) {
        error("invalid number: digits must follow '.'");
      }
      while (is_digit()) {
        ++pos_;
      }
    }
    if ((peek() == 'e' || peek() == 'E')) {
      ++pos_;
      if ((peek() == '+' || peek() == '-')) {
        ++pos_;
      }
      if (!is_digit()) {
        error("invalid number: digits must follow the exponent");
      }
      while (is_digit()) {
        ++pos_;
      }
    }
    return std::string(text_.substr(start, pos_ - start));
  }

  uint32_t parse_hex4() {
    uint32_t value = 0;
    for (int i = 0; i < 4; ++i, ++pos_) {
      char c = peek();
      int digit = (c >= '0' && c <= '9')   ? c - '0'
                  : (c >= 'a' && c <= 'f') ? c - 'a' + 10
                  : (c >= 'A' && c <= 'F') ? c - 'A' + 10
                                           : -1;
      if (digit < 0 || at_end()) {
        error("invalid \\u escape");
      }
      value = value * 16 + static_cast<uint32_t>(digit);
    }
    return value;
  }

  std::string parse_string() {
    ++pos_; // the opening quote
    std::string out;
    for (;;) {
      if (at_end()) {
        error("unterminated string");
      }
      auto c = static_cast<unsigned char>(text_[pos_]);
      if (c == '"') {
        ++pos_;
        return out;
      }
      if (c < 0x20) {
        error("unescaped control character in a string");
      }
      if (c == '\\') {
        ++pos_;
        parse_escape(out);
        continue;
      }
      size_t n = utf8_sequence(text_, pos_);
      if (n == 0) {
        error("invalid UTF-8 in a string");
      }
      out.append(text_.substr(pos_, n));
      pos_ += n;
    }
  }

  void parse_escape(std::string& out) {
    char c = peek();
    if (at_end()) {
      error("unterminated string");
    }
    ++pos_;
    switch (c) {
    case '"':
    case '\\':
    case '/':
      out += c;
      return;
    case 'b':
      out += '\b';
      return;
    case 'f':
      out += '\f';
      return;
    case 'n':
      out += '\n';
      return;
    case 'r':
      out += '\r';
      return;
    case 't':
      out += '\t';
      return;
    case 'u':
      break;
    default:
      --pos_;
      error("invalid escape sequence");
    }
    uint32_t cp = parse_hex4();
    if (cp >= 0xdc00 && cp <= 0xdfff) {
      error("unpaired UTF-16 surrogate in a \\u escape");
    }
    if (cp >= 0xd800 && cp <= 0xdbff) {
      // A high surrogate must be followed by an escaped low one.
      if (!parse_literal("\\u")) {
        error("unpaired UTF-16 surrogate in a \\u escape");
      }
      uint32_t low = parse_hex4();
      if (low < 0xdc00 || low > 0xdfff) {
        error("unpaired UTF-16 surrogate in a \\u escape");
      }
      cp = 0x10000 + ((cp - 0xd800) << 10) + (low - 0xdc00);
    }
    append_utf8(out, cp);
  }

  std::string_view text_;
  size_t pos_{0};
};

} // namespace

JsonValue parse_json(std::string_view text) {
  return Parser(text).parse_document();
}

std::optional<uint64_t> json_uint64(const JsonValue& value) {
  if (value.type != JsonValue::Type::number) {
    return std::nullopt;
  }
  uint64_t result = 0;
  for (char c : value.text) {
    if (c < '0' || c > '9') {
      return std::nullopt; // a sign, fraction or exponent
    }
    if (__builtin_mul_overflow(result, uint64_t(10), &result) ||
        __builtin_add_overflow(result, uint64_t(c - '0'), &result)) {
      return std::nullopt;
    }
  }
  return result;
}

bool is_valid_utf8(std::string_view text) {
  for (size_t i = 0; i < text.size();) {
    size_t n = utf8_sequence(text, i);
    if (n == 0) {
      return false;
    }
    i += n;
  }
  return true;
}

std::string json_quote(std::string_view text) {
  std::string out = "\"";
  for (char ch : text) {
    auto c = static_cast<unsigned char>(ch);
    if (c == '"' || c == '\\') {
      out += '\\';
      out += ch;
    } else if (c < 0x20) {
      const char* hex = "0123456789abcdef";
      out += "\\u00";
      out += hex[c >> 4];
      out += hex[c & 15];
    } else {
      out += ch;
    }
  }
  return out + "\"";
}

} // namespace mlx::core::io
