// The MPI group. Every operation starts nonblocking MPI calls and polls
// them until they finish or MLX_DIST_TIMEOUT passes, so a peer that died
// or never joins surfaces as an exception instead of a hang. Message
// sizes beyond MPI's int counts are split into chunks.
#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <mutex>
#include <stdexcept>
#include <vector>

#include "mlx/distributed/distributed.h"
#include "mlx/distributed/distributed_impl.h"
#include "mlx/distributed/mpi/mpi.h"
#include "mlx/distributed/mpi/mpi_requests.h"
#include "mlx/distributed/mpi/mpi_ring.h"
#include "mlx/distributed/mpi/mpi_types.h"
#include "mlx/launcher_env.h"
#include "mlx/scheduler.h"

namespace mlx::core::distributed::mpi {

namespace {

// Matches our send to our recv; our traffic has a communicator of its own.
constexpr int kPointToPointTag = 0;

// Whether MPI allows calls from any thread at any time (else only one
// thread at a time: our communication runs on one worker).
bool thread_multiple = false;

// Open MPI's nonblocking all-reduce (libnbc) picks a binomial tree (reduce
// to rank 0, then broadcast: twice the traffic through one rank) for fewer
// than 4 ranks and for every in-place call; its ring moves 2 (n - 1) / n of
// the data per rank, the most bandwidth-efficient. Measured in
// benchmarks/RESULTS.md. A setting the user made wins.
void prefer_ring_all_reduce() {
  setenv("OMPI_MCA_coll_libnbc_iallreduce_algorithm", "1", /*overwrite=*/0);
}

char* bytes_at(void* p, size_t offset) {
  return static_cast<char*>(p) + offset;
}
const char* bytes_at(const void* p, size_t offset) {
  return static_cast<const char*>(p) + offset;
}

class MpiGroup : public detail::GroupImpl {
public:
  explicit MpiGroup(MPI_Comm comm) : comm_(comm) {
    MPI_Comm_set_errhandler(comm_, MPI_ERRORS_RETURN);
    MPI_Comm_rank(comm_, &rank_);
    MPI_Comm_size(comm_, &size_);
  }

  ~MpiGroup() override {
    int finalized = 0;
    MPI_Finalized(&finalized);
    if (!finalized && thread_multiple) {
      MPI_Comm_free(&comm_);
    }
  }

  int rank() override { return rank_; }
  int size() override { return size_; }
  const char* backend() const override { return "mpi"; }

  std::shared_ptr<GroupImpl> split(int color, int key) override {
    // MPI has no nonblocking split: a barrier with a deadline first, so
    // that a rank that never joins is an error rather than a hang.
    Requests arrived("split", rank_);
    arrived.check(MPI_Ibarrier(comm_, arrived.add()));
    arrived.wait();
    Requests r("split", rank_);
    MPI_Comm child;
    r.check(MPI_Comm_split(comm_, color, key < 0 ? rank_ : key, &child));
    return std::make_shared<MpiGroup>(child);
  }

  void all_reduce(
      const void* in,
      void* out,
      size_t count,
      Dtype dtype,
      detail::ReduceOp op) override {
    Requests r(detail::all_reduce_name(op), rank_);
    size_t item = size_of(dtype);
    size_t chunk = chunk_bytes() / item;
    for (size_t off = 0; off < count; off += chunk) {
      size_t n = std::min(chunk, count - off);
      const void* send = in == out ? MPI_IN_PLACE : bytes_at(in, off * item);
      r.check(MPI_Iallreduce(
          send,
          bytes_at(out, off * item),
          static_cast<int>(n),
          datatype(dtype),
          reduce_op(op, dtype),
          comm_,
          r.add()));
    }
    r.wait();
  }

  // An average of more than a few hundred KiB into consecutive outputs
  // runs as our own ring of point-to-point messages (mpi_ring.h), which
  // divides each block as it completes it; MPI's all-reduce would leave the
  // division to a pass of its own, which costs most of another all-reduce.
  //
  // Otherwise MPI reduces one buffer at a time. Where the outputs are
  // consecutive (all_sum_many gives them one buffer), a large span is reduced
  // from its input straight into its output, and each run of small ones is
  // packed into its (consecutive) outputs and reduced there with one call, so
  // that small arrays do not each pay a collective's latency; the whole is then
  // divided in place. Otherwise the spans are packed into staging buffers
  // kept between calls, a piece at a time, and each piece's all-reduce runs
  // while the next is packed and finished ones are unpacked (divided by
  // `divisor` on the way out).
  void all_reduce_spans(
      const std::vector<detail::Span>& spans,
      Dtype dtype,
      detail::ReduceOp op,
      int divisor) override {
    size_t item = size_of(dtype);
    size_t count = detail::span_elements(spans);
    bool consecutive = consecutive_outputs(spans, item);
    if (divisor > 1 && size_ > 1 && count * item >= kRingAverageBytes &&
        consecutive) {
      ring_all_reduce(
          comm_, rank_, size_, spans, dtype, op, divisor, staging_in_);
      return;
    }
    if (consecutive) {
      // The run of small spans not yet reduced: its first span and element.
      size_t run_span = 0, run_element = 0, element = 0;
      auto reduce_run = [&] {
        size_t n = element - run_element;
        if (n > 0) {
          void* out = spans[run_span].out;
          detail::pack_spans(spans, item, run_element, n, out);
          all_reduce(out, out, n, dtype, op);
        }
      };
      for (size_t i = 0; i < spans.size(); ++i) {
        if (spans[i].count * item >= kDirectSpanBytes) {
          reduce_run();
          all_reduce(spans[i].in, spans[i].out, spans[i].count, dtype, op);
          run_span = i + 1;
          run_element = element + spans[i].count;
        }
        element += spans[i].count;
      }
      reduce_run();
      if (divisor > 1) {
        void* out = spans.front().out;
        detail::divide_into(dtype, out, out, count, divisor);
      }
      return;
    }
    Requests r(detail::all_reduce_name(op), rank_);
    size_t piece = std::min(kPieceBytes, chunk_bytes()) / item;
    if (staging_in_.size() < count * item) {
      staging_in_.resize(count * item);
      staging_out_.resize(count * item);
    }
    auto unpack = [&](size_t p) {
      size_t off = p * piece;
      detail::unpack_spans(
          spans,
          dtype,
          off,
          std::min(piece, count - off),
          staging_out_.data() + off * item,
          divisor);
    };
    for (size_t off = 0; off < count; off += piece) {
      size_t n = std::min(piece, count - off);
      detail::pack_spans(spans, item, off, n, staging_in_.data() + off * item);
      r.check(MPI_Iallreduce(
          staging_in_.data() + off * item,
          staging_out_.data() + off * item,
          static_cast<int>(n),
          datatype(dtype),
          reduce_op(op, dtype),
          comm_,
          r.add()));
      r.test_each(unpack);
    }
    r.wait_each(unpack);
  }

  void all_gather(const void* in, void* out, size_t bytes) override {
    Requests r("all_gather", rank_);
    if (bytes <= chunk_bytes()) {
      int n = static_cast<int>(bytes);
      r.check(
          MPI_Iallgather(in, n, MPI_BYTE, out, n, MPI_BYTE, comm_, r.add()));
      r.wait();
      return;
    }
    // Chunk [off, off + n) of every rank's block: the receive type spans n
    // bytes but advances by a whole block, so block r lands at r * bytes.
    for (size_t off = 0; off < bytes; off += chunk_bytes()) {
      int n = static_cast<int>(std::min(chunk_bytes(), bytes - off));
      MPI_Datatype piece, strided;
      MPI_Type_contiguous(n, MPI_BYTE, &piece);
      MPI_Type_create_resized(piece, 0, static_cast<MPI_Aint>(bytes), &strided);
      MPI_Type_commit(&strided);
      r.check(MPI_Iallgather(
          bytes_at(in, off),
          n,
          MPI_BYTE,
          bytes_at(out, off),
          1,
          strided,
          comm_,
          r.add()));
      // Freeing is deferred by MPI until the operation is done.
      MPI_Type_free(&strided);
      MPI_Type_free(&piece);
    }
    r.wait();
  }

  void reduce_scatter(
      const void* in,
      void* out,
      size_t count,
      Dtype dtype,
      detail::ReduceOp op) override {
    Requests r("sum_scatter", rank_);
    size_t item = size_of(dtype);
    if (count * item <= chunk_bytes()) {
      r.check(MPI_Ireduce_scatter_block(
          in,
          out,
          static_cast<int>(count),
          datatype(dtype),
          reduce_op(op, dtype),
          comm_,
          r.add()));
      r.wait();
      return;
    }
    // Large blocks: gather chunk [off, off + n) of every rank's block into
    // a staging buffer and reduce-scatter that.
    size_t chunk = std::max<size_t>(1, chunk_bytes() / item / size_);
    std::vector<char> staging(chunk * size_ * item);
    for (size_t off = 0; off < count; off += chunk) {
      size_t n = std::min(chunk, count - off);
      for (int b = 0; b < size_; ++b) {
        std::memcpy(
            staging.data() + b * n * item,
            bytes_at(in, (b * count + off) * item),
            n * item);
      }
      r.check(MPI_Ireduce_scatter_block(
          staging.data(),
          bytes_at(out, off * item),
          static_cast<int>(n),
          datatype(dtype),
          reduce_op(op, dtype),
          comm_,
          r.add()));
      r.wait();
    }
  }

  void send(const void* data, size_t bytes, int dst) override {
    Requests r("send", rank_, dst);
    for (size_t off = 0; off == 0 || off < bytes; off += chunk_bytes()) {
      int n = static_cast<int>(std::min(chunk_bytes(), bytes - off));
      r.check(MPI_Isend(
          bytes_at(data, off),
          n,
          MPI_BYTE,
          dst,
          kPointToPointTag,
          comm_,
          r.add()));
    }
    r.wait();
  }

  void recv(void* data, size_t bytes, int src) override {
    Requests r("recv", rank_, src);
    for (size_t off = 0; off == 0 || off < bytes; off += chunk_bytes()) {
      int n = static_cast<int>(std::min(chunk_bytes(), bytes - off));
      r.check(MPI_Irecv(
          bytes_at(data, off),
          n,
          MPI_BYTE,
          src,
          kPointToPointTag,
          comm_,
          r.add()));
    }
    r.wait();
  }

  void broadcast(void* data, size_t bytes, int root) override {
    Requests r("broadcast", rank_, root);
    for (size_t off = 0; off < bytes; off += chunk_bytes()) {
      int n = static_cast<int>(std::min(chunk_bytes(), bytes - off));
      r.check(
          MPI_Ibcast(bytes_at(data, off), n, MPI_BYTE, root, comm_, r.add()));
    }
    r.wait();
  }

  void barrier() override {
    Requests r("barrier", rank_);
    r.check(MPI_Ibarrier(comm_, r.add()));
    r.wait();
  }

private:
  static bool
  consecutive_outputs(const std::vector<detail::Span>& spans, size_t item) {
    for (size_t i = 1; i < spans.size(); ++i) {
      auto* end =
          static_cast<char*>(spans[i - 1].out) + spans[i - 1].count * item;
      if (spans[i].out != end) {
        return false;
      }
    }
    return !spans.empty();
  }

  // Pieces of all_reduce_spans: small enough that packing and unpacking
  // overlap with several pieces in flight, large enough that each MPI call
  // moves bandwidth-bound amounts (a 4 MB bucket is 8 pieces).
  static constexpr size_t kPieceBytes = size_t(512) << 10;
  // Spans from this size are reduced without a copy (all_reduce_spans).
  static constexpr size_t kDirectSpanBytes = size_t(2) << 20;
  // Averages from this size take the ring (all_reduce_spans).
  static constexpr size_t kRingAverageBytes = size_t(256) << 10;

  MPI_Comm comm_;
  int rank_;
  int size_;
  std::vector<char> staging_in_;
  std::vector<char> staging_out_;
};

bool initialized_here = false;

void finalize_at_exit() {
  // Let queued communication finish first; a backend that failed leaves
  // requests MPI cannot complete, and finalizing would wait for them.
  synchronize(detail::communication_stream());
  int finalized = 0;
  MPI_Finalized(&finalized);
  if (!finalized && !failed()) {
    MPI_Finalize();
  }
}

// An MPI that does not understand the launcher (srun without the PMI
// plugin this MPI needs, or another MPI's mpiexec) starts every process as
// a world of its own: each would train alone, as if it were the whole job.
[[noreturn]] void
throw_size_mismatch(const core::detail::LauncherInfo& launcher, int mpi_size) {
  throw std::runtime_error(
      "[init] " + launcher.name + " started " + std::to_string(*launcher.size) +
      " ranks (" + launcher.seen + ") but MPI sees a world of " +
      std::to_string(mpi_size) +
      ": the MPI library does not speak this launcher's protocol (for "
      "srun, try --mpi=pmix; for mpiexec, use the one of the MPI this "
      "program is built with).");
}

} // namespace

bool is_available() {
  return true;
}

std::shared_ptr<detail::GroupImpl> init(bool strict) {
  static std::mutex mutex;
  static std::shared_ptr<detail::GroupImpl> world;
  std::lock_guard lock(mutex);
  if (world) {
    return world;
  }
  auto launcher = core::detail::detect_launcher();
  if (launcher.family != core::detail::LauncherFamily::Mpi) {
    if (strict) {
      throw std::runtime_error(
          "[init] The MPI backend needs the program to be started by an MPI "
          "launcher (mpirun, mpiexec or srun; none of OMPI_COMM_WORLD_SIZE, "
          "PMI_RANK, PMIX_RANK, SLURM_STEP_NUM_TASKS is set).");
    }
    return nullptr;
  }
  int initialized = 0;
  MPI_Initialized(&initialized);
  int provided = 0;
  if (initialized) {
    MPI_Query_thread(&provided);
  } else {
    prefer_ring_all_reduce();
    if (MPI_Init_thread(nullptr, nullptr, MPI_THREAD_MULTIPLE, &provided) !=
        MPI_SUCCESS) {
      throw std::runtime_error("[init] MPI_Init_thread failed.");
    }
    initialized_here = true;
  }
  // Communication runs on the communication stream's worker thread.
  if (provided < MPI_THREAD_SERIALIZED) {
    throw std::runtime_error(
        "[init] The MPI library does not support calls from several "
        "threads (MPI_THREAD_SERIALIZED); communication runs on a worker "
        "thread.");
  }
  int mpi_size = 0;
  MPI_Comm_size(MPI_COMM_WORLD, &mpi_size);
  if (launcher.size && *launcher.size != mpi_size) {
    if (initialized_here) {
      MPI_Finalize();
    }
    throw_size_mismatch(launcher, mpi_size);
  }
  thread_multiple = provided >= MPI_THREAD_MULTIPLE;
  create_types_and_ops();
  MPI_Comm comm;
  // A communicator of our own keeps our messages apart from the program's.
  MPI_Comm_dup(MPI_COMM_WORLD, &comm);
  world = std::make_shared<MpiGroup>(comm);
  if (initialized_here) {
    // Started before registering, so that the stream is still there when
    // the handler runs (exit runs handlers and destructors in reverse).
    scheduler::pending(detail::communication_stream());
    std::atexit(finalize_at_exit);
  }
  return world;
}

} // namespace mlx::core::distributed::mpi
