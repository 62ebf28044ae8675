#include "mlx/distributed/mpi/mpi_ring.h"

#include <algorithm>
#include <cstring>

#include "mlx/distributed/distributed_impl.h"
#include "mlx/distributed/mpi/mpi_requests.h"

namespace mlx::core::distributed::mpi {

namespace {

// Apart from the user's point-to-point messages (tag 0).
constexpr int kRingTag = 1;

// A block goes as messages of at most this size, so that the reduction of
// one message overlaps the transfer of the next where the network allows.
constexpr size_t kMessageBytes = size_t(512) << 10;

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

// A piece of a block: `count` elements at `at` of span `span`, at element
// `offset` of the block.
struct Piece {
  size_t span;
  size_t at;
  size_t count;
  size_t offset;
};

std::vector<Piece>
pieces_of(const std::vector<detail::Span>& spans, Range blk) {
  std::vector<Piece> out;
  size_t offset = 0;
  detail::for_each_piece(
      spans, blk.begin, blk.size, [&](size_t span, size_t at, size_t m) {
        out.push_back({span, at, m, offset});
        offset += m;
      });
  return out;
}

// One message: `count` elements at `address`, elements [offset, offset +
// count) of its block.
struct Message {
  char* address;
  size_t offset;
  size_t count;
};

// The messages that move a block's pieces from or to the addresses
// `address_of(piece)` gives: pieces that meet in memory go together, and
// no message exceeds `limit` elements.
template <typename F>
std::vector<Message> messages(
    const std::vector<Piece>& pieces, size_t item, size_t limit, F address_of) {
  std::vector<Message> out;
  for (auto& p : pieces) {
    char* address = address_of(p);
    for (size_t done = 0; done < p.count;) {
      auto* last = out.empty() ? nullptr : &out.back();
      if (last && last->address + last->count * item == address &&
          last->count < limit) {
        size_t k = std::min(limit - last->count, p.count - done);
        last->count += k;
        done += k;
        address += k * item;
        continue;
      }
      size_t k = std::min(limit, p.count - done);
      out.push_back({address, p.offset + done, k});
      done += k;
      address += k * item;
    }
  }
  return out;
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
  char* received = scratch.data();
  auto in_at = [&](const Piece& p) {
    return const_cast<char*>(static_cast<const char*>(spans[p.span].in)) +
           p.at * item;
  };
  auto out_at = [&](const Piece& p) {
    return static_cast<char*>(spans[p.span].out) + p.at * item;
  };
  auto at_received = [&](const Piece& p) { return received + p.offset * item; };
  auto send = [&](Requests& r, const Message& m) {
    r.check(MPI_Isend(
        m.address,
        int(m.count * item),
        MPI_BYTE,
        next,
        kRingTag,
        comm,
        r.add()));
  };
  auto recv = [&](Requests& r, const Message& m) {
    r.check(MPI_Irecv(
        m.address,
        int(m.count * item),
        MPI_BYTE,
        prev,
        kRingTag,
        comm,
        r.add()));
  };
  long long r0 = rank;
  // Reduce-scatter: in step s, send block r - s (this rank's input at
  // first, then the partial result it just made) and combine block
  // r - s - 1 from the previous rank with this rank's input. After n - 1
  // steps this rank holds the result of block r + 1.
  for (int s = 0; s < n - 1; ++s) {
    bool last = s == n - 2;
    auto outgoing = pieces_of(spans, block(count, n, r0 - s));
    std::vector<Message> to_send = messages(outgoing, item, limit, out_at);
    if (s == 0) {
      // Inputs that lie apart (many small arrays) would each be a message:
      // then block r's inputs are copied into its outputs, which the
      // reduce-scatter does not write, and go from there.
      auto direct = messages(outgoing, item, limit, in_at);
      if (direct.size() > to_send.size()) {
        for (auto& p : outgoing) {
          if (in_at(p) != out_at(p)) {
            std::memcpy(out_at(p), in_at(p), p.count * item);
          }
        }
      } else {
        to_send = std::move(direct);
      }
    }
    auto incoming = pieces_of(spans, block(count, n, r0 - s - 1));
    auto to_recv = messages(incoming, item, limit, at_received);
    Requests r(name, rank);
    for (auto& m : to_recv) {
      recv(r, m);
    }
    for (auto& m : to_send) {
      send(r, m);
    }
    // Combine each message's pieces as it lands.
    r.wait_each([&](size_t i) {
      if (i >= to_recv.size()) {
        return;
      }
      size_t lo = to_recv[i].offset, hi = lo + to_recv[i].count;
      for (auto& p : incoming) {
        size_t a = std::max(lo, p.offset), b = std::min(hi, p.offset + p.count);
        if (a < b) {
          size_t skip = (a - p.offset) * item;
          detail::combine_into(
              op,
              dtype,
              in_at(p) + skip,
              at_received(p) + skip,
              out_at(p) + skip,
              b - a,
              last ? divisor : 1);
        }
      }
    });
  }
  // All-gather: pass the completed blocks on, straight into the outputs.
  for (int s = 0; s < n - 1; ++s) {
    Requests r(name, rank);
    auto incoming = pieces_of(spans, block(count, n, r0 - s));
    for (auto& m : messages(incoming, item, limit, out_at)) {
      recv(r, m);
    }
    auto outgoing = pieces_of(spans, block(count, n, r0 + 1 - s));
    for (auto& m : messages(outgoing, item, limit, out_at)) {
      send(r, m);
    }
    r.wait();
  }
}

} // namespace mlx::core::distributed::mpi
