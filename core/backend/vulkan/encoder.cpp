#include "mlx/backend/vulkan/encoder.h"

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <map>
#include <sstream>
#include <stdexcept>

#include "mlx/backend/vulkan/allocator.h"
#include "mlx/backend/vulkan/device.h"
#include "mlx/event.h"

namespace mlx::core::vulkan {

namespace {

// Descriptor sets per pool when the device lacks push descriptors; a batch
// takes another pool when one runs out.
constexpr uint32_t kSetsPerPool = 64;

// How long the completion thread waits for one batch before failing it: no
// single batch of kernels runs this long, so a batch still running is taken
// to be a hung device.
constexpr auto kBatchTimeout = std::chrono::seconds(300);

// Each wait is split into slices, to notice a lost device.
constexpr uint64_t kWaitSliceNs = 100'000'000; // 100 ms

// How long the completion thread polls a batch's semaphore before it
// blocks in vkWaitSemaphores: on a GPU as long as the event waiters poll
// (event.h: a blocking wait wakes tens of microseconds late); not on CPU
// devices, whose kernels run on the cores a spin would take.
// MLX_VULKAN_SPIN_US overrides it (0: never poll).
std::chrono::microseconds completion_spin() {
  return spin_from_env(
      "MLX_VULKAN_SPIN_US",
      device().is_cpu() ? std::chrono::microseconds(0) : kGpuSpinBeforeSleep);
}

const BufferRecord&
vulkan_record(const allocator::Buffer& b, const char* what) {
  auto* rec = VulkanAllocator::record(b);
  if (rec == nullptr || !is_vulkan_buffer(b)) {
    std::ostringstream msg;
    msg << "[vulkan] " << what
        << " is not a buffer of the Vulkan allocator (upload host data first)";
    throw std::invalid_argument(msg.str());
  }
  return *rec;
}

void check_range(const BufferRecord& rec, size_t offset, size_t bytes) {
  if (offset + bytes > rec.size) {
    std::ostringstream msg;
    msg << "[vulkan] range [" << offset << ", " << offset + bytes
        << ") is outside a buffer of " << rec.size << " bytes";
    throw std::out_of_range(msg.str());
  }
}

} // namespace

size_t binding_alignment() {
  return device().limits().minStorageBufferOffsetAlignment;
}

struct Batch {
  VkCommandBuffer cmd = VK_NULL_HANDLE;
  std::vector<VkDescriptorPool> pools;
  uint32_t sets_in_last_pool = 0;
  uint64_t value = 0;
  size_t commands = 0;
  std::vector<Handler> handlers;
  std::vector<allocator::Buffer> temporaries;
  std::exception_ptr error; // set when the submission failed
};

Encoder::Encoder() {
  auto& d = device();
  VkCommandPoolCreateInfo pool{VK_STRUCTURE_TYPE_COMMAND_POOL_CREATE_INFO};
  pool.flags = VK_COMMAND_POOL_CREATE_RESET_COMMAND_BUFFER_BIT;
  pool.queueFamilyIndex = d.queue_family;
  check(
      vkCreateCommandPool(d.device, &pool, nullptr, &pool_),
      "vkCreateCommandPool");
  VkSemaphoreTypeCreateInfo type{VK_STRUCTURE_TYPE_SEMAPHORE_TYPE_CREATE_INFO};
  type.semaphoreType = VK_SEMAPHORE_TYPE_TIMELINE;
  type.initialValue = 0;
  VkSemaphoreCreateInfo sem{VK_STRUCTURE_TYPE_SEMAPHORE_CREATE_INFO};
  sem.pNext = &type;
  check(
      vkCreateSemaphore(d.device, &sem, nullptr, &timeline_),
      "vkCreateSemaphore");
  completion_ = std::thread([this] { completion_loop(); });
}

Encoder::~Encoder() {
  try {
    synchronize();
  } catch (...) {
  }
  {
    std::lock_guard lock(flight_mutex_);
    stop_ = true;
  }
  flight_cv_.notify_all();
  completion_.join();
  auto& d = device();
  for (auto& b : recycled_) {
    for (auto p : b->pools) {
      vkDestroyDescriptorPool(d.device, p, nullptr);
    }
  }
  vkDestroySemaphore(d.device, timeline_, nullptr);
  vkDestroyCommandPool(d.device, pool_, nullptr);
}

Batch& Encoder::batch() {
  if (current_) {
    return *current_;
  }
  auto& d = device();
  std::unique_ptr<Batch> b;
  {
    std::lock_guard lock(flight_mutex_);
    if (!recycled_.empty()) {
      b = std::move(recycled_.back());
      recycled_.pop_back();
    }
  }
  if (b) {
    check(vkResetCommandBuffer(b->cmd, 0), "vkResetCommandBuffer");
    for (auto p : b->pools) {
      check(vkResetDescriptorPool(d.device, p, 0), "vkResetDescriptorPool");
    }
    if (b->pools.size() > 1) { // keep one pool per batch
      for (size_t i = 1; i < b->pools.size(); ++i) {
        vkDestroyDescriptorPool(d.device, b->pools[i], nullptr);
      }
      b->pools.resize(1);
    }
    b->sets_in_last_pool = 0;
    b->commands = 0;
    b->error = nullptr;
  } else {
    b = std::make_unique<Batch>();
    VkCommandBufferAllocateInfo info{
        VK_STRUCTURE_TYPE_COMMAND_BUFFER_ALLOCATE_INFO};
    info.commandPool = pool_;
    info.level = VK_COMMAND_BUFFER_LEVEL_PRIMARY;
    info.commandBufferCount = 1;
    check(
        vkAllocateCommandBuffers(d.device, &info, &b->cmd),
        "vkAllocateCommandBuffers");
  }
  VkCommandBufferBeginInfo begin{VK_STRUCTURE_TYPE_COMMAND_BUFFER_BEGIN_INFO};
  begin.flags = VK_COMMAND_BUFFER_USAGE_ONE_TIME_SUBMIT_BIT;
  VkResult r = vkBeginCommandBuffer(b->cmd, &begin);
  if (r != VK_SUCCESS) {
    std::lock_guard lock(flight_mutex_);
    recycled_.push_back(std::move(b));
    check(r, "vkBeginCommandBuffer");
  }
  current_ = std::move(b);
  barrier_pending_ = true;
  reads_.clear();
  writes_.clear();
  return *current_;
}

void Encoder::barrier() {
  // One global memory barrier covers every buffer: compute and transfer
  // writes made visible to compute and transfer reads and writes.
  VkMemoryBarrier mb{VK_STRUCTURE_TYPE_MEMORY_BARRIER};
  mb.srcAccessMask = VK_ACCESS_SHADER_WRITE_BIT | VK_ACCESS_TRANSFER_WRITE_BIT;
  mb.dstAccessMask = VK_ACCESS_SHADER_READ_BIT | VK_ACCESS_SHADER_WRITE_BIT |
                     VK_ACCESS_TRANSFER_READ_BIT | VK_ACCESS_TRANSFER_WRITE_BIT;
  constexpr VkPipelineStageFlags stages =
      VK_PIPELINE_STAGE_COMPUTE_SHADER_BIT | VK_PIPELINE_STAGE_TRANSFER_BIT;
  vkCmdPipelineBarrier(
      current_->cmd, stages, stages, 0, 1, &mb, 0, nullptr, 0, nullptr);
  reads_.clear();
  writes_.clear();
  barrier_pending_ = false;
  ++barriers_;
}

void Encoder::track(const std::vector<Binding>& bindings) {
  auto overlaps = [](const std::vector<Range>& ranges, const Range& r) {
    for (auto& o : ranges) {
      if (o.buffer == r.buffer && o.begin < r.end && r.begin < o.end) {
        return true;
      }
    }
    return false;
  };
  std::vector<std::pair<Range, Access>> ranges;
  for (auto& b : bindings) {
    auto* rec = VulkanAllocator::record(b.buffer);
    if (b.access != Access::read) {
      rec->copy_valid = false; // a host copy would miss this write
    }
    VkDeviceSize begin = rec->offset + b.offset;
    ranges.push_back({{rec->buffer, begin, begin + b.size}, b.access});
  }
  bool needed = barrier_pending_;
  for (auto& [r, access] : ranges) {
    bool reads = access != Access::write, writes = access != Access::read;
    needed = needed || (reads && overlaps(writes_, r)) ||
             (writes && (overlaps(writes_, r) || overlaps(reads_, r)));
  }
  if (needed) {
    barrier();
  }
  for (auto& [r, access] : ranges) {
    if (access != Access::write) {
      reads_.push_back(r);
    }
    if (access != Access::read) {
      writes_.push_back(r);
    }
  }
}

void Encoder::dispatch(
    const Pipeline& pipeline,
    const std::vector<Binding>& bindings,
    const void* push_constants,
    size_t push_bytes,
    uint32_t gx,
    uint32_t gy,
    uint32_t gz) {
  auto& d = device();
  // Every check first: nothing is recorded when one fails.
  if (bindings.size() > kMaxBindings) {
    throw std::invalid_argument("[vulkan] a dispatch binds at most 8 buffers");
  }
  if (push_bytes > kPushConstantBytes) {
    throw std::invalid_argument("[vulkan] push constants exceed 128 bytes");
  }
  const auto& limits = d.limits();
  if (gx > limits.maxComputeWorkGroupCount[0] ||
      gy > limits.maxComputeWorkGroupCount[1] ||
      gz > limits.maxComputeWorkGroupCount[2]) {
    std::ostringstream msg;
    msg << "[vulkan] dispatch of (" << gx << ", " << gy << ", " << gz
        << ") workgroups exceeds the device's limit ("
        << limits.maxComputeWorkGroupCount[0] << ", "
        << limits.maxComputeWorkGroupCount[1] << ", "
        << limits.maxComputeWorkGroupCount[2] << ")";
    throw std::invalid_argument(msg.str());
  }
  std::vector<VkDescriptorBufferInfo> infos;
  for (size_t i = 0; i < bindings.size(); ++i) {
    auto& b = bindings[i];
    auto& rec = vulkan_record(b.buffer, "a dispatch's binding");
    if (b.offset % binding_alignment() != 0) {
      std::ostringstream msg;
      msg << "[vulkan] binding " << i << " starts at byte " << b.offset
          << ", not a multiple of minStorageBufferOffsetAlignment ("
          << binding_alignment() << ")";
      throw std::invalid_argument(msg.str());
    }
    if (b.size == 0) {
      throw std::invalid_argument("[vulkan] a binding of 0 bytes");
    }
    check_range(rec, b.offset, b.size);
    check_binding_range(b.size);
    infos.push_back({rec.buffer, rec.offset + b.offset, b.size});
  }
  if (gx == 0 || gy == 0 || gz == 0) {
    return;
  }

  std::lock_guard lock(mutex_);
  auto& batch = this->batch();
  VkDescriptorSet set = VK_NULL_HANDLE;
  if (!d.features.push_descriptor) {
    // Allocate before recording anything, so a failure leaves no trace.
    if (batch.pools.empty() || batch.sets_in_last_pool == kSetsPerPool) {
      VkDescriptorPoolSize size{
          VK_DESCRIPTOR_TYPE_STORAGE_BUFFER, kSetsPerPool * kMaxBindings};
      VkDescriptorPoolCreateInfo info{
          VK_STRUCTURE_TYPE_DESCRIPTOR_POOL_CREATE_INFO};
      info.maxSets = kSetsPerPool;
      info.poolSizeCount = 1;
      info.pPoolSizes = &size;
      VkDescriptorPool pool;
      check(
          vkCreateDescriptorPool(d.device, &info, nullptr, &pool),
          "vkCreateDescriptorPool");
      batch.pools.push_back(pool);
      batch.sets_in_last_pool = 0;
    }
    VkDescriptorSetLayout layout = descriptor_set_layout();
    VkDescriptorSetAllocateInfo info{
        VK_STRUCTURE_TYPE_DESCRIPTOR_SET_ALLOCATE_INFO};
    info.descriptorPool = batch.pools.back();
    info.descriptorSetCount = 1;
    info.pSetLayouts = &layout;
    check(
        vkAllocateDescriptorSets(d.device, &info, &set),
        "vkAllocateDescriptorSets");
    ++batch.sets_in_last_pool;
  }
  std::vector<VkWriteDescriptorSet> writes(infos.size());
  for (uint32_t i = 0; i < infos.size(); ++i) {
    writes[i] = {VK_STRUCTURE_TYPE_WRITE_DESCRIPTOR_SET};
    writes[i].dstSet = set;
    writes[i].dstBinding = i;
    writes[i].descriptorCount = 1;
    writes[i].descriptorType = VK_DESCRIPTOR_TYPE_STORAGE_BUFFER;
    writes[i].pBufferInfo = &infos[i];
  }

  track(bindings);
  vkCmdBindPipeline(
      batch.cmd, VK_PIPELINE_BIND_POINT_COMPUTE, pipeline.pipeline);
  if (d.features.push_descriptor) {
    if (!writes.empty()) {
      d.push_descriptor_set(
          batch.cmd,
          VK_PIPELINE_BIND_POINT_COMPUTE,
          pipeline.layout,
          0,
          uint32_t(writes.size()),
          writes.data());
    }
  } else {
    vkUpdateDescriptorSets(
        d.device, uint32_t(writes.size()), writes.data(), 0, nullptr);
    vkCmdBindDescriptorSets(
        batch.cmd,
        VK_PIPELINE_BIND_POINT_COMPUTE,
        pipeline.layout,
        0,
        1,
        &set,
        0,
        nullptr);
  }
  if (push_bytes > 0) {
    vkCmdPushConstants(
        batch.cmd,
        pipeline.layout,
        VK_SHADER_STAGE_COMPUTE_BIT,
        0,
        uint32_t(push_bytes),
        push_constants);
  }
  vkCmdDispatch(batch.cmd, gx, gy, gz);
  ++batch.commands;
  ++commands_;
}

void Encoder::copy(
    const allocator::Buffer& src,
    size_t src_offset,
    const allocator::Buffer& dst,
    size_t dst_offset,
    size_t bytes) {
  if (bytes == 0) {
    return;
  }
  auto& s = vulkan_record(src, "a copy's source");
  auto& t = vulkan_record(dst, "a copy's destination");
  check_range(s, src_offset, bytes);
  check_range(t, dst_offset, bytes);
  std::lock_guard lock(mutex_);
  auto& batch = this->batch();
  track(
      {{src, src_offset, bytes, Access::read},
       {dst, dst_offset, bytes, Access::write}});
  VkBufferCopy region{s.offset + src_offset, t.offset + dst_offset, bytes};
  vkCmdCopyBuffer(batch.cmd, s.buffer, t.buffer, 1, &region);
  ++batch.commands;
  ++commands_;
}

void Encoder::fill(
    const allocator::Buffer& dst, size_t offset, size_t bytes, uint32_t value) {
  if (bytes == 0) {
    return;
  }
  auto& t = vulkan_record(dst, "a fill's destination");
  if (offset % 4 != 0 || bytes % 4 != 0) {
    throw std::invalid_argument(
        "[vulkan] fill offset and size must be multiples of 4 bytes");
  }
  check_range(t, offset, bytes);
  std::lock_guard lock(mutex_);
  auto& batch = this->batch();
  track({{dst, offset, bytes, Access::write}});
  vkCmdFillBuffer(batch.cmd, t.buffer, t.offset + offset, bytes, value);
  ++batch.commands;
  ++commands_;
}

allocator::Buffer Encoder::temporary(size_t bytes) {
  return keep_until_done(allocator().malloc(bytes));
}

allocator::Buffer Encoder::upload(const void* data, size_t bytes) {
  // Written before the batch knows it: a commit from another thread can
  // never submit the batch ahead of the bytes.
  auto buffer = allocator().malloc(bytes);
  if (bytes > 0) {
    std::memcpy(allocator().host_ptr(buffer), data, bytes);
  }
  return keep_until_done(buffer);
}

allocator::Buffer Encoder::keep_until_done(allocator::Buffer buffer) {
  std::lock_guard lock(mutex_);
  try {
    batch().temporaries.push_back(buffer);
  } catch (...) {
    allocator().free(buffer);
    throw;
  }
  return buffer;
}

void Encoder::add_completed_handler(Handler handler) {
  std::lock_guard lock(mutex_);
  batch().handlers.push_back(std::move(handler));
}

bool Encoder::needs_commit() {
  std::lock_guard lock(mutex_);
  return current_ && current_->commands >= kMaxCommandsPerBatch;
}

size_t Encoder::barrier_count() {
  std::lock_guard lock(mutex_);
  return barriers_;
}

size_t Encoder::command_count() {
  std::lock_guard lock(mutex_);
  return commands_;
}

void Encoder::commit() {
  std::unique_ptr<Batch> b;
  {
    std::lock_guard lock(mutex_);
    if (!current_) {
      return;
    }
    b = std::move(current_);
    try {
      auto& d = device();
      if (b->commands > 0) {
        // Device writes made visible to the host, which reads mapped memory
        // once the batch completes.
        VkMemoryBarrier mb{VK_STRUCTURE_TYPE_MEMORY_BARRIER};
        mb.srcAccessMask =
            VK_ACCESS_SHADER_WRITE_BIT | VK_ACCESS_TRANSFER_WRITE_BIT;
        mb.dstAccessMask = VK_ACCESS_HOST_READ_BIT;
        vkCmdPipelineBarrier(
            b->cmd,
            VK_PIPELINE_STAGE_COMPUTE_SHADER_BIT |
                VK_PIPELINE_STAGE_TRANSFER_BIT,
            VK_PIPELINE_STAGE_HOST_BIT,
            0,
            1,
            &mb,
            0,
            nullptr,
            0,
            nullptr);
      }
      check(vkEndCommandBuffer(b->cmd), "vkEndCommandBuffer");
      b->value = next_value_ + 1;
      VkTimelineSemaphoreSubmitInfo timeline{
          VK_STRUCTURE_TYPE_TIMELINE_SEMAPHORE_SUBMIT_INFO};
      timeline.signalSemaphoreValueCount = 1;
      timeline.pSignalSemaphoreValues = &b->value;
      VkSubmitInfo submit{VK_STRUCTURE_TYPE_SUBMIT_INFO};
      submit.pNext = &timeline;
      submit.commandBufferCount = 1;
      submit.pCommandBuffers = &b->cmd;
      submit.signalSemaphoreCount = 1;
      submit.pSignalSemaphores = &timeline_;
      std::lock_guard queue_lock(d.queue_mutex);
      check(
          vkQueueSubmit(d.queue, 1, &submit, VK_NULL_HANDLE), "vkQueueSubmit");
      next_value_ = b->value;
    } catch (...) {
      b->error = std::current_exception();
    }
  }
  {
    std::lock_guard lock(flight_mutex_);
    in_flight_.push_back(std::move(b));
  }
  flight_cv_.notify_all();
}

void Encoder::synchronize() {
  commit();
  std::unique_lock lock(flight_mutex_);
  done_cv_.wait(lock, [&] { return in_flight_.empty(); });
}

void Encoder::finish(std::unique_ptr<Batch> b, std::exception_ptr error) {
  for (auto& h : b->handlers) {
    try {
      h(error);
    } catch (...) {
      // A handler's failure must not stop the others (nor this thread).
    }
  }
  b->handlers.clear();
  for (auto& t : b->temporaries) {
    allocator().free(t);
  }
  b->temporaries.clear();
  {
    std::lock_guard lock(flight_mutex_);
    in_flight_.pop_front();
    recycled_.push_back(std::move(b));
  }
  done_cv_.notify_all();
}

void Encoder::completion_loop() {
  auto& d = device();
  const auto spin = completion_spin();
  while (true) {
    Batch* b;
    // No polling for the next submission: on an H100 host, a third polling
    // thread (beside the caller's wait and this thread's poll of the batch)
    // made half of the runs' round trips twice as slow (benchmarks/
    // RESULTS.md, "Sixth session").
    {
      std::unique_lock lock(flight_mutex_);
      flight_cv_.wait(lock, [&] { return stop_ || !in_flight_.empty(); });
      if (in_flight_.empty()) {
        return;
      }
      b = in_flight_.front().get();
    }
    std::exception_ptr error = b->error;
    // Reached while polling: no blocking wait (an error there falls through
    // to vkWaitSemaphores, which reports it).
    bool reached = false;
    if (!error && spin.count() > 0) {
      spin_until(
          [&] {
            uint64_t value = 0;
            VkResult r =
                vkGetSemaphoreCounterValue(d.device, timeline_, &value);
            reached = r == VK_SUCCESS && value >= b->value;
            return r != VK_SUCCESS || reached;
          },
          spin);
    }
    if (!error && !reached) {
      auto deadline = std::chrono::steady_clock::now() + kBatchTimeout;
      VkSemaphoreWaitInfo wait{VK_STRUCTURE_TYPE_SEMAPHORE_WAIT_INFO};
      wait.semaphoreCount = 1;
      wait.pSemaphores = &timeline_;
      wait.pValues = &b->value;
      while (true) {
        VkResult r = vkWaitSemaphores(d.device, &wait, kWaitSliceNs);
        if (r == VK_SUCCESS) {
          break;
        }
        if (r != VK_TIMEOUT) {
          try {
            check(r, "vkWaitSemaphores");
          } catch (...) {
            error = std::current_exception();
          }
          break;
        }
        if (std::chrono::steady_clock::now() > deadline) {
          error = std::make_exception_ptr(std::runtime_error(
              "[vulkan] a command batch did not complete within 300 s "
              "(device hung?)"));
          break;
        }
      }
    }
    std::unique_ptr<Batch> owned;
    {
      std::lock_guard lock(flight_mutex_);
      owned = std::move(in_flight_.front());
    }
    finish(std::move(owned), error);
  }
}

namespace {

struct Encoders {
  std::mutex mutex;
  std::map<int, std::unique_ptr<Encoder>> map;
};

// Leaked on purpose: streams live as long as the process, and joining the
// completion threads during static destruction could wait on the driver
// after it was torn down.
Encoders& encoders() {
  static auto* e = new Encoders();
  return *e;
}

} // namespace

Encoder& encoder(int stream_index) {
  auto& e = encoders();
  std::lock_guard lock(e.mutex);
  auto& slot = e.map[stream_index];
  if (!slot) {
    slot = std::make_unique<Encoder>();
  }
  return *slot;
}

Encoder* find_encoder(int stream_index) noexcept {
  auto& e = encoders();
  std::lock_guard lock(e.mutex);
  auto it = e.map.find(stream_index);
  return it == e.map.end() ? nullptr : it->second.get();
}

} // namespace mlx::core::vulkan
