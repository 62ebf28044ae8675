#include "node_list.h"

#include <string>

#include "options.h"

namespace mlx::launch {

namespace {

[[noreturn]] void bad_list(std::string_view text, const std::string& why) {
  throw UsageError(
      "--hosts expects a comma-separated list of host names (SLURM's "
      "node[01-04,07] form too), got '" +
      std::string(text) + "': " + why);
}

bool all_digits(std::string_view s) {
  if (s.empty()) {
    return false;
  }
  for (char c : s) {
    if (c < '0' || c > '9') {
      return false;
    }
  }
  return true;
}

// The numbers a bracket's contents ("01-04,07") stand for, as text.
std::vector<std::string>
expand_bracket(std::string_view inside, std::string_view text) {
  std::vector<std::string> numbers;
  size_t start = 0;
  while (start <= inside.size()) {
    size_t comma = inside.find(',', start);
    std::string_view item = inside.substr(start, comma - start);
    size_t dash = item.find('-');
    std::string_view lo = item.substr(0, dash);
    std::string_view hi =
        dash == std::string_view::npos ? lo : item.substr(dash + 1);
    // Beyond 9 digits the numbers would not fit an int.
    if (!all_digits(lo) || !all_digits(hi) || lo.size() > 9 || hi.size() > 9) {
      bad_list(text, "'" + std::string(item) + "' is not a number or range");
    }
    long first = std::stol(std::string(lo));
    long last = std::stol(std::string(hi));
    if (last < first) {
      bad_list(
          text, "the range '" + std::string(item) + "' ends below its start");
    }
    if (last - first >= static_cast<long>(kMaxListedHosts)) {
      bad_list(text, "more than " + std::to_string(kMaxListedHosts) + " hosts");
    }
    for (long n = first; n <= last; ++n) {
      std::string digits = std::to_string(n);
      if (digits.size() < lo.size()) {
        digits.insert(0, lo.size() - digits.size(), '0');
      }
      numbers.push_back(std::move(digits));
    }
    if (comma == std::string_view::npos) {
      break;
    }
    start = comma + 1;
  }
  return numbers;
}

// Appends the names one comma-free entry ("r[1-2]n[01-02]") expands to.
void expand_name(
    std::string_view name,
    std::string_view text,
    std::vector<std::string>& hosts) {
  size_t open = name.find('[');
  if (open == std::string_view::npos) {
    if (name.find(']') != std::string_view::npos) {
      bad_list(text, "unbalanced brackets");
    }
    hosts.emplace_back(name);
    return;
  }
  size_t close = name.find(']', open);
  if (close == std::string_view::npos ||
      name.substr(0, open).find(']') != std::string_view::npos) {
    bad_list(text, "unbalanced brackets");
  }
  std::string_view inside = name.substr(open + 1, close - open - 1);
  if (inside.find('[') != std::string_view::npos) {
    bad_list(text, "nested brackets");
  }
  for (const std::string& number : expand_bracket(inside, text)) {
    std::string head = std::string(name.substr(0, open)) + number;
    std::vector<std::string> tails;
    expand_name(name.substr(close + 1), text, tails);
    for (const std::string& tail : tails) {
      if (hosts.size() >= kMaxListedHosts) {
        bad_list(
            text, "more than " + std::to_string(kMaxListedHosts) + " hosts");
      }
      hosts.push_back(head + tail);
    }
  }
}

} // namespace

std::vector<std::string> expand_node_list(std::string_view text) {
  std::vector<std::string> hosts;
  size_t start = 0;
  int depth = 0;
  for (size_t i = 0; i <= text.size(); ++i) {
    char c = i < text.size() ? text[i] : ',';
    depth += c == '[' ? 1 : c == ']' ? -1 : 0;
    if (depth < 0 || depth > 1) {
      bad_list(text, depth < 0 ? "unbalanced brackets" : "nested brackets");
    }
    if (c != ',' || depth != 0) {
      continue;
    }
    std::string_view name = text.substr(start, i - start);
    if (name.empty()) {
      bad_list(text, "an empty host name");
    }
    expand_name(name, text, hosts);
    start = i + 1;
  }
  if (depth != 0) {
    bad_list(text, "unbalanced brackets");
  }
  return hosts;
}

} // namespace mlx::launch
