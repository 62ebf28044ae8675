// The MLX_TRACE recorder: events in memory (one mutex: tracing is for
// inspecting a few steps, not for always-on use), written at exit.
#include "mlx/trace.h"

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <map>
#include <mutex>
#include <stdexcept>
#include <vector>

#include "mlx/launcher_env.h"

namespace mlx::core::trace {

namespace {

struct Span {
  std::string name; // a copy: a primitive may be gone before the write
  int stream_index;
  Clock::time_point start;
  Clock::time_point end;
};

struct Recorder {
  std::mutex mutex;
  std::vector<Span> spans;
  std::map<int, std::string> stream_names;
  Clock::time_point origin = Clock::now();
  // Read at startup: MPI may have changed the environment by exit.
  std::string path;
  int rank = 0;
};

Recorder& recorder() {
  // Never destroyed: worker threads may still record while exit runs.
  static Recorder* r = new Recorder();
  return *r;
}

std::string json_string(const std::string& s) {
  std::string out = "\"";
  for (char c : s) {
    if (c == '"' || c == '\\') {
      out += '\\';
    }
    out += (static_cast<unsigned char>(c) < 0x20) ? ' ' : c;
  }
  return out + "\"";
}

void write_at_exit() {
  try {
    write();
  } catch (const std::exception& e) {
    std::fprintf(stderr, "%s\n", e.what());
  }
}

bool start_tracing() {
  const char* path = std::getenv("MLX_TRACE");
  if (path == nullptr || *path == '\0') {
    return false;
  }
  auto& r = recorder(); // the time origin
  r.path = path;
  auto launcher = core::detail::detect_launcher();
  r.rank = launcher.rank.value_or(0);
  if (launcher.rank) {
    // Each rank its own file: trace.json -> trace-rank<R>.json.
    auto dot = r.path.rfind('.');
    auto slash = r.path.rfind('/');
    if (dot == std::string::npos ||
        (slash != std::string::npos && dot < slash)) {
      dot = r.path.size();
    }
    r.path.insert(dot, "-rank" + std::to_string(r.rank));
  }
  std::atexit(write_at_exit);
  return true;
}

} // namespace

namespace detail {
const bool trace_enabled = start_tracing();
} // namespace detail

void record(
    const char* name,
    int stream_index,
    Clock::time_point start,
    Clock::time_point end) {
  auto& r = recorder();
  std::lock_guard lock(r.mutex);
  r.spans.push_back({name, stream_index, start, end});
}

void name_stream(int stream_index, const std::string& name) {
  if (!enabled()) {
    return;
  }
  auto& r = recorder();
  std::lock_guard lock(r.mutex);
  r.stream_names[stream_index] = name;
}

std::string output_path() {
  return enabled() ? recorder().path : "";
}

void write() {
  std::string path = output_path();
  if (path.empty()) {
    return;
  }
  auto& r = recorder();
  std::lock_guard lock(r.mutex);
  int pid = r.rank;
  auto us = [&](Clock::time_point t) {
    return std::chrono::duration<double, std::micro>(t - r.origin).count();
  };
  std::ofstream out(path);
  out << "{\"displayTimeUnit\": \"ms\", \"traceEvents\": [\n";
  out << "{\"ph\": \"M\", \"pid\": " << pid
      << ", \"name\": \"process_name\", \"args\": {\"name\": "
      << json_string("rank " + std::to_string(pid)) << "}}";
  std::map<int, bool> streams;
  for (auto& s : r.spans) {
    streams[s.stream_index] = true;
  }
  for (auto& [index, unused] : streams) {
    auto named = r.stream_names.find(index);
    std::string name = "stream " + std::to_string(index);
    if (named != r.stream_names.end()) {
      name += " (" + named->second + ")";
    }
    out << ",\n{\"ph\": \"M\", \"pid\": " << pid << ", \"tid\": " << index
        << ", \"name\": \"thread_name\", \"args\": {\"name\": "
        << json_string(name) << "}}";
  }
  out.precision(3);
  out << std::fixed;
  for (auto& s : r.spans) {
    out << ",\n{\"ph\": \"X\", \"pid\": " << pid
        << ", \"tid\": " << s.stream_index
        << ", \"name\": " << json_string(s.name) << ", \"ts\": " << us(s.start)
        << ", \"dur\": " << us(s.end) - us(s.start) << "}";
  }
  out << "\n]}\n";
  out.flush();
  if (!out) {
    throw std::runtime_error("[trace] Cannot write MLX_TRACE file " + path);
  }
}

} // namespace mlx::core::trace
