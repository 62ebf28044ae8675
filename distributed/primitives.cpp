// Evaluation of the communication primitives. Their inputs are packed
// (row-contiguous: the ops put a contiguous op in front) and may live on
// any device: the backends reach them through data<T>(), the host door.
#include "mlx/distributed/primitives.h"

#include <cstring>
#include <limits>
#include <optional>
#include <stdexcept>
#include <string>

#include "mlx/allocator.h"
#include "mlx/backend/common/views.h"

namespace mlx::core::distributed {

namespace {

// Gives `out` a buffer holding x's (packed) elements, reusing x's buffer
// when x may be donated: the result is then computed in place.
void prepare_in_place(const array& x, array& out) {
  if (x.is_donatable()) {
    out.copy_shared_buffer(x);
  } else {
    out.set_data(allocator::malloc(out.nbytes()));
    std::memcpy(out.data<char>(), x.data<char>(), x.nbytes());
  }
}

} // namespace

void DistPrimitive::eval_gpu(const std::vector<array>&, std::vector<array>&) {
  throw std::runtime_error(
      std::string("[") + name() +
      "] Not implemented on the GPU: run communication on a CPU stream.");
}

const char* AllReduce::name() const {
  switch (op_) {
  case detail::ReduceOp::Sum:
    return "AllSum";
  case detail::ReduceOp::Max:
    return "AllMax";
  case detail::ReduceOp::Min:
    return "AllMin";
  }
  return "AllReduce";
}

void AllReduce::eval_cpu(
    const std::vector<array>& inputs, std::vector<array>& outputs) {
  const array& x = inputs[0];
  array& out = outputs[0];
  if (!x.is_donatable()) {
    // Out of place: the backend reads x and writes a fresh buffer, which
    // saves the copy an in-place reduction would need.
    out.set_data(allocator::malloc(out.nbytes()));
    backend().all_reduce(
        x.data<void>(), out.data<void>(), out.size(), out.dtype(), op_);
    return;
  }
  prepare_in_place(x, out);
  backend().all_reduce(
      out.data<void>(), out.data<void>(), out.size(), out.dtype(), op_);
}

void AllSumMany::eval_cpu(
    const std::vector<array>& inputs, std::vector<array>& outputs) {
  if (outputs.empty()) {
    return;
  }
  // The outputs are consecutive views of one buffer (the bucket), so that
  // a backend whose transport reduces one buffer at a time (MPI) needs no
  // staging buffers: it reduces runs of outputs in place. The backend reads
  // each input and writes its output with no copy between.
  Dtype dtype = outputs[0].dtype();
  size_t total = 0;
  for (auto& out : outputs) {
    total += out.size();
  }
  // (A bucket beyond int32 elements, which no array shape holds: one
  // buffer per output.)
  bool one_buffer = total <= size_t(std::numeric_limits<int32_t>::max());
  std::optional<array> bucket;
  if (one_buffer) {
    bucket = array(
        allocator::malloc(total * size_of(dtype)),
        Shape{static_cast<int32_t>(total)},
        dtype);
  }
  std::vector<detail::Span> spans;
  spans.reserve(outputs.size());
  size_t offset = 0;
  for (size_t i = 0; i < outputs.size(); ++i) {
    const array& x = inputs[ordering_inputs_ + i];
    array& out = outputs[i];
    if (one_buffer) {
      views::make_view(
          *bucket,
          out,
          row_major_strides(out.shape()),
          static_cast<int64_t>(offset));
    } else {
      out.set_data(allocator::malloc(out.nbytes()));
    }
    offset += out.size();
    spans.push_back({x.data<void>(), out.data<void>(), out.size()});
  }
  backend().all_reduce_spans(spans, dtype, detail::ReduceOp::Sum, divisor_);
}

void AllGather::eval_cpu(
    const std::vector<array>& inputs, std::vector<array>& outputs) {
  const array& x = inputs[0];
  array& out = outputs[0];
  out.set_data(allocator::malloc(out.nbytes()));
  backend().all_gather(x.data<void>(), out.data<void>(), x.nbytes());
}

void SumScatter::eval_cpu(
    const std::vector<array>& inputs, std::vector<array>& outputs) {
  const array& x = inputs[0];
  array& out = outputs[0];
  out.set_data(allocator::malloc(out.nbytes()));
  backend().reduce_scatter(
      x.data<void>(),
      out.data<void>(),
      out.size(),
      out.dtype(),
      detail::ReduceOp::Sum);
}

void Send::eval_cpu(
    const std::vector<array>& inputs, std::vector<array>& outputs) {
  const array& x = inputs[0];
  backend().send(x.data<void>(), x.nbytes(), dst_);
  outputs[0].copy_shared_buffer(x);
}

void Recv::eval_cpu(const std::vector<array>&, std::vector<array>& outputs) {
  array& out = outputs[0];
  out.set_data(allocator::malloc(out.nbytes()));
  backend().recv(out.data<void>(), out.nbytes(), src_);
}

void Broadcast::eval_cpu(
    const std::vector<array>& inputs, std::vector<array>& outputs) {
  const array& x = inputs[0];
  array& out = outputs[0];
  if (backend().rank() == root_) {
    prepare_in_place(x, out);
  } else {
    // The root's data replaces whatever this rank holds.
    out.set_data(allocator::malloc(out.nbytes()));
  }
  backend().broadcast(out.data<void>(), out.nbytes(), root_);
}

} // namespace mlx::core::distributed
