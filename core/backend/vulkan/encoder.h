// Command recording for one stream (ncnn's VkCompute, MLX's CommandEncoder):
// dispatches, copies and fills go into the stream's current batch (one
// command buffer), which commit() submits with a timeline-semaphore signal.
// A completion thread per stream waits for the batches in submission order,
// then runs their handlers and frees their temporary buffers.
//
// Barriers: the encoder remembers the byte ranges read and written since the
// last barrier, and inserts one only before a command that reads a range
// written since then, or writes a range read or written since then. The
// first command of a batch gets one too (it may depend on earlier batches).
#pragma once

#include <vulkan/vulkan.h>

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <exception>
#include <functional>
#include <memory>
#include <mutex>
#include <string_view>
#include <thread>
#include <vector>

#include "mlx/allocator.h"
#include "mlx/backend/vulkan/pipeline.h"

namespace mlx::core::vulkan {

/** Commands recorded before a batch is submitted on its own (see
 * Encoder::needs_commit): the GPU starts on long graphs early, and what a
 * batch keeps alive is bounded, while one vkQueueSubmit (tens of µs) is
 * spread over many dispatches. MLX's Metal backend commits every 10 to 50
 * operations depending on the GPU; 32 sits in that range. */
constexpr size_t kMaxCommandsPerBatch = 32;

enum class Access { read, write, read_write };

/** A storage-buffer binding: `size` bytes of a Vulkan buffer from byte
 * `offset`, which must be a multiple of binding_alignment(). */
struct Binding {
  allocator::Buffer buffer;
  size_t offset;
  size_t size;
  Access access;
};

/** The alignment of a binding's offset (minStorageBufferOffsetAlignment). */
size_t binding_alignment();

using Handler = std::function<void(std::exception_ptr)>;

struct Batch;

class Encoder {
public:
  Encoder();
  ~Encoder();
  Encoder(const Encoder&) = delete;
  Encoder& operator=(const Encoder&) = delete;

  /** Records a dispatch of `groups` workgroups. Every check happens before
   * anything is recorded: a throwing call leaves the batch as it was. A
   * dispatch with a zero group count records nothing. */
  void dispatch(
      const Pipeline& pipeline,
      const std::vector<Binding>& bindings,
      const void* push_constants,
      size_t push_bytes,
      uint32_t groups_x,
      uint32_t groups_y = 1,
      uint32_t groups_z = 1);

  /** Copies `bytes` between Vulkan buffers. */
  void copy(
      const allocator::Buffer& src,
      size_t src_offset,
      const allocator::Buffer& dst,
      size_t dst_offset,
      size_t bytes);

  /** Fills `bytes` (a multiple of 4, as the offset) with a 32-bit value. */
  void fill(
      const allocator::Buffer& dst,
      size_t offset,
      size_t bytes,
      uint32_t value);

  /** A Vulkan buffer holding a copy of `bytes` host bytes, freed when the
   * current batch completes (host inputs, kernel metadata). */
  allocator::Buffer upload(const void* data, size_t bytes);

  /** A Vulkan buffer freed when the current batch completes. */
  allocator::Buffer temporary(size_t bytes);

  /** Runs `handler` once the current batch has completed (or failed, with
   * the error); handlers run in the order they were added. */
  void add_completed_handler(Handler handler);

  /** Whether the current batch has reached kMaxCommandsPerBatch. */
  bool needs_commit();

  /** Submits the current batch (nothing when it is empty). Never throws: a
   * failed submission reaches the batch's handlers as their error. */
  void commit();

  /** Submits and waits until every submitted batch has completed (each
   * batch's wait has a deadline). Never throws. */
  void synchronize();

  /** Counters for tests: pipeline barriers and commands recorded so far. */
  size_t barrier_count();
  size_t command_count();

private:
  Batch& batch(); // the current batch, begun on demand; caller holds mutex_
  allocator::Buffer keep_until_done(allocator::Buffer buffer);
  void track(const std::vector<Binding>& bindings); // barrier if needed
  void barrier();                                   // caller holds mutex_
  void completion_loop();
  void finish(std::unique_ptr<Batch> batch, std::exception_ptr error);

  std::mutex mutex_; // recording: current_, tracking, the command pool
  VkCommandPool pool_ = VK_NULL_HANDLE;
  VkSemaphore timeline_ = VK_NULL_HANDLE;
  std::unique_ptr<Batch> current_;
  uint64_t next_value_ = 0;
  bool barrier_pending_ = true;
  struct Range {
    VkBuffer buffer;
    VkDeviceSize begin, end;
  };
  std::vector<Range> reads_, writes_;
  size_t barriers_ = 0, commands_ = 0;

  std::mutex flight_mutex_; // in_flight_, recycled_, stop_
  std::condition_variable flight_cv_, done_cv_;
  std::deque<std::unique_ptr<Batch>> in_flight_;
  std::vector<std::unique_ptr<Batch>> recycled_;
  bool stop_ = false;
  std::thread completion_;
};

/** The encoder of a GPU stream (by stream index), made on first use. */
Encoder& encoder(int stream_index);

/** The stream's encoder if it has one, else nullptr; never throws. */
Encoder* find_encoder(int stream_index) noexcept;

} // namespace mlx::core::vulkan
