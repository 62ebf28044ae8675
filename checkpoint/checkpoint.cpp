// save_checkpoint / load_checkpoint: what goes into the file, which rank
// writes it, the atomic replacement of the old file, and the checks of a
// loaded file against the model and the optimizer. The file format itself
// is in hdf5_file.cpp.
#include "mlx/checkpoint.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <exception>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <mutex>
#include <set>
#include <stdexcept>

#include "checkpoint_impl.h"
#include "mlx/distributed/ops.h"
#include "mlx/random.h"
#include "mlx/transforms.h"

namespace mlx::nn {

namespace mx = mlx::core;
namespace dist = mlx::core::distributed;
namespace fs = std::filesystem;
using mlx::utils::FlatTree;
using mlx::utils::Tree;

namespace {

constexpr const char* kSave = "[save_checkpoint]";
constexpr const char* kLoad = "[load_checkpoint]";

std::mutex& hook_mutex() {
  static std::mutex mutex;
  return mutex;
}

std::function<void(const std::string&)>& write_hook() {
  static std::function<void(const std::string&)> hook;
  return hook;
}

[[noreturn]] void
raise_errno(const std::string& context, const std::string& what) {
  throw std::runtime_error(
      context + ": " + what + ": " + std::strerror(errno) + ".");
}

void fsync_path(
    const std::string& path, int flags, const std::string& context) {
  int fd = ::open(path.c_str(), flags | O_CLOEXEC);
  if (fd < 0) {
    raise_errno(context, "cannot open " + path + " to sync it");
  }
  int status = ::fsync(fd);
  int saved = errno;
  ::close(fd);
  if (status != 0) {
    errno = saved;
    raise_errno(context, "cannot sync " + path);
  }
}

// Writes through `write` into a new temporary file beside `path`, syncs it,
// renames it over `path` and syncs the folder. The temporary file is
// removed on failure; after a crash it may stay behind (".<name>.tmp.*"),
// but `path` is always either the old file or the complete new one.
void write_atomically(
    const std::string& path,
    const std::function<void(const std::string&)>& write,
    const std::string& context) {
  fs::path target(path);
  fs::path dir =
      target.has_parent_path() ? target.parent_path() : fs::path(".");
  std::string pattern =
      (dir / ("." + target.filename().string() + ".tmp.XXXXXX")).string();
  std::vector<char> name(pattern.begin(), pattern.end());
  name.push_back('\0');
  int fd = ::mkstemp(name.data());
  if (fd < 0) {
    raise_errno(context, "cannot create a temporary file in " + dir.string());
  }
  // mkstemp makes it private (0600); a checkpoint is an ordinary file.
  ::fchmod(fd, 0644);
  ::close(fd);
  std::string tmp(name.data());
  try {
    write(tmp);
    fsync_path(tmp, O_RDONLY, context);
    if (std::rename(tmp.c_str(), path.c_str()) != 0) {
      raise_errno(context, "cannot rename " + tmp + " to " + path);
    }
  } catch (...) {
    ::unlink(tmp.c_str());
    throw;
  }
  fsync_path(dir.string(), O_RDONLY | O_DIRECTORY, context);
}

std::string command_line() {
  std::ifstream in("/proc/self/cmdline", std::ios::binary);
  std::string raw(
      (std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  while (!raw.empty() && raw.back() == '\0') {
    raw.pop_back();
  }
  for (auto& c : raw) {
    if (c == '\0') {
      c = ' ';
    }
  }
  return raw;
}

std::string dtypes_of(const FlatTree& leaves) {
  std::set<std::string> names;
  for (auto& [path, value] : leaves) {
    names.insert(mx::dtype_to_string(value.dtype()));
  }
  std::string out;
  for (auto& n : names) {
    out += (out.empty() ? "" : ",") + n;
  }
  return out;
}

// NumPy's form: (3, 4), (3,), ().
std::string shape_string(const mx::Shape& shape) {
  std::string out = "(";
  for (size_t i = 0; i < shape.size(); ++i) {
    out += (i ? ", " : "") + std::to_string(shape[i]);
  }
  return out + (shape.size() == 1 ? ",)" : ")");
}

// Checks that the file's datasets under `group` are exactly `own`'s leaves,
// with the same shapes and dtypes; `owner` says whose leaves they are.
void check_same(
    const FlatTree& stored,
    const FlatTree& own,
    const std::string& group,
    const std::string& owner,
    const std::string& context) {
  std::map<std::string, const mx::array*> by_name;
  for (auto& [path, value] : stored) {
    by_name.emplace(path, &value);
  }
  std::set<std::string> own_names;
  for (auto& [path, value] : own) {
    own_names.insert(path);
    std::string where = "dataset \"" + group + "/" + path + "\"";
    auto it = by_name.find(path);
    if (it == by_name.end()) {
      throw std::runtime_error(
          context + ": missing " + where + " (the " + owner +
          " has it, the file does not).");
    }
    const mx::array& s = *it->second;
    if (s.shape() != value.shape()) {
      throw std::runtime_error(
          context + ": shape mismatch for " + where + ": " +
          shape_string(s.shape()) + " in the file, " +
          shape_string(value.shape()) + " in the " + owner + ".");
    }
    if (s.dtype() != value.dtype()) {
      throw std::runtime_error(
          context + ": dtype mismatch for " + where + ": " +
          mx::dtype_to_string(s.dtype()) + " in the file, " +
          mx::dtype_to_string(value.dtype()) + " in the " + owner + ".");
    }
  }
  for (auto& [path, value] : stored) {
    if (!own_names.count(path)) {
      throw std::runtime_error(
          context + ": unexpected dataset \"" + group + "/" + path +
          "\" (the file has it, the " + owner + " does not).");
    }
  }
}

// `tree` with every leaf replaced by the stored array of the same path
// (check_same has made sure there is one).
Tree replace_leaves(const Tree& tree, const FlatTree& stored) {
  std::map<std::string, mx::array> by_name(stored.begin(), stored.end());
  return mlx::utils::tree_map_with_path(
      [&](const std::string& path, const mx::array&) {
        return by_name.at(path);
      },
      tree);
}

} // namespace

void save_checkpoint(
    const std::string& path,
    const Module& model,
    const optimizers::Optimizer& optimizer,
    const std::map<std::string, std::string>& extra,
    std::optional<dist::Group> group) {
  dist::Group g = group ? *group : dist::init();
  std::string context = std::string(kSave) + " " + path;

  detail::CheckpointContents c;
  c.model = mlx::utils::tree_flatten(model.parameters());
  c.optimizer = mlx::utils::tree_flatten(optimizer.state());
  c.optimizer_name = optimizer.name();
  c.random = {{"key", mx::random::KeySequence::default_().state()}};
  // Every rank evaluates: the arrays may still wait on collectives (e.g.
  // the all-reduce of average_gradients) that need all ranks.
  std::vector<mx::array> arrays;
  for (auto* leaves : {&c.model, &c.optimizer}) {
    for (auto& [p, value] : *leaves) {
      arrays.push_back(value);
    }
  }
  mx::eval(arrays);
  if (!optimizer.state().contains("step")) {
    throw std::runtime_error(context + ": the optimizer's state has no step.");
  }
  c.step = optimizer.step().item<uint64_t>();
  c.world_size = g.size();
  c.dtype = dtypes_of(c.model);
  c.command_line = command_line();
  c.extra = extra;

  std::exception_ptr error;
  if (g.rank() == 0) {
    std::function<void(const std::string&)> hook;
    {
      std::lock_guard lock(hook_mutex());
      hook = write_hook();
    }
    try {
      write_atomically(
          path,
          [&](const std::string& tmp) {
            detail::write_checkpoint_file(tmp, c, hook, context);
          },
          context);
    } catch (...) {
      error = std::current_exception();
    }
  }
  if (g.size() > 1) {
    // The barrier: the others return once rank 0's file is in place, and
    // learn whether writing it failed.
    auto failed = dist::all_sum(mx::array(error ? 1 : 0), g);
    if (failed.item<int>() != 0 && !error) {
      throw std::runtime_error(
          context + ": rank 0 failed to write the checkpoint.");
    }
  }
  if (error) {
    std::rethrow_exception(error);
  }
}

CheckpointInfo load_checkpoint(
    const std::string& path, Module& model, optimizers::Optimizer& optimizer) {
  std::string context = std::string(kLoad) + " " + path;
  auto c = detail::read_checkpoint_file(path, context);

  Tree params = model.parameters();
  check_same(
      c.model, mlx::utils::tree_flatten(params), "model", "model", context);
  if (c.optimizer_name != optimizer.name()) {
    throw std::runtime_error(
        context + ": the file holds the state of " + c.optimizer_name +
        ", not of " + optimizer.name() + ".");
  }
  // The state the optimizer has for this model (as its first update would
  // make it) is what the file must match.
  optimizer.init(model.trainable_parameters());
  Tree state = optimizer.state();
  check_same(
      c.optimizer,
      mlx::utils::tree_flatten(state),
      "optimizer",
      "optimizer",
      context);
  if (c.random.size() != 1 || c.random[0].first != "key" ||
      c.random[0].second.dtype() != mx::uint32 ||
      c.random[0].second.shape() != mx::Shape{2}) {
    throw std::runtime_error(
        context + ": group \"random\" must hold one dataset \"key\", uint32 "
                  "of shape (2,).");
  }

  model.update(replace_leaves(params, c.model));
  optimizer.set_state(replace_leaves(state, c.optimizer));
  mx::random::KeySequence::default_().set_state(c.random[0].second);
  return CheckpointInfo{c.step, c.world_size, c.dtype, c.command_line, c.extra};
}

CheckpointInfo read_checkpoint_info(const std::string& path) {
  auto c = detail::read_checkpoint_file(
      path, std::string("[read_checkpoint_info] ") + path);
  return CheckpointInfo{c.step, c.world_size, c.dtype, c.command_line, c.extra};
}

namespace detail {

void set_checkpoint_write_hook(std::function<void(const std::string&)> hook) {
  std::lock_guard lock(hook_mutex());
  write_hook() = std::move(hook);
}

} // namespace detail

} // namespace mlx::nn
