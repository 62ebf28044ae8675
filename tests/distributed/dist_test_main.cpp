// main() of the distributed GoogleTest programs. Every rank runs every
// test; rank 0 prints GoogleTest's report, the other ranks only their
// failures (tagged with the rank), so the output of a job stays readable.
// The backend is whatever the launcher configured (mpirun, the ring
// launcher, or none: a group of one).
#include <gtest/gtest.h>

#include <iostream>

#include "mlx/distributed/distributed.h"

namespace {

class FailurePrinter : public testing::EmptyTestEventListener {
public:
  explicit FailurePrinter(int rank) : rank_(rank) {}

  void OnTestPartResult(const testing::TestPartResult& result) override {
    if (result.failed()) {
      std::cout << "[rank " << rank_ << "] " << result.file_name() << ":"
                << result.line_number() << ": Failure\n"
                << result.summary() << std::endl;
    }
  }

private:
  int rank_;
};

} // namespace

int main(int argc, char** argv) {
  testing::InitGoogleTest(&argc, argv);
  int rank = mlx::core::distributed::init().rank();
  if (rank != 0) {
    auto& listeners = testing::UnitTest::GetInstance()->listeners();
    delete listeners.Release(listeners.default_result_printer());
    listeners.Append(new FailurePrinter(rank));
  }
  return RUN_ALL_TESTS();
}
