#include "mlx/array.h"

#include <cstring>
#include <limits>
#include <sstream>

#include "mlx/primitives/primitive.h"
#include "mlx/transforms.h"

namespace mlx::core {

Strides row_major_strides(const Shape& shape) {
  Strides strides(shape.size(), 1);
  for (int i = static_cast<int>(shape.size()) - 2; i >= 0; --i) {
    strides[i] = strides[i + 1] * std::max<int64_t>(shape[i + 1], 1);
  }
  return strides;
}

size_t shape_size(const Shape& shape) {
  size_t n = 1;
  for (auto d : shape) {
    if (d < 0) {
      std::ostringstream msg;
      msg << "[array] Shape dimensions must be non-negative, got " << d << ".";
      throw std::invalid_argument(msg.str());
    }
    if (d != 0 &&
        n > static_cast<size_t>(std::numeric_limits<int64_t>::max() / d)) {
      throw std::overflow_error("[array] Shape size overflows int64.");
    }
    n *= static_cast<size_t>(d);
  }
  return n;
}

namespace {

// Element count of a new array; its byte size (size * itemsize, used for
// every allocation) must not wrap around either.
size_t checked_size(const Shape& shape, Dtype dtype) {
  size_t n = shape_size(shape);
  if (n > static_cast<size_t>(std::numeric_limits<int64_t>::max()) /
              size_of(dtype)) {
    std::ostringstream msg;
    msg << "[array] Array of " << n << " elements of " << size_of(dtype)
        << " bytes overflows int64.";
    throw std::overflow_error(msg.str());
  }
  return n;
}

} // namespace

array::ArrayDesc::ArrayDesc(Shape shape_, Dtype dtype_)
    : shape(std::move(shape_)), strides(row_major_strides(shape)),
      size(checked_size(shape, dtype_)), dtype(dtype_),
      status(Status::available) {}

array::ArrayDesc::ArrayDesc(
    Shape shape_,
    Dtype dtype_,
    std::shared_ptr<Primitive> primitive_,
    std::vector<array> inputs_)
    : shape(std::move(shape_)), strides(row_major_strides(shape)),
      size(checked_size(shape, dtype_)), dtype(dtype_),
      primitive(std::move(primitive_)), status(Status::unscheduled),
      inputs(std::move(inputs_)) {
  for (auto& in : inputs) {
    is_tracer |= in.desc_->is_tracer;
  }
}

array::ArrayDesc::~ArrayDesc() {
  // Releasing a long unevaluated chain recursively would overflow the stack:
  // unlink inputs we hold the last reference to and free them in a loop.
  std::vector<std::shared_ptr<ArrayDesc>> pending;
  auto collect = [&pending](std::vector<array>& arrays) {
    for (auto& a : arrays) {
      if (a.desc_.use_count() == 1) {
        pending.push_back(std::move(a.desc_));
      }
    }
    arrays.clear();
  };
  collect(inputs);
  while (!pending.empty()) {
    auto desc = std::move(pending.back());
    pending.pop_back();
    collect(desc->inputs);
  }
}

array::array(allocator::Buffer data, Shape shape, Dtype dtype, Deleter deleter)
    : desc_(std::make_shared<ArrayDesc>(std::move(shape), dtype)) {
  set_data(data, std::move(deleter));
}

array::array(
    Shape shape,
    Dtype dtype,
    std::shared_ptr<Primitive> primitive,
    std::vector<array> inputs)
    : desc_(std::make_shared<ArrayDesc>(
          std::move(shape), dtype, std::move(primitive), std::move(inputs))) {}

array::array(
    void* data,
    Shape shape,
    Dtype dtype,
    const std::function<void(void*)>& deleter)
    : desc_(std::make_shared<ArrayDesc>(std::move(shape), dtype)) {
  init_from_bytes(data, size() * size_of(dtype));
  if (deleter) {
    deleter(data);
  }
}

array::array(std::initializer_list<int> data, Dtype dtype)
    : desc_(std::make_shared<ArrayDesc>(
          Shape{static_cast<int32_t>(data.size())}, dtype)) {
  init(data.begin());
}

array::~array() {
  // Outputs of one primitive hold each other in `siblings`: a cycle. When
  // this handle is the last one from outside the group (this node is held
  // by its n - 1 siblings and by us, each sibling by its n - 1 siblings
  // only), the group is garbage: break the cycle so it can be freed.
  if (!desc_ || desc_->siblings.empty()) {
    return;
  }
  long n = static_cast<long>(desc_->siblings.size()) + 1;
  if (desc_.use_count() != n) {
    return;
  }
  for (auto& s : desc_->siblings) {
    if (s.desc_.use_count() != n - 1) {
      return;
    }
  }
  std::vector<array> group = std::move(desc_->siblings);
  desc_->siblings.clear();
  for (auto& s : group) {
    s.desc_->siblings.clear();
  }
}

array& array::operator=(const array& other) & {
  if (this != &other) {
    array previous = std::move(*this);
    desc_ = other.desc_;
  }
  return *this;
}

array& array::operator=(array&& other) & {
  if (this != &other) {
    array previous = std::move(*this);
    desc_ = std::move(other.desc_);
  }
  return *this;
}

std::vector<array> array::make_arrays(
    std::vector<Shape> shapes,
    const std::vector<Dtype>& dtypes,
    const std::shared_ptr<Primitive>& primitive,
    const std::vector<array>& inputs) {
  std::vector<array> outputs;
  for (size_t i = 0; i < shapes.size(); ++i) {
    outputs.emplace_back(std::move(shapes[i]), dtypes[i], primitive, inputs);
  }
  for (size_t i = 0; i < outputs.size(); ++i) {
    auto& desc = *outputs[i].desc_;
    desc.position = static_cast<uint32_t>(i);
    for (size_t j = 0; j < outputs.size(); ++j) {
      if (j != i) {
        desc.siblings.push_back(outputs[j]);
      }
    }
  }
  return outputs;
}

void array::init_from_bytes(const void* src, size_t bytes) {
  auto buffer = allocator::malloc(bytes);
  if (bytes > 0) {
    std::memcpy(buffer.raw_ptr(), src, bytes);
  }
  set_data(buffer);
}

int array::shape(int dim) const {
  int n = static_cast<int>(ndim());
  if (dim < -n || dim >= n) {
    std::ostringstream msg;
    msg << "[array::shape] Dimension " << dim
        << " is out of range for an array with " << n << " dimensions.";
    throw std::invalid_argument(msg.str());
  }
  return desc_->shape[dim < 0 ? dim + n : dim];
}

int64_t array::strides(int dim) const {
  int n = static_cast<int>(ndim());
  if (dim < -n || dim >= n) {
    std::ostringstream msg;
    msg << "[array::strides] Dimension " << dim
        << " is out of range for an array with " << n << " dimensions.";
    throw std::invalid_argument(msg.str());
  }
  return desc_->strides[dim < 0 ? dim + n : dim];
}

void array::eval() {
  mlx::core::eval({*this});
}

void array::wait() {
  if (status() == Status::unscheduled) {
    eval();
    return;
  }
  if (auto e = event()) {
    e->wait();
    if (auto err = e->error()) {
      std::rethrow_exception(err);
    }
  }
}

std::vector<array> array::outputs() const {
  std::vector<array> outs = desc_->siblings;
  outs.insert(outs.begin() + desc_->position, *this);
  return outs;
}

void array::detach() {
  for (auto& s : desc_->siblings) {
    s.desc_->primitive = nullptr;
    s.desc_->inputs.clear();
    s.desc_->siblings.clear();
    s.desc_->position = 0;
  }
  desc_->primitive = nullptr;
  desc_->inputs.clear();
  desc_->siblings.clear();
  desc_->position = 0;
}

bool array::is_tracer() const {
  return desc_->is_tracer && detail::in_tracing();
}

size_t array::buffer_size() const {
  if (!desc_->data) {
    return 0;
  }
  auto& buffer = desc_->data->buffer;
  return buffer.allocator() ? buffer.allocator()->size(buffer) : 0;
}

bool array::is_donatable(bool on_device) const {
  // The array handle held by the running primitive's input list is the only
  // one, and no other view shares its buffer.
  return desc_.use_count() == 1 && desc_->data &&
         desc_->data.use_count() == 1 && desc_->flags.row_contiguous &&
         desc_->data_size == desc_->size &&
         desc_->data->buffer.ptr() != nullptr &&
         (on_device || !desc_->data->read_copy);
}

void array::set_data(allocator::Buffer buffer, Deleter d) {
  desc_->data = std::make_shared<Data>(buffer, std::move(d));
  desc_->offset = 0;
  desc_->data_size = size();
  desc_->strides = row_major_strides(shape());
  desc_->flags.contiguous = true;
  desc_->flags.row_contiguous = true;
  size_t non_unit = 0;
  for (auto s : shape()) {
    non_unit += s > 1;
  }
  desc_->flags.col_contiguous = size() <= 1 || non_unit <= 1;
}

void array::set_data(
    allocator::Buffer buffer,
    size_t data_size,
    Strides strides,
    Flags flags,
    Deleter d) {
  desc_->data = std::make_shared<Data>(buffer, std::move(d));
  desc_->offset = 0;
  desc_->data_size = data_size;
  desc_->strides = std::move(strides);
  desc_->flags = flags;
}

void array::copy_shared_buffer(
    const array& other,
    const Strides& strides,
    Flags flags,
    size_t data_size,
    int64_t offset) {
  desc_->data = other.desc_->data;
  desc_->strides = strides;
  desc_->flags = flags;
  desc_->data_size = data_size;
  desc_->offset =
      other.desc_->offset + offset * static_cast<int64_t>(itemsize());
}

void array::copy_shared_buffer(const array& other) {
  copy_shared_buffer(other, other.strides(), other.flags(), other.data_size());
}

void array::move_shared_buffer(array other) {
  desc_->data = std::move(other.desc_->data);
  desc_->strides = other.strides();
  desc_->flags = other.flags();
  desc_->data_size = other.data_size();
  desc_->offset = other.desc_->offset;
}

} // namespace mlx::core
