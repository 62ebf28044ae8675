// The array: a cheap handle to a node of the lazy graph. Until evaluated it
// holds the primitive and inputs that produce it; afterwards it holds a
// (possibly shared, strided) view of a data buffer.
#pragma once

#include <algorithm>
#include <atomic>
#include <cstdint>
#include <functional>
#include <initializer_list>
#include <memory>
#include <stdexcept>
#include <vector>

#include "mlx/allocator.h"
#include "mlx/dtype.h"
#include "mlx/event.h"
#include "mlx/stream.h"

namespace mlx::core {

using Shape = std::vector<int32_t>;
using Strides = std::vector<int64_t>;

class Primitive;
using Deleter = std::function<void(allocator::Buffer)>;

/** Row-major strides (in elements) of a shape. */
Strides row_major_strides(const Shape& shape);

/** Number of elements of a shape; throws on overflow or negative sizes. */
size_t shape_size(const Shape& shape);

class array {
public:
  /** A scalar (0-d) array. */
  template <typename T> explicit array(T val, Dtype dtype = TypeToDtype<T>());

  /** A 1-d array; an int list gives int32, a float list float32. With a
   * dtype the elements keep their type until converted to it, so
   * `array({0.5f}, float16)` holds 0.5. */
  template <typename T, typename = std::enable_if_t<!std::is_same_v<T, array>>>
  array(std::initializer_list<T> data, Dtype dtype = TypeToDtype<T>());

  /** An array of the given shape from the list (size must match). */
  template <typename T>
  array(
      std::initializer_list<T> data,
      Shape shape,
      Dtype dtype = TypeToDtype<T>());

  /** Special case so `array({}, float32)` is an empty array. */
  array(std::initializer_list<int> data, Dtype dtype);

  /** From an iterator over shape-size elements. */
  template <typename It>
  array(
      It data,
      Shape shape,
      Dtype dtype =
          TypeToDtype<typename std::iterator_traits<It>::value_type>());

  /** From a vector and a shape. */
  template <typename T> array(const std::vector<T>& data, Shape shape);
  template <typename T>
  array(const std::vector<T>& data, Shape shape, Dtype dtype);

  /** A copy of `shape`-size elements of `dtype` at `data`; `deleter(data)`
   * runs once they are copied (MLX's no-copy path is a copy here). */
  array(
      void* data,
      Shape shape,
      Dtype dtype,
      const std::function<void(void*)>& deleter);

  /** Wraps an existing buffer; `deleter` releases it when the last view
   * goes away. */
  array(
      allocator::Buffer data,
      Shape shape,
      Dtype dtype,
      Deleter deleter = allocator::free);

  /** The output of a primitive (used by ops). */
  array(
      Shape shape,
      Dtype dtype,
      std::shared_ptr<Primitive> primitive,
      std::vector<array> inputs);

  /** Several outputs of one primitive; they become each other's siblings. */
  static std::vector<array> make_arrays(
      std::vector<Shape> shapes,
      const std::vector<Dtype>& dtypes,
      const std::shared_ptr<Primitive>& primitive,
      const std::vector<array>& inputs);

  array(const array&) = default;
  array(array&&) = default;
  // Assignment releases the old node like the destructor does.
  array& operator=(const array& other) &;
  array& operator=(array&& other) &;

  size_t itemsize() const { return size_of(dtype()); }
  size_t size() const { return desc_->size; }
  size_t nbytes() const { return size() * itemsize(); }
  size_t ndim() const { return desc_->shape.size(); }
  const Shape& shape() const { return desc_->shape; }
  /** Size of one dimension; negative dims count from the end. */
  int shape(int dim) const;
  const Strides& strides() const { return desc_->strides; }
  int64_t strides(int dim) const;
  Dtype dtype() const { return desc_->dtype; }

  /** Evaluate the array (and the graph it depends on) and wait for it. */
  void eval();

  /** The single element, converted to T; evaluates the array. */
  template <typename T> T item();

  /** Host address of the first element: the one door to an array's bytes
   * from the host, whichever device made them. The array must be evaluated
   * (`eval`, or a kernel's input): its event is signalled only once the
   * producing device has finished, and device memory is mapped. */
  template <typename T> T* data() { return static_cast<T*>(host_data()); }
  template <typename T> const T* data() const {
    return static_cast<const T*>(host_data());
  }

  struct Flags {
    // The elements occupy data_size() consecutive slots, in some order.
    bool contiguous : 1;
    bool row_contiguous : 1;
    bool col_contiguous : 1;
  };

  struct Data {
    allocator::Buffer buffer;
    Deleter d;
    // Host address of the buffer's first byte (mapped device memory for a
    // GPU buffer; nullptr when empty), looked up once.
    void* host;
    // Host reads go through a copy the allocator makes (uncached device
    // memory): data<T>() asks the allocator each time.
    bool read_copy;
    Data(allocator::Buffer buffer, Deleter d = allocator::free)
        : buffer(buffer), d(std::move(d)), host(buffer.raw_ptr()),
          read_copy(buffer.reads_through_copy()) {}
    Data(const Data&) = delete;
    Data& operator=(const Data&) = delete;
    ~Data() { d(buffer); }
  };

  enum class Status {
    unscheduled, // a graph node nobody has asked to evaluate yet
    scheduled,   // queued on a stream; `event()` says when it is done
    available,   // data is ready (or evaluation failed: see event())
  };

  const Flags& flags() const { return desc_->flags; }
  /** Number of elements the buffer region of this view spans. */
  size_t data_size() const { return desc_->data_size; }
  allocator::Buffer& buffer() { return desc_->data->buffer; }
  const allocator::Buffer& buffer() const { return desc_->data->buffer; }
  /** Byte offset of this view's first element into buffer(). */
  int64_t offset() const { return desc_->offset; }
  /** Shared ownership of the buffer, for views. */
  const std::shared_ptr<Data>& data_shared_ptr() const { return desc_->data; }
  size_t buffer_size() const;

  bool has_primitive() const { return desc_->primitive != nullptr; }
  Primitive& primitive() const { return *desc_->primitive; }
  const std::shared_ptr<Primitive>& primitive_ptr() const {
    return desc_->primitive;
  }
  std::vector<array>& inputs() { return desc_->inputs; }
  const std::vector<array>& inputs() const { return desc_->inputs; }
  /** The other outputs of this array's primitive. */
  const std::vector<array>& siblings() const { return desc_->siblings; }
  /** All outputs of the primitive, this one included, in order. */
  std::vector<array> outputs() const;
  uint32_t output_index() const { return desc_->position; }

  Status status() const { return desc_->status.load(); }
  void set_status(Status s) const { desc_->status.store(s); }
  bool is_available() const { return status() == Status::available; }
  const std::shared_ptr<Event>& event() const { return desc_->event; }
  void attach_event(std::shared_ptr<Event> e) const { desc_->event = e; }

  /** Wait for a scheduled array; rethrows the error its kernel raised. */
  void wait();

  /** Drop the graph above this array (primitive, inputs, siblings). */
  void detach();

  /** Unique id of the node (stable while the array lives). */
  std::uintptr_t id() const {
    return reinterpret_cast<std::uintptr_t>(desc_.get());
  }
  /** Whether both handles refer to the same node. */
  bool is_same(const array& other) const { return desc_ == other.desc_; }

  /** The buffer may be reused for an output: nothing else refers to it.
   * Host kernels may not take a buffer whose host reads go through a copy
   * (their writes would miss it); GPU kernels pass `on_device`. */
  bool is_donatable(bool on_device = false) const;

  // Used by kernels to give an output its data.
  void set_data(allocator::Buffer buffer, Deleter d = allocator::free);
  void set_data(
      allocator::Buffer buffer,
      size_t data_size,
      Strides strides,
      Flags flags,
      Deleter d = allocator::free);
  /** Make this a view of `other`'s buffer with the given layout; `offset`
   * is in elements of this array's dtype, relative to other's first
   * element. */
  void copy_shared_buffer(
      const array& other,
      const Strides& strides,
      Flags flags,
      size_t data_size,
      int64_t offset = 0);
  void copy_shared_buffer(const array& other);
  /** Take over `other`'s buffer (donation). */
  void move_shared_buffer(array other);

  /** Part of a function transform's trace while that transform runs:
   * evaluating it keeps its graph, which the transform still walks. */
  bool is_tracer() const;
  void set_tracer(bool is_tracer) { desc_->is_tracer = is_tracer; }

  /** Frees a group of sibling outputs that only refer to each other. */
  ~array();

private:
  struct ArrayDesc {
    Shape shape;
    Strides strides;
    size_t size;
    Dtype dtype;
    std::shared_ptr<Primitive> primitive;

    std::atomic<Status> status;
    std::shared_ptr<Event> event;

    std::shared_ptr<Data> data;
    // Bytes from the start of the buffer to this view's first element.
    int64_t offset{0};
    size_t data_size{0};
    Flags flags{};

    std::vector<array> inputs;
    std::vector<array> siblings;
    uint32_t position{0};
    // Set on a transform's inputs and inherited by everything computed
    // from them.
    bool is_tracer{false};

    ArrayDesc(Shape shape, Dtype dtype);
    ArrayDesc(
        Shape shape,
        Dtype dtype,
        std::shared_ptr<Primitive> primitive,
        std::vector<array> inputs);
    ~ArrayDesc();
  };

  void* host_data() const {
    auto* d = desc_->data.get();
    if (!d || !d->host) {
      return nullptr;
    }
    // Arrays are immutable once evaluated: reading a copy is safe.
    char* base =
        d->read_copy
            ? static_cast<char*>(const_cast<void*>(d->buffer.read_ptr()))
            : static_cast<char*>(d->host);
    return base + desc_->offset;
  }
  void init_from_bytes(const void* src, size_t bytes);
  template <typename It> void init(It src);

  std::shared_ptr<ArrayDesc> desc_;
};

// ---------------------------------------------------------------------------
// Template definitions.

template <typename T>
array::array(T val, Dtype dtype)
    : desc_(std::make_shared<ArrayDesc>(Shape{}, dtype)) {
  init(&val);
}

template <typename T, typename>
array::array(std::initializer_list<T> data, Dtype dtype)
    : desc_(std::make_shared<ArrayDesc>(
          Shape{static_cast<int32_t>(data.size())}, dtype)) {
  init(data.begin());
}

template <typename T>
array::array(std::initializer_list<T> data, Shape shape, Dtype dtype)
    : desc_(std::make_shared<ArrayDesc>(std::move(shape), dtype)) {
  if (data.size() != size()) {
    throw std::invalid_argument(
        "[array] Data size and provided shape mismatch.");
  }
  init(data.begin());
}

template <typename It>
array::array(It data, Shape shape, Dtype dtype)
    : desc_(std::make_shared<ArrayDesc>(std::move(shape), dtype)) {
  init(data);
}

template <typename T>
array::array(const std::vector<T>& data, Shape shape)
    : array(data, std::move(shape), TypeToDtype<T>()) {}

template <typename T>
array::array(const std::vector<T>& data, Shape shape, Dtype dtype)
    : desc_(std::make_shared<ArrayDesc>(std::move(shape), dtype)) {
  if (data.size() != size()) {
    throw std::invalid_argument(
        "[array] Data size and provided shape mismatch.");
  }
  init(data.begin());
}

namespace detail {

// Converts one value between element types, as astype does.
template <typename Out, typename In> Out convert_scalar(In v) {
  if constexpr (std::is_same_v<Out, In>) {
    return v;
  } else if constexpr (std::is_same_v<In, complex64_t>) {
    if constexpr (std::is_same_v<Out, bool>) {
      return v != complex64_t(0);
    } else {
      return static_cast<Out>(v.real());
    }
  } else if constexpr (std::is_same_v<Out, complex64_t>) {
    return complex64_t(static_cast<float>(v), 0.0f);
  } else if constexpr (is_half_v<In>) {
    return convert_scalar<Out>(static_cast<float>(v));
  } else if constexpr (std::is_same_v<Out, bool>) {
    return v != In(0);
  } else {
    return static_cast<Out>(v);
  }
}

// Calls f(T{}) with T the C++ type of the dtype.
template <typename F> decltype(auto) dispatch_dtype(Dtype dtype, F&& f) {
  switch (dtype.val()) {
  case Dtype::Val::bool_:
    return f(bool{});
  case Dtype::Val::uint8:
    return f(uint8_t{});
  case Dtype::Val::uint16:
    return f(uint16_t{});
  case Dtype::Val::uint32:
    return f(uint32_t{});
  case Dtype::Val::uint64:
    return f(uint64_t{});
  case Dtype::Val::int8:
    return f(int8_t{});
  case Dtype::Val::int16:
    return f(int16_t{});
  case Dtype::Val::int32:
    return f(int32_t{});
  case Dtype::Val::int64:
    return f(int64_t{});
  case Dtype::Val::float16:
    return f(float16_t{});
  case Dtype::Val::float32:
    return f(float{});
  case Dtype::Val::float64:
    return f(double{});
  case Dtype::Val::bfloat16:
    return f(bfloat16_t{});
  case Dtype::Val::complex64:
    return f(complex64_t{});
  }
  throw std::invalid_argument("[dispatch_dtype] Unknown dtype.");
}

} // namespace detail

template <typename It> void array::init(It src) {
  using In = typename std::iterator_traits<It>::value_type;
  detail::dispatch_dtype(dtype(), [&](auto tag) {
    using Out = decltype(tag);
    std::vector<Out> converted(size());
    for (size_t i = 0; i < converted.size(); ++i, ++src) {
      converted[i] = detail::convert_scalar<Out>(static_cast<In>(*src));
    }
    if constexpr (std::is_same_v<Out, bool>) {
      // std::vector<bool> is packed: copy element by element.
      std::vector<uint8_t> bytes(converted.begin(), converted.end());
      init_from_bytes(bytes.data(), bytes.size());
    } else {
      init_from_bytes(converted.data(), converted.size() * sizeof(Out));
    }
  });
}

template <typename T> T array::item() {
  if (size() != 1) {
    throw std::invalid_argument(
        "[item] item can only be called on arrays of size 1.");
  }
  eval();
  return detail::dispatch_dtype(dtype(), [&](auto tag) -> T {
    using In = decltype(tag);
    if constexpr (
        std::is_same_v<In, complex64_t> && !std::is_same_v<T, complex64_t>) {
      throw std::invalid_argument(
          "[item] Cannot convert a complex64 item to a real type.");
    } else {
      return detail::convert_scalar<T>(*data<In>());
    }
  });
}

} // namespace mlx::core
