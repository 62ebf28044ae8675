// Internal: a small strict JSON (RFC 8259) reader and string quoting, for
// the .safetensors header.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace mlx::core::io {

struct JsonValue {
  enum class Type { null, boolean, number, string, array, object };
  Type type{Type::null};
  bool boolean{false};
  // A string's decoded (UTF-8) contents, or a number's literal text.
  std::string text;
  std::vector<JsonValue> elements;
  // Members in file order; keys are unique.
  std::vector<std::pair<std::string, JsonValue>> members;
};

/** Parses one JSON value (surrounded only by whitespace). Rejects anything
 * RFC 8259 does not allow, invalid UTF-8, duplicate object keys and nesting
 * deeper than 64. Throws std::runtime_error("... at byte N"). */
JsonValue parse_json(std::string_view text);

/** The value of a number literal that is a non-negative integer fitting
 * in 64 bits (no sign, fraction or exponent); nullopt otherwise. */
std::optional<uint64_t> json_uint64(const JsonValue& value);

/** Whether the bytes are well-formed UTF-8. */
bool is_valid_utf8(std::string_view text);

/** `text` (UTF-8) as a quoted JSON string. */
std::string json_quote(std::string_view text);

} // namespace mlx::core::io
