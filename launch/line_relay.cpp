#include "line_relay.h"

#include <unistd.h>

#include <cerrno>

namespace mlx::launch {

bool write_fully(int fd, std::string_view data) {
  while (!data.empty()) {
    ssize_t n = write(fd, data.data(), data.size());
    if (n < 0 && errno == EINTR) {
      continue;
    }
    if (n <= 0) {
      return false;
    }
    data.remove_prefix(static_cast<size_t>(n));
  }
  return true;
}

void LineRelay::emit(std::string_view line) {
  line_.assign(prefix_);
  line_.append(line);
  line_.push_back('\n');
  // A closed launcher stdout (e.g. `| head`) drops output, not the job.
  write_fully(out_fd_, line_);
}

void LineRelay::feed(std::string_view data) {
  while (!data.empty()) {
    size_t newline = data.find('\n');
    if (newline == std::string_view::npos) {
      pending_.append(data);
      while (pending_.size() >= kMaxBufferedLine) {
        emit(std::string_view(pending_).substr(0, kMaxBufferedLine));
        pending_.erase(0, kMaxBufferedLine);
      }
      return;
    }
    if (pending_.empty()) {
      emit(data.substr(0, newline));
    } else {
      pending_.append(data.substr(0, newline));
      emit(pending_);
      pending_.clear();
    }
    data.remove_prefix(newline + 1);
  }
}

void LineRelay::finish() {
  if (!pending_.empty()) {
    emit(pending_);
    pending_.clear();
  }
}

} // namespace mlx::launch
