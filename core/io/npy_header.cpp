// The .npy header: writing it, and strictly parsing the dict of a file
// (numpy/lib/format.py documents the format).
#include <algorithm>
#include <cstring>
#include <limits>
#include <sstream>

#include "mlx/io/npy.h"

namespace mlx::core::io {
namespace {

// numpy.lib.format.ARRAY_ALIGN: the data starts at a multiple of 64 bytes.
constexpr size_t kDataAlign = 64;
// Version 1.0 stores the header length in an uint16.
constexpr size_t kMaxVersion1HeaderSize = 65535;

// NumPy's type codes (kind character + item size) of the dtypes it has.
const char* npy_type_code(Dtype dtype) {
  switch (dtype.val()) {
  case Dtype::Val::bool_:
    return "b1";
  case Dtype::Val::uint8:
    return "u1";
  case Dtype::Val::uint16:
    return "u2";
  case Dtype::Val::uint32:
    return "u4";
  case Dtype::Val::uint64:
    return "u8";
  case Dtype::Val::int8:
    return "i1";
  case Dtype::Val::int16:
    return "i2";
  case Dtype::Val::int32:
    return "i4";
  case Dtype::Val::int64:
    return "i8";
  case Dtype::Val::float16:
    return "f2";
  case Dtype::Val::float32:
    return "f4";
  case Dtype::Val::float64:
    return "f8";
  case Dtype::Val::complex64:
    return "c8";
  case Dtype::Val::bfloat16:
    return nullptr;
  }
  return nullptr;
}

constexpr Dtype kNpyDtypes[] = {
    bool_,
    uint8,
    uint16,
    uint32,
    uint64,
    int8,
    int16,
    int32,
    int64,
    float16,
    float32,
    float64,
    complex64};

// Header text for error messages: at most 80 characters, control and
// non-ASCII bytes escaped.
std::string excerpt(const std::string& text) {
  std::ostringstream os;
  for (size_t i = 0; i < text.size() && i < 80; ++i) {
    auto c = static_cast<unsigned char>(text[i]);
    if (c >= 0x20 && c < 0x7f) {
      os << text[i];
    } else {
      const char* hex = "0123456789abcdef";
      os << "\\x" << hex[c >> 4] << hex[c & 15];
    }
  }
  if (text.size() > 80) {
    os << "...";
  }
  return os.str();
}

// The dict as written: descr still a string.
struct RawHeader {
  std::string descr;
  bool fortran_order{false};
  Shape shape;
};

// A strict reader of the header dict: exactly the keys descr (a string),
// fortran_order (True/False) and shape (a tuple of non-negative ints).
class HeaderParser {
public:
  HeaderParser(const std::string& text, const std::string& where)
      : text_(text), where_(where) {}

  RawHeader parse() {
    RawHeader h;
    bool seen_descr = false, seen_order = false, seen_shape = false;
    skip_space();
    expect('{');
    for (;;) {
      skip_space();
      if (consume('}')) {
        break;
      }
      std::string key = parse_string();
      skip_space();
      expect(':');
      skip_space();
      if (key == "descr") {
        check_unique(seen_descr, key);
        if (peek() == '[') {
          error("structured dtypes are not supported");
        }
        h.descr = parse_string();
      } else if (key == "fortran_order") {
        check_unique(seen_order, key);
        h.fortran_order = parse_bool();
      } else if (key == "shape") {
        check_unique(seen_shape, key);
        h.shape = parse_shape();
      } else {
        error("unexpected key '" + excerpt(key) + "'");
      }
      skip_space();
      if (consume(',')) {
        continue;
      }
      expect('}');
      break;
    }
    skip_space();
    if (pos_ != text_.size()) {
      error("unexpected text after the dict");
    }
    if (!seen_descr || !seen_order || !seen_shape) {
      fail(
          where_,
          "the .npy header lacks the key '",
          !seen_descr   ? "descr"
          : !seen_order ? "fortran_order"
                        : "shape",
          "': '",
          excerpt(text_),
          "'.");
    }
    return h;
  }

private:
  [[noreturn]] void error(const std::string& what) {
    fail(
        where_,
        "malformed .npy header (",
        what,
        " at character ",
        pos_,
        "): '",
        excerpt(text_),
        "'.");
  }
  static bool is_space(char c) {
    return c == ' ' || c == '\t' || c == '\r' || c == '\n';
  }
  char peek() const { return pos_ < text_.size() ? text_[pos_] : '\0'; }
  void skip_space() {
    while (pos_ < text_.size() && is_space(text_[pos_])) {
      ++pos_;
    }
  }
  bool consume(char c) {
    if (pos_ < text_.size() && text_[pos_] == c) {
      ++pos_;
      return true;
    }
    return false;
  }
  void expect(char c) {
    if (!consume(c)) {
      error(std::string("expected '") + c + "'");
    }
  }
  void check_unique(bool& seen, const std::string& key) {
    if (seen) {
      error("duplicate key '" + key + "'");
    }
    seen = true;
  }
  std::string parse_string() {
    char quote = peek();
    if (quote != '\'' && quote != '"') {
      error("expected a quoted string");
    }
    size_t start = ++pos_;
    while (pos_ < text_.size() && text_[pos_] != quote) {
      if (text_[pos_] == '\\') {
        error("escape sequences are not supported");
      }
      ++pos_;
    }
    if (pos_ == text_.size()) {
      error("unterminated string");
    }
    return text_.substr(start, pos_++ - start);
  }
  bool parse_bool() {
    for (bool value : {true, false}) {
      std::string word = value ? "True" : "False";
      if (text_.compare(pos_, word.size(), word) == 0) {
        pos_ += word.size();
        return value;
      }
    }
    error("expected True or False");
  }
  int32_t parse_dim() {
    size_t start = pos_;
    int64_t value = 0;
    while (pos_ < text_.size() && text_[pos_] >= '0' && text_[pos_] <= '9') {
      value = value * 10 + (text_[pos_++] - '0');
      if (value > std::numeric_limits<int32_t>::max()) {
        error("dimension exceeds the int32 range");
      }
    }
    if (pos_ == start) {
      error("expected a non-negative integer");
    }
    if (text_[start] == '0' && pos_ - start > 1) {
      error("integer with a leading zero");
    }
    return static_cast<int32_t>(value);
  }
  Shape parse_shape() {
    expect('(');
    Shape shape;
    bool trailing_comma = false;
    for (;;) {
      skip_space();
      if (consume(')')) {
        break;
      }
      shape.push_back(parse_dim());
      skip_space();
      trailing_comma = consume(',');
      if (!trailing_comma) {
        expect(')');
        break;
      }
    }
    if (shape.size() == 1 && !trailing_comma) {
      error("a one-element shape needs a trailing comma, as in (3,)");
    }
    return shape;
  }

  const std::string& text_;
  const std::string& where_;
  size_t pos_{0};
};

struct ParsedDescr {
  Dtype dtype;
  bool byte_swap;
};

ParsedDescr parse_descr(const std::string& descr, const std::string& where) {
  // Byte order: '<' little, '>' big, '=' native, '|' not applicable.
  std::string code = descr;
  bool big_endian = false;
  if (!code.empty() &&
      (code[0] == '<' || code[0] == '>' || code[0] == '=' || code[0] == '|')) {
    big_endian = code[0] == '>';
    code = code.substr(1);
  }
  for (Dtype dtype : kNpyDtypes) {
    if (code == npy_type_code(dtype)) {
      return {dtype, big_endian && size_of(dtype) > 1};
    }
  }
  fail(
      where,
      "unsupported dtype '",
      excerpt(descr),
      "' (supported: bool, int8-64, uint8-64, float16, float32, float64, "
      "complex64).");
}

} // namespace

std::string npy_shape_text(const Shape& shape) {
  std::ostringstream os;
  os << "(";
  for (size_t i = 0; i < shape.size(); ++i) {
    os << (i ? ", " : "") << shape[i];
  }
  os << (shape.size() == 1 ? ",)" : ")");
  return os.str();
}

NpyHeader parse_npy_header(const std::string& text, const std::string& where) {
  RawHeader raw = HeaderParser(text, where).parse();
  auto [dtype, swap] = parse_descr(raw.descr, where);
  return {dtype, swap, raw.fortran_order, std::move(raw.shape)};
}

std::string npy_header(Dtype dtype, const Shape& shape, const char* op) {
  const char* code = npy_type_code(dtype);
  if (code == nullptr) {
    throw_error(
        "[",
        op,
        "] NumPy has no ",
        dtype,
        " type, so a ",
        dtype,
        " array cannot be saved as .npy; convert it with astype or use "
        "save_safetensors.");
  }
  std::string dict =
      std::string("{'descr': '") + (size_of(dtype) == 1 ? "|" : "<") + code +
      "', 'fortran_order': False, 'shape': " + npy_shape_text(shape) + ", }";
  // Version 1.0 if the padded header fits its 2-byte length field.
  size_t preamble = kNpyMagicSize + 2 + 2;
  size_t total =
      (preamble + dict.size() + 1 + kDataAlign - 1) / kDataAlign * kDataAlign;
  uint8_t major = 1;
  if (total - preamble > kMaxVersion1HeaderSize) {
    major = 2;
    preamble = kNpyMagicSize + 2 + 4;
    total =
        (preamble + dict.size() + 1 + kDataAlign - 1) / kDataAlign * kDataAlign;
  }
  size_t header_size = total - preamble;
  std::string out(kNpyMagic, kNpyMagicSize);
  out += static_cast<char>(major);
  out += '\0';
  uint8_t length[4];
  put_u32(length, static_cast<uint32_t>(header_size));
  out.append(reinterpret_cast<char*>(length), major == 1 ? 2 : 4);
  out += dict;
  out.append(header_size - dict.size() - 1, ' ');
  out += '\n';
  return out;
}

} // namespace mlx::core::io
