// Waiting for nonblocking MPI operations with a deadline, and the
// backend's failure state: after a timeout or an MPI error, requests that
// cannot complete remain, so every later operation fails at once.
#pragma once

#include <mpi.h>

#include <cstddef>
#include <functional>
#include <string>
#include <vector>

namespace mlx::core::distributed::mpi {

/** The largest message one MPI call carries (MLX_MPI_CHUNK_BYTES, default
 * 1 GiB: MPI counts are ints, and a power of two keeps chunks aligned). */
size_t chunk_bytes();

/** Whether an earlier operation failed. */
bool failed();

/** The requests of one operation. `op` names it in errors, `peer` is the
 * other rank of a point-to-point operation or broadcast root (-1: none). */
class Requests {
public:
  Requests(const char* op, int rank, int peer = -1);
  ~Requests();
  Requests(const Requests&) = delete;
  Requests& operator=(const Requests&) = delete;

  /** Slot for the next request. */
  MPI_Request* add();

  /** Throws std::runtime_error naming the operation if rc is an error. */
  void check(int rc);

  /** Polls until every request is done; throws std::runtime_error when
   * MLX_DIST_TIMEOUT passes first. */
  void wait();

  /** wait(), calling done(i) as request i (in add() order) completes. */
  void wait_each(const std::function<void(size_t)>& done);

  /** Polls once (MPI progresses requests only inside MPI calls), calling
   * done(i) for each request i that completed. */
  void test_each(const std::function<void(size_t)>& done);

private:
  [[noreturn]] void fail(const std::string& what);

  const char* op_;
  int rank_;
  int peer_;
  std::vector<MPI_Request> requests_;
  size_t completed_ = 0;
  std::vector<int> indices_; // scratch for MPI_Testsome
};

} // namespace mlx::core::distributed::mpi
