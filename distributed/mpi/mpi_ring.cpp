#include "mlx/distributed/mpi/mpi_ring.h"

#include <algorithm>

#include "mlx/distributed/distributed_impl.h"
#include "mlx/distributed/mpi/mpi_requests.h"

namespace mlx::core::distributed::mpi {

namespace {

// Apart from the user's point-to-point messages (tag 0).
constexpr int kRingTag = 1;

// A block goes as messages of at most this size, so that the reduction of
// one message overlaps the transfer of the next where the network allows.
constexpr size_t kMessageBytes = size_t(512) << 10;

// Arrays from this size go as messages of their own, straight from their
// buffers; smaller ones are gathered into shared messages (a copy), so
// that they do not each pay a message's latency.
constexpr size_t kOwnMessageBytes = size_t(64) << 10;

// Elements [begin, begin + size) of the spans taken as one vector.
struct Range {
  size_t begin;
  size_t size;
};

// Block b (taken modulo n, also below zero) of `count` elements split
// into n nearly equal blocks.
Range block(size_t count, int n, long long b) {
  size_t i = static_cast<size_t>(((b % n) + n) % n);
  size_t base = count / n, extra = count % n;
  return {i * base + std::min(i, extra), base + (i < extra ? 1 : 0)};
}

} // namespace

void ring_all_reduce(
    MPI_Comm comm,
    int rank,
    int size,
    const std::vector<detail::Span>& spans,
    Dtype dtype,
    detail::ReduceOp op,
    int divisor,
    std::vector<char>& scratch) {
  const char* name = detail::all_reduce_name(op);
  size_t item = size_of(dtype);
  size_t count = detail::span_elements(spans);
  int n = size;
  int next = (rank + 1) % n, prev = (rank + n - 1) % n;
  size_t limit =
      std::max<size_t>(1, std::min(kMessageBytes, chunk_bytes()) / item);
  if (scratch.size() < (count / n + 1) * item) {
    scratch.resize((count / n + 1) * item);
  }
  // The outputs are one buffer; element e of the joined vector is at
  // out + e * item.
  char* out = static_cast<char*>(spans.front().out);
  auto at = [&](size_t element) { return out + element * item; };
  // A block's messages, from the arrays' shapes alone (the same on every
  // rank, so that each send matches the receive posted for it): a part of
  // a large array goes on its own, runs of small ones together; none
  // exceeds `limit` elements.
  size_t large = std::max<size_t>(1, kOwnMessageBytes / item);
  auto messages = [&](Range blk) {
    std::vector<Range> m;
    bool run = false; // whether m.back() is an open run of small parts
    detail::for_each_piece(
        spans, blk.begin, blk.size, [&](size_t i, size_t a, size_t k) {
          size_t element =
              m.empty() ? blk.begin : m.back().begin + m.back().size;
          bool small = spans[i].count < large;
          if (small && run && m.back().size + k <= limit) {
            m.back().size += k;
            return;
          }
          for (size_t done = 0; done < k; done += limit) {
            m.push_back({element + done, std::min(limit, k - done)});
          }
          run = small && k <= limit;
        });
    return m;
  };
  // Where message m of this rank's input goes from: the input itself when
  // it lies in one array, else a copy in m's own outputs, which the
  // reduce-scatter does not write (block r is completed by another rank).
  auto input_of = [&](Range m) -> const void* {
    const void* first = nullptr;
    size_t pieces = 0;
    detail::for_each_piece(
        spans, m.begin, m.size, [&](size_t i, size_t a, size_t) {
          if (pieces++ == 0) {
            first = static_cast<const char*>(spans[i].in) + a * item;
          }
        });
    if (pieces == 1) {
      return first;
    }
    detail::pack_spans(spans, item, m.begin, m.size, at(m.begin));
    return at(m.begin);
  };
  auto send = [&](Requests& r, const void* p, Range m) {
    r.check(MPI_Isend(
        p, int(m.size * item), MPI_BYTE, next, kRingTag, comm, r.add()));
  };
  auto recv = [&](Requests& r, void* p, Range m) {
    r.check(MPI_Irecv(
        p, int(m.size * item), MPI_BYTE, prev, kRingTag, comm, r.add()));
  };
  long long r0 = rank;
  // Reduce-scatter: in step s, send block r - s (this rank's input at
  // first, then the partial result it just made) and combine block
  // r - s - 1 from the previous rank with this rank's input. After n - 1
  // steps this rank holds the result of block r + 1.
  for (int s = 0; s < n - 1; ++s) {
    bool last = s == n - 2;
    Range incoming = block(count, n, r0 - s - 1);
    auto to_recv = messages(incoming);
    Requests r(name, rank);
    for (auto& m : to_recv) {
      recv(r, scratch.data() + (m.begin - incoming.begin) * item, m);
    }
    for (auto& m : messages(block(count, n, r0 - s))) {
      send(r, s == 0 ? input_of(m) : at(m.begin), m);
    }
    // Combine each message as it lands, array by array.
    r.wait_each([&](size_t i) {
      if (i >= to_recv.size()) {
        return;
      }
      size_t element = to_recv[i].begin;
      detail::for_each_piece(
          spans, element, to_recv[i].size, [&](size_t j, size_t a, size_t k) {
            detail::combine_into(
                op,
                dtype,
                static_cast<const char*>(spans[j].in) + a * item,
                scratch.data() + (element - incoming.begin) * item,
                at(element),
                k,
                last ? divisor : 1);
            element += k;
          });
    });
  }
  // All-gather: pass the completed blocks on, straight into the outputs.
  for (int s = 0; s < n - 1; ++s) {
    Requests r(name, rank);
    for (auto& m : messages(block(count, n, r0 - s))) {
      recv(r, at(m.begin), m);
    }
    for (auto& m : messages(block(count, n, r0 + 1 - s))) {
      send(r, at(m.begin), m);
    }
    r.wait();
  }
}

} // namespace mlx::core::distributed::mpi
