#include "mlx/distributed/mpi/mpi_requests.h"

#include <chrono>
#include <climits>
#include <cstdlib>
#include <mutex>
#include <sstream>
#include <stdexcept>
#include <string>
#include <thread>

#include "mlx/distributed/distributed_impl.h"

namespace mlx::core::distributed::mpi {

namespace {

using Clock = std::chrono::steady_clock;

// Polls spin for this long, then sleep between polls: a healthy job's
// ranks meet well within it, and a waiting rank stops burning a core (Open
// MPI progresses requests only inside MPI calls, so sleeping longer would
// slow a transfer that is under way).
constexpr std::chrono::seconds kSpinTime{1};
constexpr std::chrono::microseconds kPollSleep{50};

// mpirun tells its ranks when a node has more ranks than cores; Open MPI's
// blocking calls then yield the core between polls, and so do we.
// Otherwise we spin as they do: a yield is a system call, and progress
// waits for it (measured in benchmarks/RESULTS.md).
bool yield_between_polls() {
  static const bool yield = [] {
    for (auto name :
         {"OMPI_MCA_mpi_oversubscribe", "OMPI_MCA_mpi_yield_when_idle"}) {
      const char* v = std::getenv(name);
      if (v != nullptr && (std::string(v) == "1" || std::string(v) == "true")) {
        return true;
      }
    }
    return false;
  }();
  return yield;
}

std::mutex failure_mutex;
std::string failure; // the first failure's message; empty while healthy

} // namespace

size_t chunk_bytes() {
  static const size_t bytes = [] {
    const char* text = std::getenv("MLX_MPI_CHUNK_BYTES");
    if (text == nullptr) {
      return size_t(1) << 30;
    }
    char* end = nullptr;
    long long v = std::strtoll(text, &end, 10);
    // At least one element of the widest dtype (8 bytes).
    if (end == text || *end != '\0' || v < 8 || v > INT_MAX) {
      throw std::invalid_argument(
          std::string("[mpi] MLX_MPI_CHUNK_BYTES=") + text +
          " must be an integer in [8, 2^31 - 1].");
    }
    return static_cast<size_t>(v);
  }();
  return bytes;
}

bool failed() {
  std::lock_guard lock(failure_mutex);
  return !failure.empty();
}

Requests::Requests(const char* op, int rank, int peer)
    : op_(op), rank_(rank), peer_(peer) {
  std::lock_guard lock(failure_mutex);
  if (!failure.empty()) {
    throw std::runtime_error(
        std::string("[") + op_ + "] The MPI backend failed earlier and " +
        "cannot communicate any more: " + failure);
  }
}

Requests::~Requests() {
  // Left pending when issuing a later request failed: MPI may still use
  // their buffers, so nothing may communicate again.
  for (auto& r : requests_) {
    if (r != MPI_REQUEST_NULL) {
      std::lock_guard lock(failure_mutex);
      if (failure.empty()) {
        failure = std::string("[") + op_ + "] abandoned in flight";
      }
      return;
    }
  }
}

MPI_Request* Requests::add() {
  requests_.push_back(MPI_REQUEST_NULL);
  return &requests_.back();
}

void Requests::check(int rc) {
  if (rc == MPI_SUCCESS) {
    return;
  }
  char text[MPI_MAX_ERROR_STRING];
  int length = 0;
  MPI_Error_string(rc, text, &length);
  std::ostringstream msg;
  msg << "MPI error on rank " << rank_;
  if (peer_ >= 0) {
    msg << " with rank " << peer_;
  }
  msg << ": " << std::string(text, length);
  fail(msg.str());
}

void Requests::wait() {
  wait_each(nullptr);
}

void Requests::test_each(const std::function<void(size_t)>& done) {
  if (completed_ == requests_.size()) {
    return;
  }
  indices_.resize(requests_.size());
  int count = 0;
  // Completed requests become MPI_REQUEST_NULL, which later calls skip.
  check(MPI_Testsome(
      static_cast<int>(requests_.size()),
      requests_.data(),
      &count,
      indices_.data(),
      MPI_STATUSES_IGNORE));
  if (count == MPI_UNDEFINED) {
    return;
  }
  completed_ += static_cast<size_t>(count);
  for (int i = 0; i < count; ++i) {
    if (done) {
      done(static_cast<size_t>(indices_[i]));
    }
  }
}

void Requests::wait_each(const std::function<void(size_t)>& done) {
  auto start = Clock::now();
  auto limit = std::chrono::duration<double>(detail::timeout_seconds());
  while (true) {
    test_each(done);
    if (completed_ == requests_.size()) {
      requests_.clear();
      completed_ = 0;
      return;
    }
    auto waited = Clock::now() - start;
    if (waited > limit) {
      std::ostringstream msg;
      msg << "Timed out after " << limit.count() << " s on rank " << rank_;
      if (peer_ >= 0) {
        msg << " waiting for rank " << peer_;
      } else {
        msg << " waiting for the other ranks of the group";
      }
      msg << " (MLX_DIST_TIMEOUT): a peer may have died or not joined.";
      fail(msg.str());
    }
    if (waited >= kSpinTime) {
      std::this_thread::sleep_for(kPollSleep);
    } else if (yield_between_polls()) {
      std::this_thread::yield();
    }
  }
}

void Requests::fail(const std::string& what) {
  {
    std::lock_guard lock(failure_mutex);
    if (failure.empty()) {
      failure = std::string("[") + op_ + "] " + what;
    }
  }
  // The requests stay with MPI (they cannot be cancelled); the destructor
  // need not record the failure again.
  requests_.clear();
  throw std::runtime_error(std::string("[") + op_ + "] " + what);
}

} // namespace mlx::core::distributed::mpi
