#include "mlx/transforms.h"

#include <mutex>
#include <stack>
#include <unordered_set>

#include "mlx/primitives/primitive.h"
#include "mlx/scheduler.h"

namespace mlx::core {

namespace {

// Arrays not yet scheduled that `outputs` depend on, inputs before users.
// Multi-output primitives appear once (through one of their outputs).
std::vector<array> build_tape(const std::vector<array>& outputs) {
  std::vector<array> tape;
  std::unordered_set<std::uintptr_t> visited;
  // (array, index of the next input to visit)
  std::stack<std::pair<array, size_t>> dfs;
  auto visit = [&](const array& a) {
    // Arrays made with data but no primitive are leaves, whatever their
    // status says.
    if (a.status() != array::Status::unscheduled || !a.has_primitive() ||
        visited.count(a.id())) {
      return;
    }
    visited.insert(a.id());
    for (auto& s : a.siblings()) {
      visited.insert(s.id());
    }
    dfs.emplace(a, 0);
  };
  for (auto& out : outputs) {
    visit(out);
    while (!dfs.empty()) {
      auto& [a, next] = dfs.top();
      if (next < a.inputs().size()) {
        // Copy before pushing: `a` may move when the stack grows.
        array input = a.inputs()[next++];
        visit(input);
      } else {
        tape.push_back(std::move(a));
        dfs.pop();
      }
    }
  }
  return tape;
}

void run_primitive(array arr, bool keep_graph) {
  auto outputs = arr.outputs();
  auto& inputs = arr.inputs();
  auto& primitive = arr.primitive();
  std::exception_ptr error;
  for (auto& in : inputs) {
    // Inputs from other streams (or earlier async evaluations) may still be
    // running: wait for them. Errors flow downstream instead of computing
    // on missing data.
    if (auto& e = in.event()) {
      e->wait();
      if (!error) {
        error = e->error();
      }
    }
  }
  if (!error) {
    try {
      if (primitive.device() == Device::cpu) {
        primitive.eval_cpu(inputs, outputs);
      } else {
        primitive.eval_gpu(inputs, outputs);
      }
    } catch (...) {
      error = std::current_exception();
    }
  }
  auto event = arr.event();
  if (!keep_graph) {
    arr.detach();
  }
  for (auto& o : outputs) {
    o.set_status(array::Status::available);
  }
  // Drop this task's references before waking waiters, so that memory
  // counters and donation checks they do next see only their own.
  outputs.clear();
  { array released = std::move(arr); }
  event->signal(error);
}

thread_local int tracing_depth = 0;

} // namespace

namespace detail {

bool in_tracing() {
  return tracing_depth > 0;
}

InTracing::InTracing() {
  ++tracing_depth;
}

InTracing::~InTracing() {
  --tracing_depth;
}

} // namespace detail

void async_eval(std::vector<array> outputs) {
  // Threads evaluating a shared graph must not both see an array unscheduled
  // and run it twice: finding and scheduling the tape is one step.
  static std::mutex scheduling_mutex;
  std::lock_guard lock(scheduling_mutex);
  auto tape = build_tape(outputs);
  for (auto& arr : tape) {
    auto event = std::make_shared<Event>();
    arr.attach_event(event);
    for (auto& s : arr.siblings()) {
      s.attach_event(event);
      s.set_status(array::Status::scheduled);
    }
    arr.set_status(array::Status::scheduled);
    Stream stream = arr.primitive().stream();
    // A transform still walks the graph of a tracer after evaluating it.
    bool keep_graph = arr.is_tracer();
    // The task owns the only tape reference from here on.
    scheduler::enqueue(stream, [a = std::move(arr), keep_graph]() mutable {
      run_primitive(std::move(a), keep_graph);
    });
  }
}

void eval(std::vector<array> outputs) {
  async_eval(outputs);
  std::exception_ptr error;
  for (auto& out : outputs) {
    try {
      out.wait();
    } catch (...) {
      if (!error) {
        error = std::current_exception();
      }
    }
  }
  if (error) {
    std::rethrow_exception(error);
  }
}

} // namespace mlx::core
