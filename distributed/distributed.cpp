// init, Group, and the communication stream.
#include "mlx/distributed/distributed.h"

#include <cstdlib>
#include <future>
#include <map>
#include <mutex>
#include <stdexcept>
#include <string>

#include "mlx/distributed/distributed_impl.h"
#include "mlx/distributed/mpi/mpi.h"
#include "mlx/distributed/ring/ring.h"
#include "mlx/launcher_env.h"
#include "mlx/scheduler.h"
#include "mlx/trace.h"

namespace mlx::core::distributed {

namespace {

bool debug_checks_enabled() {
  const char* v = std::getenv("MLX_DIST_DEBUG");
  return v != nullptr && std::string(v) != "" && std::string(v) != "0";
}

// The backend "any" stands for: MPI under an MPI launcher (mpirun, Hydra's
// mpiexec, a PMIx launcher, srun), the ring under mlx.launch, else none.
std::string resolve_backend(const std::string& backend) {
  if (backend == "mpi" || backend == "ring") {
    return backend;
  }
  if (backend != "any") {
    throw std::invalid_argument(
        "[init] Unknown backend '" + backend +
        "': expected 'mpi', 'ring' or 'any'.");
  }
  auto launcher = core::detail::detect_launcher();
  if (launcher.family == core::detail::LauncherFamily::Ring) {
    return "ring";
  }
  if (launcher.family != core::detail::LauncherFamily::Mpi) {
    return "none";
  }
  if (mpi::is_available()) {
    return "mpi";
  }
  // Each process alone would compute as if it were the whole job.
  if (launcher.several_ranks()) {
    throw std::runtime_error(
        "[init] Started by " + launcher.name + " as one of several ranks (" +
        launcher.seen +
        "), but the MPI backend is not built: configure with "
        "-DMLX_BUILD_MPI=ON, or start the program with mlx.launch (ring).");
  }
  return "none";
}

// The backend's world group, or nullptr when it is not configured and not
// strict (the backends throw then).
std::shared_ptr<detail::GroupImpl>
create_world(const std::string& backend, bool strict) {
  if (backend == "mpi") {
    return mpi::init(strict);
  }
  if (backend == "ring") {
    return ring::init(strict);
  }
  if (strict) {
    throw std::runtime_error(
        "[init] No distributed backend is configured: start the program "
        "with mpirun (MPI) or with mlx.launch / MLX_HOSTFILE and MLX_RANK "
        "(ring), or call init(strict = false) to run as a group of one "
        "process.");
  }
  return nullptr;
}

} // namespace

bool is_available() {
  // The ring backend is always built.
  return true;
}

bool is_available(const std::string& backend) {
  if (backend == "any" || backend == "ring") {
    return true;
  }
  if (backend == "mpi") {
    return mpi::is_available();
  }
  // MLX's other backends (nccl, jaccl) are not built here.
  return false;
}

int Group::rank() const {
  return group_->rank();
}

int Group::size() const {
  return group_->size();
}

Group Group::split(int color, int key) const {
  if (color < 0) {
    throw std::invalid_argument(
        "[split] The color must be non-negative, got " + std::to_string(color) +
        ".");
  }
  std::shared_ptr<detail::GroupImpl> child;
  detail::run_on_communication_stream(
      [&] { child = group_->split(color, key); });
  return Group(child);
}

Group init(bool strict, const std::string& backend) {
  // One world group per backend for the life of the process.
  static std::mutex mutex;
  static std::map<std::string, std::shared_ptr<detail::GroupImpl>> worlds;
  std::lock_guard lock(mutex);
  auto resolved = resolve_backend(backend);
  auto it = worlds.find(resolved);
  // A size-1 stand-in does not satisfy a later strict request.
  bool stand_in =
      it != worlds.end() && std::string(it->second->backend()) == "none";
  if (it != worlds.end() && !(strict && stand_in)) {
    return Group(it->second);
  }
  auto world = create_world(resolved, strict);
  if (!world) {
    world = detail::make_local_group();
  } else if (debug_checks_enabled()) {
    world = detail::make_checked_group(std::move(world));
  }
  worlds[resolved] = world;
  return Group(world);
}

namespace detail {

Stream communication_stream() {
  static Stream stream = [] {
    Stream s = new_stream(Device::cpu);
    trace::name_stream(s.index, "communication");
    return s;
  }();
  return stream;
}

void run_on_communication_stream(const std::function<void()>& fn) {
  std::promise<void> done;
  auto finished = done.get_future();
  scheduler::enqueue(communication_stream(), [&fn, &done] {
    try {
      fn();
      done.set_value();
    } catch (...) {
      done.set_exception(std::current_exception());
    }
  });
  finished.get();
}

} // namespace detail

} // namespace mlx::core::distributed
