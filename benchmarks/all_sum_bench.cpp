// all_sum bandwidth of float32 arrays, with the definitions of nccl-tests:
// algbw = bytes / time, busbw = algbw * 2 (n - 1) / n. Runs on the backend
// the launcher configured and prints which; under mpirun it also times raw
// MPI on MPI_COMM_WORLD, interleaved with ours on the same buffers.
//
//   mpirun -np 4 ./all_sum_bench [max_bytes [min_bytes]]   (default 256 MiB, 4
//   KiB)
//
// Modes, each with its raw MPI counterpart ("vs raw" = its time / ours):
//   mlx           all_sum(x).eval() per call: graph, hand-off to the
//                 communication stream and back, out of place
//                 (vs raw-allreduce: MPI_Allreduce(x, out) per call)
//   mlx-chain     y = all_sum(y) k times, one eval: back to back on the
//                 stream, in place after the first (the donated input)
//                 (vs raw-inplace: MPI_Allreduce(MPI_IN_PLACE, y) k times)
//   raw-iallreduce  MPI_Iallreduce + MPI_Test spin, what our backend calls
//                 (vs raw-allreduce: shows MPI's own algorithm difference)
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <string>
#include <vector>

#include "mlx/distributed/backend.h"
#include "mlx/distributed/ops.h"
#include "mlx/mlx.h"

#ifdef MLX_BENCH_WITH_MPI
#include <mpi.h>
#endif

namespace mx = mlx::core;
namespace dist = mlx::core::distributed;

namespace {

using Clock = std::chrono::steady_clock;

// Each timed block moves about this many bytes (at least kMinIters calls),
// so small sizes are not dominated by the clock and large ones stay quick.
constexpr size_t kBytesPerBlock = size_t(128) << 20;
constexpr int kMinIters = 3;
constexpr int kMaxIters = 500;
// Blocks per mode, interleaved across modes; the fastest counts (the
// machines are shared).
constexpr int kRepetitions = 3;

struct Mode {
  std::string name;
  std::string reference; // the mode it is compared with
  std::function<void(int iters)> run;
  double best = 1e30; // seconds per call
};

// Seconds per call of one block of `mode`, the slowest rank's.
double time_block(Mode& mode, int iters, const dist::Group& world) {
  dist::barrier(world);
  auto start = Clock::now();
  mode.run(iters);
  double t = std::chrono::duration<double>(Clock::now() - start).count();
  return dist::all_max(mx::array(t), world).item<double>() / iters;
}

std::string human_bytes(size_t b) {
  char buf[32];
  if (b >= (size_t(1) << 20)) {
    std::snprintf(buf, sizeof(buf), "%zu MiB", b >> 20);
  } else {
    std::snprintf(buf, sizeof(buf), "%zu KiB", b >> 10);
  }
  return buf;
}

std::vector<Mode> make_modes(
    mx::array& x, std::vector<float>& out, bool raw_mpi, dist::Group world) {
  int count = static_cast<int>(x.size());
  std::vector<Mode> modes;
  modes.push_back({"mlx", "raw-allreduce", [&x, world](int k) {
                     for (int i = 0; i < k; ++i) {
                       dist::all_sum(x, world).eval();
                     }
                   }});
  modes.push_back({"mlx-chain", "raw-inplace", [&x, world](int k) {
                     mx::array y = x;
                     for (int i = 0; i < k; ++i) {
                       y = dist::all_sum(y, world);
                     }
                     y.eval();
                   }});
#ifdef MLX_BENCH_WITH_MPI
  if (raw_mpi) {
    const float* in = x.data<float>();
    float* o = out.data();
    modes.push_back({"raw-allreduce", "raw-allreduce", [in, o, count](int k) {
                       for (int i = 0; i < k; ++i) {
                         MPI_Allreduce(
                             in, o, count, MPI_FLOAT, MPI_SUM, MPI_COMM_WORLD);
                       }
                     }});
    modes.push_back(
        {"raw-inplace", "raw-inplace", [in, o, count](int k) {
           std::copy(in, in + count, o);
           for (int i = 0; i < k; ++i) {
             MPI_Allreduce(
                 MPI_IN_PLACE, o, count, MPI_FLOAT, MPI_SUM, MPI_COMM_WORLD);
           }
         }});
    modes.push_back(
        {"raw-iallreduce", "raw-allreduce", [in, o, count](int k) {
           for (int i = 0; i < k; ++i) {
             MPI_Request request;
             MPI_Iallreduce(
                 in, o, count, MPI_FLOAT, MPI_SUM, MPI_COMM_WORLD, &request);
             int done = 0;
             while (!done) {
               MPI_Test(&request, &done, MPI_STATUS_IGNORE);
             }
           }
         }});
  }
#endif
  return modes;
}

} // namespace

int main(int argc, char** argv) {
  size_t max_bytes =
      argc > 1 ? std::strtoull(argv[1], nullptr, 10) : size_t(256) << 20;
  size_t min_bytes = argc > 2 ? std::strtoull(argv[2], nullptr, 10) : 4096;
  auto world = dist::init(true);
  int n = world.size();
  int rank = world.rank();
  std::string backend = world.raw_group()->backend();
  bool raw_mpi = false;
#ifdef MLX_BENCH_WITH_MPI
  raw_mpi = backend == "mpi";
#endif
  if (rank == 0) {
    std::printf(
        "# all_sum float32, %d ranks, backend %s%s\n",
        n,
        backend.c_str(),
        raw_mpi ? " (and raw MPI on MPI_COMM_WORLD)" : "");
    std::printf(
        "%10s %-15s %12s %10s %10s %8s\n",
        "size",
        "mode",
        "time (us)",
        "algbw GB/s",
        "busbw GB/s",
        "vs raw");
  }
  for (size_t bytes = min_bytes; bytes <= max_bytes; bytes *= 4) {
    int count = static_cast<int>(bytes / sizeof(float));
    int iters = static_cast<int>(
        std::clamp<size_t>(kBytesPerBlock / bytes, kMinIters, kMaxIters));
    auto x = mx::full({count}, float(rank + 1), mx::float32);
    x.eval();
    std::vector<float> out(count);
    auto modes = make_modes(x, out, raw_mpi, world);
    for (auto& mode : modes) {
      time_block(mode, 1, world); // warm-up: connections, allocator cache
    }
    for (int rep = 0; rep < kRepetitions; ++rep) {
      for (auto& mode : modes) {
        mode.best = std::min(mode.best, time_block(mode, iters, world));
      }
    }
    for (auto& mode : modes) {
      double reference = mode.best;
      for (auto& other : modes) {
        if (other.name == mode.reference) {
          reference = other.best;
        }
      }
      double algbw = bytes / mode.best / 1e9;
      double busbw = algbw * 2.0 * (n - 1) / n;
      if (rank == 0) {
        std::printf(
            "%10s %-15s %12.1f %10.3f %10.3f %8.3f\n",
            human_bytes(bytes).c_str(),
            mode.name.c_str(),
            mode.best * 1e6,
            algbw,
            busbw,
            reference / mode.best);
      }
    }
  }
  return 0;
}
