// Settings, names and span helpers shared by the backends.
#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <stdexcept>
#include <string>

#include "mlx/distributed/distributed_impl.h"

namespace mlx::core::distributed::detail {

double timeout_seconds() {
  static const double seconds = [] {
    const char* text = std::getenv("MLX_DIST_TIMEOUT");
    if (text == nullptr) {
      return kDefaultTimeoutSeconds;
    }
    char* end = nullptr;
    double v = std::strtod(text, &end);
    if (end == text || *end != '\0' || !std::isfinite(v) || v <= 0) {
      throw std::invalid_argument(
          std::string("[distributed] MLX_DIST_TIMEOUT=") + text +
          " must be a positive number of seconds.");
    }
    return v;
  }();
  return seconds;
}

const char* all_reduce_name(ReduceOp op) {
  switch (op) {
  case ReduceOp::Sum:
    return "all_sum";
  case ReduceOp::Max:
    return "all_max";
  case ReduceOp::Min:
    return "all_min";
  }
  return "all_reduce";
}

void for_each_piece(
    const std::vector<Span>& spans,
    size_t begin,
    size_t count,
    const std::function<void(size_t, size_t, size_t)>& fn) {
  size_t end = begin + count;
  size_t start = 0; // of span i in the joined vector
  for (size_t i = 0; i < spans.size() && start < end; ++i) {
    size_t stop = start + spans[i].count;
    size_t lo = std::max(begin, start);
    size_t hi = std::min(end, stop);
    if (lo < hi) {
      fn(i, lo - start, hi - lo);
    }
    start = stop;
  }
}

size_t span_elements(const std::vector<Span>& spans) {
  size_t total = 0;
  for (auto& s : spans) {
    total += s.count;
  }
  return total;
}

void pack_spans(
    const std::vector<Span>& spans,
    size_t elem_bytes,
    size_t begin,
    size_t count,
    void* dst) {
  char* to = static_cast<char*>(dst);
  for_each_piece(spans, begin, count, [&](size_t i, size_t at, size_t n) {
    const char* from = static_cast<const char*>(spans[i].in) + at * elem_bytes;
    if (from != to) { // an in-place span already lies where it goes
      std::memcpy(to, from, n * elem_bytes);
    }
    to += n * elem_bytes;
  });
}

void unpack_spans(
    const std::vector<Span>& spans,
    Dtype dtype,
    size_t begin,
    size_t count,
    const void* src,
    int divisor) {
  size_t elem_bytes = dtype.size();
  const char* from = static_cast<const char*>(src);
  for_each_piece(spans, begin, count, [&](size_t i, size_t at, size_t n) {
    char* to = static_cast<char*>(spans[i].out) + at * elem_bytes;
    if (divisor != 1) {
      divide_into(dtype, from, to, n, divisor);
    } else if (to != from) {
      std::memcpy(to, from, n * elem_bytes);
    }
    from += n * elem_bytes;
  });
}

void GroupImpl::all_reduce_spans(
    const std::vector<Span>& spans, Dtype dtype, ReduceOp op, int divisor) {
  size_t count = span_elements(spans);
  std::vector<char> joined(count * dtype.size());
  pack_spans(spans, dtype.size(), 0, count, joined.data());
  all_reduce(joined.data(), joined.data(), count, dtype, op);
  unpack_spans(spans, dtype, 0, count, joined.data(), divisor);
}

} // namespace mlx::core::distributed::detail
