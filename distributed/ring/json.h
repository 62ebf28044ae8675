// A small, self-contained JSON reader: enough for the ring backend's
// hostfile and the launcher (which includes this header without
// linking the library). Header-only, C++17, no dependency on the rest of MLX.
//
//   json::Value v = json::parse(text); // std::invalid_argument on errors:
//   for (auto& rank : v.as_array()) {} // "[json] ... at byte 12 (line 2, ...)"
#pragma once

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace mlx::core::distributed::json {

enum class Type { Null, Bool, Number, String, Array, Object };

inline const char* type_name(Type t) {
  switch (t) {
  case Type::Null:
    return "null";
  case Type::Bool:
    return "bool";
  case Type::Number:
    return "number";
  case Type::String:
    return "string";
  case Type::Array:
    return "array";
  case Type::Object:
    return "object";
  }
  return "unknown";
}

class Value {
public:
  using Array = std::vector<Value>;
  // Objects keep their members in file order; keys are not deduplicated.
  using Object = std::vector<std::pair<std::string, Value>>;

  Value() = default;
  Value(std::nullptr_t) {}
  Value(bool b) : type_(Type::Bool), bool_(b) {}
  Value(double n) : type_(Type::Number), number_(n) {}
  Value(int n) : type_(Type::Number), number_(n) {}
  Value(std::string s) : type_(Type::String), string_(std::move(s)) {}
  Value(const char* s) : type_(Type::String), string_(s) {}
  Value(Array a) : type_(Type::Array), array_(std::move(a)) {}
  Value(Object o) : type_(Type::Object), object_(std::move(o)) {}

  Type type() const { return type_; }
  const char* type_name() const { return json::type_name(type_); }
  bool is_null() const { return type_ == Type::Null; }
  bool is_bool() const { return type_ == Type::Bool; }
  bool is_number() const { return type_ == Type::Number; }
  bool is_string() const { return type_ == Type::String; }
  bool is_array() const { return type_ == Type::Array; }
  bool is_object() const { return type_ == Type::Object; }

  // The accessors throw std::invalid_argument on a type mismatch.
  bool as_bool() const { return expect(Type::Bool), bool_; }
  double as_number() const { return expect(Type::Number), number_; }
  const std::string& as_string() const { return expect(Type::String), string_; }
  const Array& as_array() const { return expect(Type::Array), array_; }
  Array& as_array() { return expect(Type::Array), array_; }
  const Object& as_object() const { return expect(Type::Object), object_; }
  Object& as_object() { return expect(Type::Object), object_; }

  /** The first member named `key` of an object, or nullptr. */
  const Value* find(std::string_view key) const {
    for (auto& [k, v] : as_object()) {
      if (k == key) {
        return &v;
      }
    }
    return nullptr;
  }

private:
  void expect(Type t) const {
    if (type_ != t) {
      throw std::invalid_argument(
          std::string("[json] expected ") + json::type_name(t) + ", got " +
          json::type_name(type_));
    }
  }

  Type type_ = Type::Null;
  bool bool_ = false;
  double number_ = 0;
  std::string string_;
  Array array_;
  Object object_;
};

namespace detail {

// Nesting bound: the parser recurses, and input files are untrusted.
inline constexpr int kMaxDepth = 256;

class Parser {
public:
  explicit Parser(std::string_view text) : text_(text) {}

  Value parse_document() {
    skip_space();
    Value v = parse_value(0);
    skip_space();
    if (pos_ != text_.size()) {
      fail("unexpected trailing characters");
    }
    return v;
  }

private:
  [[noreturn]] void fail(const std::string& what) const {
    size_t line = 1, column = 1;
    for (size_t i = 0; i < pos_ && i < text_.size(); ++i) {
      if (text_[i] == '\n') {
        ++line, column = 1;
      } else {
        ++column;
      }
    }
    throw std::invalid_argument(
        "[json] " + what + " at byte " + std::to_string(pos_) + " (line " +
        std::to_string(line) + ", column " + std::to_string(column) + ")");
  }

  bool at_end() const { return pos_ >= text_.size(); }
  char peek() const { return at_end() ? '\0' : text_[pos_]; }

  void skip_space() {
    while (!at_end() && (peek() == ' ' || peek() == '\t' || peek() == '\n' ||
                         peek() == '\r')) {
      ++pos_;
    }
  }

  void expect_char(char c) {
    if (peek() != c) {
      fail(std::string("expected '") + c + "'" + found());
    }
    ++pos_;
  }

  std::string found() const {
    if (at_end()) {
      return " but the text ended";
    }
    char c = peek();
    if (c >= 0x20 && c < 0x7f) {
      return std::string(", found '") + c + "'";
    }
    char hex[8];
    std::snprintf(hex, sizeof(hex), "0x%02x", static_cast<unsigned char>(c));
    return std::string(", found byte ") + hex;
  }

  Value parse_value(int depth) {
    if (depth > kMaxDepth) {
      fail("nesting deeper than " + std::to_string(kMaxDepth));
    }
    switch (peek()) {
    case '[':
      return parse_array(depth);
    case '{':
      return parse_object(depth);
    case '"':
      return Value(parse_string());
    case 't':
      return parse_literal("true", Value(true));
    case 'f':
      return parse_literal("false", Value(false));
    case 'n':
      return parse_literal("null", Value());
    default:
      if (peek() == '-' || (peek() >= '0' && peek() <= '9')) {
        return parse_number();
      }
      fail("expected a value" + found());
    }
  }

  Value parse_literal(std::string_view word, Value v) {
    if (text_.substr(pos_, word.size()) != word) {
      fail("invalid literal" + found());
    }
    pos_ += word.size();
    return v;
  }

  Value parse_array(int depth) {
    expect_char('[');
    Value::Array items;
    skip_space();
    if (peek() == ']') {
      ++pos_;
      return Value(std::move(items));
    }
    while (true) {
      skip_space();
      items.push_back(parse_value(depth + 1));
      skip_space();
      if (peek() == ',') {
        ++pos_;
      } else if (peek() == ']') {
        ++pos_;
        return Value(std::move(items));
      } else {
        fail("expected ',' or ']' in array" + found());
      }
    }
  }

  Value parse_object(int depth) {
    expect_char('{');
    Value::Object members;
    skip_space();
    if (peek() == '}') {
      ++pos_;
      return Value(std::move(members));
    }
    while (true) {
      skip_space();
      if (peek() != '"') {
        fail("expected a string key in object" + found());
      }
      std::string key = parse_string();
      skip_space();
      expect_char(':');
      skip_space();
      members.emplace_back(std::move(key), parse_value(depth + 1));
      skip_space();
      if (peek() == ',') {
        ++pos_;
      } else if (peek() == '}') {
        ++pos_;
        return Value(std::move(members));
      } else {
        fail("expected ',' or '}' in object" + found());
      }
    }
  }

  Value parse_number() {
    size_t start = pos_;
    auto digits = [&] {
      size_t n = 0;
      while (peek() >= '0' && peek() <= '9') {
        ++pos_, ++n;
      }
      return n;
    };
    if (peek() == '-') {
      ++pos_;
    }
    if (peek() == '0') {
      ++pos_;
    } else if (digits() == 0) {
      fail("expected a digit" + found());
    }
    if (peek() == '.') {
      ++pos_;
      if (digits() == 0) {
        fail("expected a digit after '.'" + found());
      }
    }
    if (peek() == 'e' || peek() == 'E') {
      ++pos_;
      if (peek() == '+' || peek() == '-') {
        ++pos_;
      }
      if (digits() == 0) {
        fail("expected a digit in exponent" + found());
      }
    }
    // The grammar above was checked, so strtod reads exactly this span.
    std::string span(text_.substr(start, pos_ - start));
    return Value(std::strtod(span.c_str(), nullptr));
  }

  unsigned parse_hex4() {
    unsigned code = 0;
    for (int i = 0; i < 4; ++i) {
      char c = peek();
      unsigned digit;
      if (c >= '0' && c <= '9') {
        digit = c - '0';
      } else if (c >= 'a' && c <= 'f') {
        digit = c - 'a' + 10;
      } else if (c >= 'A' && c <= 'F') {
        digit = c - 'A' + 10;
      } else {
        fail("expected a hex digit in \\u escape" + found());
      }
      code = code * 16 + digit;
      ++pos_;
    }
    return code;
  }

  static void append_utf8(std::string& out, uint32_t code) {
    if (code < 0x80) {
      out += static_cast<char>(code);
    } else if (code < 0x800) {
      out += static_cast<char>(0xc0 | (code >> 6));
      out += static_cast<char>(0x80 | (code & 0x3f));
    } else if (code < 0x10000) {
      out += static_cast<char>(0xe0 | (code >> 12));
      out += static_cast<char>(0x80 | ((code >> 6) & 0x3f));
      out += static_cast<char>(0x80 | (code & 0x3f));
    } else {
      out += static_cast<char>(0xf0 | (code >> 18));
      out += static_cast<char>(0x80 | ((code >> 12) & 0x3f));
      out += static_cast<char>(0x80 | ((code >> 6) & 0x3f));
      out += static_cast<char>(0x80 | (code & 0x3f));
    }
  }

  std::string parse_string() {
    expect_char('"');
    std::string out;
    while (true) {
      if (at_end()) {
        fail("unterminated string");
      }
      char c = text_[pos_];
      if (c == '"') {
        ++pos_;
        return out;
      }
      if (static_cast<unsigned char>(c) < 0x20) {
        fail("control character in string" + found());
      }
      if (c != '\\') {
        out += c;
        ++pos_;
        continue;
      }
      ++pos_;
      char e = peek();
      ++pos_;
      switch (e) {
      case '"':
      case '\\':
      case '/':
        out += e;
        break;
      case 'b':
        out += '\b';
        break;
      case 'f':
        out += '\f';
        break;
      case 'n':
        out += '\n';
        break;
      case 'r':
        out += '\r';
        break;
      case 't':
        out += '\t';
        break;
      case 'u': {
        uint32_t code = parse_hex4();
        // A high surrogate must be followed by "\u" and a low surrogate.
        if (code >= 0xd800 && code < 0xdc00) {
          if (text_.substr(pos_, 2) != "\\u") {
            fail("unpaired surrogate in \\u escape");
          }
          pos_ += 2;
          uint32_t low = parse_hex4();
          if (low < 0xdc00 || low >= 0xe000) {
            fail("invalid low surrogate in \\u escape");
          }
          code = 0x10000 + ((code - 0xd800) << 10) + (low - 0xdc00);
        } else if (code >= 0xdc00 && code < 0xe000) {
          fail("unpaired surrogate in \\u escape");
        }
        append_utf8(out, code);
        break;
      }
      default:
        --pos_;
        fail("invalid escape in string" + found());
      }
    }
  }

  std::string_view text_;
  size_t pos_ = 0;
};

} // namespace detail

/** Parses one JSON document; throws std::invalid_argument naming the byte
 * offset (and line/column) of the first error. */
inline Value parse(std::string_view text) {
  return detail::Parser(text).parse_document();
}

/** The value as compact JSON text (strings escaped; numbers in the
 * shortest form that reads back the same). */
inline std::string dump(const Value& v) {
  switch (v.type()) {
  case Type::Null:
    return "null";
  case Type::Bool:
    return v.as_bool() ? "true" : "false";
  case Type::Number: {
    char buf[32];
    std::snprintf(buf, sizeof(buf), "%.17g", v.as_number());
    return buf;
  }
  case Type::String: {
    std::string out = "\"";
    for (unsigned char c : v.as_string()) {
      if (c == '"' || c == '\\') {
        out += '\\';
        out += static_cast<char>(c);
      } else if (c < 0x20) {
        char buf[8];
        std::snprintf(buf, sizeof(buf), "\\u%04x", c);
        out += buf;
      } else {
        out += static_cast<char>(c);
      }
    }
    return out + "\"";
  }
  case Type::Array: {
    std::string out = "[";
    for (auto& item : v.as_array()) {
      out += (out.size() > 1 ? ", " : "") + dump(item);
    }
    return out + "]";
  }
  case Type::Object: {
    std::string out = "{";
    for (auto& [key, item] : v.as_object()) {
      out +=
          (out.size() > 1 ? ", " : "") + dump(Value(key)) + ": " + dump(item);
    }
    return out + "}";
  }
  }
  return "null";
}

} // namespace mlx::core::distributed::json
