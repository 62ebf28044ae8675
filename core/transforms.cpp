#include "mlx/transforms.h"

#include <mutex>
#include <optional>
#include <unordered_map>

#include "mlx/backend/gpu/eval.h"
#include "mlx/graph_walk.h"
#include "mlx/primitives/primitive.h"
#include "mlx/scheduler.h"
#include "mlx/trace.h"

namespace mlx::core {

namespace {

// Arrays not yet scheduled that `outputs` depend on, inputs before users.
// Multi-output primitives appear once (through one of their outputs).
std::vector<array> build_tape(const std::vector<array>& outputs) {
  std::vector<array> tape;
  detail::walk_graph(
      outputs,
      [](const array& a) {
        // Arrays made with data but no primitive are leaves, whatever
        // their status says.
        return a.status() == array::Status::unscheduled && a.has_primitive();
      },
      [&tape](array a) { tape.push_back(std::move(a)); });
  return tape;
}

// Marks the outputs of `arr` available (their event says when the data is
// ready) and releases the graph above them and this task's references.
void release_primitive(array arr, bool keep_graph) {
  auto outputs = arr.outputs();
  if (!keep_graph) {
    arr.detach();
  }
  for (auto& o : outputs) {
    o.set_status(array::Status::available);
  }
}

void finish_primitive(array arr, bool keep_graph, std::exception_ptr error) {
  auto event = arr.event();
  // Drop this task's references before waking waiters, so that memory
  // counters and donation checks they do next see only their own.
  release_primitive(std::move(arr), keep_graph);
  event->signal(error);
}

// Waits for the inputs that other streams (or earlier async evaluations)
// are still producing; returns the first error among them, which then
// flows downstream instead of computing on missing data. A GPU stream does
// not wait for its own earlier work: the device runs it in order.
std::exception_ptr wait_for_inputs(const array& arr, const Stream& stream) {
  bool gpu = stream.device == Device::gpu;
  std::exception_ptr error;
  for (auto& in : arr.inputs()) {
    auto& e = in.event();
    if (!e) {
      continue;
    }
    if (!e->is_signaled()) {
      if (gpu && e->stream_index() == stream.index) {
        continue;
      }
      if (gpu) {
        // What this stream recorded may be what the other stream waits
        // for: submit it before blocking.
        gpu::commit(stream);
      }
      e->wait();
    }
    if (!error) {
      error = e->error();
    }
  }
  return error;
}

void run_primitive(array arr, bool keep_graph, bool last_on_stream) {
  const Stream stream = arr.primitive().stream();
  std::exception_ptr error = wait_for_inputs(arr, stream);
  if (!error && stream.device == Device::gpu) {
    try {
      // The device reports completion later: the handler signals the
      // event. The backend keeps the input buffers alive until then; the
      // arrays themselves are released now, so that the stream's next
      // kernels may donate them (the device runs a stream in order).
      auto event = arr.event();
      if (keep_graph) {
        gpu::eval(
            arr,
            [event,
             kept = std::optional<array>(arr)](std::exception_ptr e) mutable {
              kept.reset();
              event->signal(e);
            });
      } else {
        gpu::eval(arr, [event](std::exception_ptr e) { event->signal(e); });
      }
    } catch (...) {
      error = std::current_exception();
    }
    if (!error) {
      // Submit only once this task holds no reference to the arrays: a
      // waiter woken by the completion may then find an output unshared.
      bool submit = last_on_stream || gpu::needs_commit(stream);
      release_primitive(std::move(arr), keep_graph);
      if (submit) {
        gpu::commit(stream);
      }
      return;
    }
  } else if (!error) {
    auto start =
        trace::enabled() ? trace::Clock::now() : trace::Clock::time_point{};
    try {
      auto outputs = arr.outputs();
      arr.primitive().eval_cpu(arr.inputs(), outputs);
    } catch (...) {
      error = std::current_exception();
    }
    if (trace::enabled()) {
      trace::record(
          arr.primitive().name(), stream.index, start, trace::Clock::now());
    }
  }
  if (last_on_stream && stream.device == Device::gpu) {
    gpu::commit(stream);
  }
  finish_primitive(std::move(arr), keep_graph, error);
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
  // The last task of each GPU stream submits what the stream recorded.
  std::unordered_map<int, size_t> last_on_stream;
  for (size_t i = 0; i < tape.size(); ++i) {
    const Stream& s = tape[i].primitive().stream();
    if (s.device == Device::gpu) {
      last_on_stream[s.index] = i;
    }
  }
  for (size_t i = 0; i < tape.size(); ++i) {
    array& arr = tape[i];
    Stream stream = arr.primitive().stream();
    // Waiters for a real GPU's work poll longer (event.h); a CPU-type
    // Vulkan device (lavapipe) runs its kernels on the cores a poll takes.
    auto event = std::make_shared<Event>(
        stream.index, stream.device == Device::gpu && gpu::is_default_device());
    arr.attach_event(event);
    for (auto& s : arr.siblings()) {
      s.attach_event(event);
      s.set_status(array::Status::scheduled);
    }
    arr.set_status(array::Status::scheduled);
    // A transform still walks the graph of a tracer after evaluating it.
    bool keep_graph = arr.is_tracer();
    auto last = last_on_stream.find(stream.index);
    bool last_one = last != last_on_stream.end() && last->second == i;
    // The task owns the only tape reference from here on.
    scheduler::enqueue(
        stream, [a = std::move(arr), keep_graph, last_one]() mutable {
          run_primitive(std::move(a), keep_graph, last_one);
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
