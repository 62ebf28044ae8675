// Copies one rank's output stream to the launcher's, a whole line at a time,
// each line prefixed with the rank ("[3] ..."). Every line goes out in one
// write(), so lines of different ranks never mix mid-line.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <utility>

namespace mlx::launch {

/** A line longer than this is written in pieces, so that a rank printing
 * without newlines cannot make the launcher's memory grow without bound. */
inline constexpr size_t kMaxBufferedLine = 1 << 20;

class LineRelay {
public:
  LineRelay(int out_fd, std::string prefix)
      : out_fd_(out_fd), prefix_(std::move(prefix)) {}

  /** Writes the complete lines in pending output + `data`; keeps the rest. */
  void feed(std::string_view data);

  /** Writes a last unterminated line, with a newline added. */
  void finish();

private:
  void emit(std::string_view line);

  int out_fd_;
  std::string prefix_;
  std::string pending_;
  std::string line_; // reused buffer for prefix + line + '\n'
};

/** Writes all of `data` to `fd`, retrying after EINTR and short writes.
 * Returns false on an error (e.g. the reader went away). */
bool write_fully(int fd, std::string_view data);

} // namespace mlx::launch
