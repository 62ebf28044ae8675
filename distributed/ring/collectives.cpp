// The ring collectives. Every one splits its buffer into lanes (sockets ×
// directions); within a lane the n ranks pass n blocks around the ring.
//
// All-reduce is a reduce-scatter then an all-gather: in reduce-scatter step
// s a rank sends block (r - d·s) and receives block (r - d·(s+1)), which it
// reduces with its own copy and forwards in the next step; after n-1 steps it
// holds the total of block (r + d), which the all-gather passes on. Each rank
// thus sends and receives 2(n-1)/n of the buffer, and forwarding waits only
// for the chunk it forwards, so the steps overlap.
#include <cstring>
#include <memory>
#include <stdexcept>
#include <vector>

#include "group.h"
#include "mlx/distributed/distributed_impl.h"

namespace mlx::core::distributed::ring {

namespace {

using detail::ReduceOp;

// Below this many bytes gathered per rank, all_reduce gathers whole buffers
// instead of running reduce-scatter + all-gather: measured on loopback, the
// saved n - 1 steps outweigh the extra bytes up to about here.
constexpr size_t kSmallAllReduceBytes = size_t(256) << 10;

// Part i of `total` items split into `parts` nearly equal parts.
struct Range {
  size_t begin;
  size_t size;
};
Range part(size_t total, size_t parts, size_t i) {
  size_t base = total / parts;
  size_t extra = total % parts;
  return {i * base + std::min(i, extra), base + (i < extra ? 1 : 0)};
}

// Python-style modulo for block indices that step below zero.
size_t wrap(long long index, int n) {
  long long m = index % n;
  return static_cast<size_t>(m < 0 ? m + n : m);
}

} // namespace

void RingGroup::all_reduce(
    const void* in, void* out, size_t count, Dtype dtype, ReduceOp op) {
  all_reduce_spans({{in, out, count}}, dtype, op, 1);
}

// The spans are one vector split into lanes and blocks exactly as one
// buffer would be; a block that crosses span boundaries is sent and
// received as one item per span piece, so chunks go from and to the spans'
// own buffers and results match a reduction of the packed buffer bit for
// bit.
void RingGroup::all_reduce_spans(
    const std::vector<detail::Span>& spans,
    Dtype dtype,
    ReduceOp op,
    int divisor) {
  const char* name = detail::all_reduce_name(op);
  check_usable(name);
  size_t elem = dtype.size();
  size_t count = detail::span_elements(spans);
  int n = size();
  size_t bytes = count * elem;
  if (n == 1 || bytes * (n - 1) <= kSmallAllReduceBytes) {
    // Latency-bound: gather every rank's buffer (n - 1 steps instead of
    // 2(n - 1)) and reduce the copies locally, in rank order everywhere so
    // that every rank gets the same bits.
    std::vector<char> all(bytes * n);
    char* own = all.data() + bytes * rank_;
    detail::pack_spans(spans, elem, 0, count, own);
    gather_ring(own, all.data(), bytes, name);
    for (int b = 1; b < n; ++b) {
      detail::reduce_into(op, dtype, all.data() + b * bytes, all.data(), count);
    }
    detail::unpack_spans(spans, dtype, 0, count, all.data(), divisor);
    return;
  }
  bool in_place = false;
  for (auto& span : spans) {
    in_place = in_place || span.in == span.out;
  }
  std::vector<int> dirs;
  std::vector<Lane> lanes = ring_lanes(bytes, dirs);
  char* scratch = in_place ? lane_scratch(lanes.size()) : nullptr;
  long long r = rank_;
  for (size_t l = 0; l < lanes.size(); ++l) {
    Lane& lane = lanes[l];
    lane.scratch = scratch ? scratch + l * kChunkBytes : nullptr;
    long long d = dirs[l];
    Range lane_range = part(count, lanes.size(), l);
    auto block = [&](long long b) { // in elements of the joined vector
      Range blk = part(lane_range.size, n, wrap(b, n));
      return Range{lane_range.begin + blk.begin, blk.size};
    };
    auto in_at = [&](size_t i, size_t at) {
      return static_cast<const char*>(spans[i].in) + at * elem;
    };
    auto out_at = [&](size_t i, size_t at) {
      return static_cast<char*>(spans[i].out) + at * elem;
    };
    // The lane's first receive of each step: a forwarding send waits for
    // the receive of the same piece one step earlier.
    std::vector<size_t> first_recv;
    auto send_block = [&](Range blk, bool from_in, int after_step) {
      size_t j = 0;
      detail::for_each_piece(
          spans, blk.begin, blk.size, [&](size_t i, size_t at, size_t m) {
            int after = after_step < 0
                            ? -1
                            : static_cast<int>(first_recv[after_step] + j++);
            lane.sends.push_back(
                {from_in ? in_at(i, at) : out_at(i, at), m * elem, after});
          });
    };
    auto recv_block = [&](Range blk, bool combine, bool last) {
      first_recv.push_back(lane.recvs.size());
      detail::for_each_piece(
          spans, blk.begin, blk.size, [&](size_t i, size_t at, size_t m) {
            lane.recvs.push_back(
                {out_at(i, at),
                 m * elem,
                 combine ? in_at(i, at) : nullptr,
                 last});
          });
    };
    for (int s = 0; s < n - 1; ++s) { // reduce-scatter
      send_block(block(r - d * s), s == 0, s - 1);
      recv_block(block(r - d * (s + 1)), true, s == n - 2);
    }
    for (int s = 0; s < n - 1; ++s) { // all-gather of the reduced blocks
      send_block(block(r + d * (1 - s)), false, n - 2 + s);
      recv_block(block(r - d * s), false, false);
    }
  }
  Reduction reduction{op, dtype, divisor};
  run(name, lanes, &reduction);
}

void RingGroup::reduce_scatter(
    const void* in, void* out, size_t count, Dtype dtype, ReduceOp op) {
  const char* name = op == ReduceOp::Sum ? "sum_scatter" : "reduce_scatter";
  check_usable(name);
  size_t elem = dtype.size();
  int n = size();
  if (n == 1 || count == 0) {
    if (in != out && count > 0) {
      std::memcpy(out, in, count * elem);
    }
    return;
  }
  const char* src = static_cast<const char*>(in);
  // Partial sums of the blocks this rank forwards live here, and the final
  // block too: `out` may overlap `in`, which is read until the end.
  size_t block_bytes = count * elem;
  std::unique_ptr<char[]> partial(new char[block_bytes * n]);
  std::vector<int> dirs;
  std::vector<Lane> lanes = ring_lanes(block_bytes, dirs);
  long long r = rank_;
  for (size_t l = 0; l < lanes.size(); ++l) {
    Lane& lane = lanes[l];
    long long d = dirs[l];
    // This lane's slice of every rank's block.
    Range slice = part(count, lanes.size(), l);
    auto offset = [&](long long b) {
      return (wrap(b, n) * count + slice.begin) * elem;
    };
    size_t bytes = slice.size * elem;
    // Shifted by one block against all_reduce so that the block completed
    // last, (r - d·n) = r, is this rank's own.
    for (int s = 0; s < n - 1; ++s) {
      size_t send_at = offset(r - d * (s + 1));
      size_t recv_at = offset(r - d * (s + 2));
      lane.sends.push_back(
          {(s == 0 ? src : partial.get()) + send_at, bytes, s - 1});
      lane.recvs.push_back({partial.get() + recv_at, bytes, src + recv_at});
    }
  }
  Reduction reduction{op, dtype};
  run(name, lanes, &reduction);
  std::memmove(out, partial.get() + rank_ * block_bytes, block_bytes);
}

void RingGroup::gather_ring(
    const void* in, void* out, size_t bytes, const char* op) {
  int n = size();
  char* dst = static_cast<char*>(out);
  char* own = dst + static_cast<size_t>(rank_) * bytes;
  if (in != own && bytes > 0) {
    std::memmove(own, in, bytes);
  }
  if (n == 1 || bytes == 0) {
    return;
  }
  std::vector<int> dirs;
  std::vector<Lane> lanes = ring_lanes(bytes * n, dirs);
  long long r = rank_;
  for (size_t l = 0; l < lanes.size(); ++l) {
    Lane& lane = lanes[l];
    long long d = dirs[l];
    Range slice = part(bytes, lanes.size(), l);
    auto at = [&](long long b) {
      return dst + wrap(b, n) * bytes + slice.begin;
    };
    for (int s = 0; s < n - 1; ++s) {
      lane.sends.push_back({at(r - d * s), slice.size, s - 1});
      lane.recvs.push_back({at(r - d * (s + 1)), slice.size, nullptr});
    }
  }
  run(op, lanes);
}

void RingGroup::all_gather(const void* in, void* out, size_t bytes) {
  check_usable("all_gather");
  gather_ring(in, out, bytes, "all_gather");
}

void RingGroup::broadcast(void* data, size_t bytes, int root) {
  check_usable("broadcast");
  int n = size();
  if (root < 0 || root >= n) {
    throw std::invalid_argument(
        "[ring] broadcast: root " + std::to_string(root) +
        " is out of range for a group of " + std::to_string(n));
  }
  if (n == 1 || bytes == 0) {
    return;
  }
  char* buffer = static_cast<char*>(data);
  std::vector<int> dirs;
  std::vector<Lane> lanes = ring_lanes(bytes, dirs);
  for (size_t l = 0; l < lanes.size(); ++l) {
    Lane& lane = lanes[l];
    Range slice = part(bytes, lanes.size(), l);
    // Position along this lane's chain root -> root+d -> ...
    size_t position = wrap(dirs[l] * (static_cast<long long>(rank_) - root), n);
    if (position > 0) {
      lane.recvs.push_back({buffer + slice.begin, slice.size, nullptr});
    }
    if (position + 1 < static_cast<size_t>(n)) {
      lane.sends.push_back(
          {buffer + slice.begin, slice.size, position > 0 ? 0 : -1});
    }
  }
  run("broadcast", lanes);
}

void RingGroup::barrier() {
  check_usable("barrier");
  // An all-gather of one byte: nobody's byte can arrive anywhere before its
  // owner has entered the barrier.
  char mine = 1;
  std::vector<char> all(static_cast<size_t>(size()));
  gather_ring(&mine, all.data(), 1, "barrier");
}

} // namespace mlx::core::distributed::ring
