// Ranks that fail on purpose, for the failure tests (driven by
// expect_failure.sh): the surviving ranks must raise or the job must end,
// never hang.
//   failure_program timeout    rank 0 calls all_sum, the others never do
//                              (they wait in a recv instead)
//   failure_program dead-peer  the last rank exits at once, the others call
//                              all_sum
//   failure_program init       init("any") only (a launcher's variables set
//                              by hand must make it raise)
#include <cstdlib>
#include <iostream>
#include <string>

#include "mlx/distributed/ops.h"
#include "mlx/mlx.h"

namespace mx = mlx::core;
namespace dist = mlx::core::distributed;

int main(int argc, char** argv) {
  std::string mode = argc > 1 ? argv[1] : "";
  if (mode != "timeout" && mode != "dead-peer" && mode != "init") {
    std::cerr << "usage: failure_program timeout|dead-peer|init" << std::endl;
    return 2;
  }
  if (mode == "init") {
    try {
      auto world = dist::init();
      std::cout << "init gave a group of " << world.size() << std::endl;
      return 0;
    } catch (const std::exception& e) {
      std::cout << "init raised: " << e.what() << std::endl;
      return 3;
    }
  }
  auto world = dist::init(true);
  int r = world.rank();
  int n = world.size();
  try {
    if (mode == "timeout" && r != 0) {
      mx::eval(dist::recv({1}, mx::float32, 0, world));
    } else if (mode == "dead-peer" && r == n - 1) {
      std::_Exit(5);
    } else {
      mx::eval(dist::all_sum(mx::ones({1 << 20}, mx::float32), world));
    }
  } catch (const std::exception& e) {
    std::cout << "rank " << r << " caught: " << e.what() << std::endl;
    return 3;
  }
  std::cout << "rank " << r << " completed unexpectedly" << std::endl;
  return 0;
}
