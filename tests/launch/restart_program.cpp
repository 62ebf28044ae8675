// A training-like job for the --max-restarts tests: it resumes from its
// checkpoint after a restart.
//
//   restart_program DIR STEPS resume       step s (1..STEPS) all_sums
//       (rank+1)*s over the ranks and adds it to a running total; rank 0
//       checkpoints (steps done, total) to DIR/checkpoint after each step.
//       On the first start (MLX_RESTART_COUNT=0) rank 1 kills itself with
//       SIGKILL halfway; the others, seeing it gone, wait to be stopped.
//       Every rank prints "result TOTAL" at the end.
//   restart_program DIR STEPS always-fail  rank 1 exits with code 3 at once,
//       on every start.
//
// Every start appends "start rank=R restart=C" to DIR/starts and prints
// "start restart=C from step=S".
#include <fcntl.h>
#include <unistd.h>

#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <string>

#include "mlx/distributed/ops.h"
#include "mlx/mlx.h"

namespace mx = mlx::core;
namespace dist = mlx::core::distributed;

namespace {

struct Checkpoint {
  int steps_done = 0;
  long total = 0;
};

Checkpoint read_checkpoint(const std::string& path) {
  Checkpoint c;
  std::ifstream in(path);
  in >> c.steps_done >> c.total;
  return in ? c : Checkpoint{};
}

// Written to a temporary file and renamed, so a reader (or a restart after
// a crash mid-write) sees the old checkpoint or the new one, never half.
void write_checkpoint(const std::string& path, const Checkpoint& c) {
  std::string temporary = path + ".tmp";
  {
    std::ofstream out(temporary, std::ios::trunc);
    out << c.steps_done << " " << c.total << "\n";
  }
  std::rename(temporary.c_str(), path.c_str());
}

// One write with O_APPEND: lines of different ranks never mix.
void append_line(const std::string& path, const std::string& line) {
  int fd = open(path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  if (fd < 0 || write(fd, line.data(), line.size()) != (ssize_t)line.size()) {
    std::exit(4);
  }
  close(fd);
}

} // namespace

int main(int argc, char** argv) {
  std::string mode = argc > 3 ? argv[3] : "";
  if (mode != "resume" && mode != "always-fail") {
    std::cerr << "usage: restart_program DIR STEPS resume|always-fail"
              << std::endl;
    return 2;
  }
  std::string dir = argv[1];
  int steps = std::atoi(argv[2]);
  const char* restart_text = std::getenv("MLX_RESTART_COUNT");
  int restart = restart_text ? std::atoi(restart_text) : -1;

  auto world = dist::init(true);
  int rank = world.rank();
  append_line(
      dir + "/starts",
      "start rank=" + std::to_string(rank) +
          " restart=" + std::to_string(restart) + "\n");
  if (mode == "always-fail" && rank == 1) {
    // Without MPI_Finalize at exit, which would wait for rank 0.
    std::_Exit(3);
  }
  std::string checkpoint_path = dir + "/checkpoint";
  Checkpoint state = read_checkpoint(checkpoint_path);
  std::cout << "start restart=" << restart << " from step=" << state.steps_done
            << std::endl;
  try {
    for (int step = state.steps_done + 1; step <= steps; ++step) {
      if (rank == 1 && restart == 0 && step == steps / 2 + 1) {
        std::raise(SIGKILL);
      }
      auto sum = dist::all_sum(mx::array((rank + 1) * step), world);
      state.total += sum.item<int>();
      state.steps_done = step;
      if (rank == 0) {
        write_checkpoint(checkpoint_path, state);
      }
      // No rank starts the next step before the checkpoint of this one is
      // written: a failure there resumes from exactly this step.
      dist::barrier(world);
    }
  } catch (const std::exception& e) {
    // A peer died. Waiting for the launcher to stop this rank (instead of
    // failing too) makes the dead rank the only failure, so the tests can
    // check that the launcher names it.
    std::cerr << "caught: " << e.what() << std::endl;
    pause();
  }
  std::cout << "result " << state.total << std::endl;
  return 0;
}
