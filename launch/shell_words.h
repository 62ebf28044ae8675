// Quoting for POSIX shells: command lines that are printed for the user and
// sent to remote hosts over ssh.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace mlx::launch {

/** `word` as one shell word: unchanged when it has no special characters,
 * else in single quotes (a ' inside becomes '\''). */
inline std::string shell_quote(std::string_view word) {
  auto is_plain = [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
           (c >= '0' && c <= '9') ||
           std::string_view("_@%+=:,./-").find(c) != std::string_view::npos;
  };
  bool plain = !word.empty();
  for (char c : word) {
    plain = plain && is_plain(c);
  }
  if (plain) {
    return std::string(word);
  }
  std::string quoted = "'";
  for (char c : word) {
    quoted += c == '\'' ? std::string("'\\''") : std::string(1, c);
  }
  return quoted + "'";
}

/** The words quoted and joined by spaces. */
inline std::string shell_join(const std::vector<std::string>& words) {
  std::string line;
  for (const std::string& word : words) {
    line += (line.empty() ? "" : " ") + shell_quote(word);
  }
  return line;
}

} // namespace mlx::launch
