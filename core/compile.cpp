// compile: the cache of traced graphs per compiled function, and the
// global switch.
#include "mlx/compile.h"

#include <atomic>
#include <cstdlib>
#include <mutex>
#include <unordered_map>

#include "mlx/compile_impl.h"

namespace mlx::core {

namespace {

CompileMode initial_mode() {
  return std::getenv("MLX_DISABLE_COMPILE") ? CompileMode::disabled
                                            : CompileMode::enabled;
}

std::atomic<CompileMode>& compile_mode() {
  static std::atomic<CompileMode> mode{initial_mode()};
  return mode;
}

// One traced graph, with the signature and mode it was traced under.
struct CacheEntry {
  std::vector<Shape> shapes;
  std::vector<Dtype> dtypes;
  Stream stream;
  CompileMode mode;
  // The graph is valid for other shapes of the same ranks.
  bool shapeless;
  detail::CompileTape tape;
};

class TraceCache {
public:
  // An entry for exactly these inputs, else (`shapeless`) one valid for
  // their ranks and dtypes.
  std::shared_ptr<const CacheEntry> find(
      const std::vector<array>& inputs,
      const Stream& stream,
      CompileMode mode,
      bool shapeless) {
    std::lock_guard lock(mutex_);
    for (int pass = 0; pass < (shapeless ? 2 : 1); ++pass) {
      for (auto& e : entries_) {
        if (matches(*e, inputs, stream, mode, pass == 1)) {
          return e;
        }
      }
    }
    return nullptr;
  }

  void add(std::shared_ptr<const CacheEntry> entry) {
    std::lock_guard lock(mutex_);
    entries_.push_back(std::move(entry));
  }

private:
  static bool matches(
      const CacheEntry& e,
      const std::vector<array>& inputs,
      const Stream& stream,
      CompileMode mode,
      bool any_shape) {
    if (e.stream != stream || e.mode != mode ||
        e.dtypes.size() != inputs.size() || (any_shape && !e.shapeless)) {
      return false;
    }
    for (size_t i = 0; i < inputs.size(); ++i) {
      if (inputs[i].dtype() != e.dtypes[i] ||
          inputs[i].ndim() != e.shapes[i].size() ||
          (!any_shape && inputs[i].shape() != e.shapes[i])) {
        return false;
      }
    }
    return true;
  }

  std::mutex mutex_;
  std::vector<std::shared_ptr<const CacheEntry>> entries_;
};

// Traces shared by every compile of one function pointer.
std::shared_ptr<TraceCache> cache_of_function(std::uintptr_t address) {
  static std::mutex mutex;
  static auto* caches =
      new std::unordered_map<std::uintptr_t, std::shared_ptr<TraceCache>>();
  std::lock_guard lock(mutex);
  auto& cache = (*caches)[address];
  if (!cache) {
    cache = std::make_shared<TraceCache>();
  }
  return cache;
}

std::shared_ptr<const CacheEntry> trace(
    const VectorFn& fun,
    const std::vector<array>& inputs,
    const Stream& stream,
    CompileMode mode,
    bool shapeless) {
  auto entry = std::make_shared<CacheEntry>(
      CacheEntry{{}, {}, stream, mode, false, detail::trace_tape(fun, inputs)});
  for (auto& in : inputs) {
    entry->shapes.push_back(in.shape());
    entry->dtypes.push_back(in.dtype());
  }
  if (mode != CompileMode::no_simplify) {
    detail::simplify_tape(entry->tape);
  }
  if (mode != CompileMode::no_fuse) {
    detail::fuse_tape(entry->tape);
  }
  entry->shapeless = shapeless && detail::tape_infers_shapes(entry->tape);
  return entry;
}

VectorFn compiled_function(
    VectorFn fun, std::shared_ptr<TraceCache> cache, bool shapeless) {
  return [fun = std::move(fun), cache = std::move(cache), shapeless](
             const std::vector<array>& inputs) -> std::vector<array> {
    CompileMode mode = compile_mode().load();
    if (mode == CompileMode::disabled) {
      return fun(inputs);
    }
    Stream stream = to_stream({});
    bool trace_shapeless = shapeless;
    if (auto entry = cache->find(inputs, stream, mode, shapeless)) {
      bool exact = true;
      for (size_t i = 0; i < inputs.size() && exact; ++i) {
        exact = inputs[i].shape() == entry->shapes[i];
      }
      if (auto outputs = detail::replay_tape(entry->tape, inputs, !exact)) {
        return std::move(*outputs);
      }
      // Shapes that do not broadcast as traced: trace these shapes (fun
      // raises its own error if they are invalid).
      trace_shapeless = false;
    }
    auto entry = trace(fun, inputs, stream, mode, trace_shapeless);
    cache->add(entry);
    return std::move(*detail::replay_tape(entry->tape, inputs, false));
  };
}

} // namespace

std::function<std::vector<array>(const std::vector<array>&)> compile(
    std::function<std::vector<array>(const std::vector<array>&)> fun,
    bool shapeless) {
  if (compile_mode().load() == CompileMode::disabled) {
    return fun;
  }
  return compiled_function(
      std::move(fun), std::make_shared<TraceCache>(), shapeless);
}

std::function<std::vector<array>(const std::vector<array>&)>
compile(std::vector<array> (*fun)(const std::vector<array>&), bool shapeless) {
  if (compile_mode().load() == CompileMode::disabled) {
    return fun;
  }
  auto address = reinterpret_cast<std::uintptr_t>(fun);
  return compiled_function(fun, cache_of_function(address), shapeless);
}

void disable_compile() {
  compile_mode().store(CompileMode::disabled);
}

void enable_compile() {
  compile_mode().store(CompileMode::enabled);
}

void set_compile_mode(CompileMode mode) {
  compile_mode().store(mode);
}

} // namespace mlx::core
