// load_gguf: the header is parsed sequentially with every count, length
// and dimension checked against the bytes left in the file before anything
// is allocated; then each tensor's range is checked against the data
// section before it is read. The format is described in gguf.h.
#include <algorithm>
#include <cstring>
#include <limits>
#include <vector>

#include "mlx/io.h"
#include "mlx/io/gguf.h"
#include "mlx/io/io_impl.h"

namespace mlx::core {
namespace {

using namespace io::gguf;

// Smallest encodings, to bound counts by the bytes left: a metadata entry
// is an empty key (8), a type (4) and a 1-byte value; a tensor info an
// empty name (8), n_dims (4), a type (4) and an offset (8).
constexpr uint64_t kMinEntryBytes = 8 + 4 + 1;
constexpr uint64_t kMinTensorInfoBytes = 8 + 4 + 4 + 8;
constexpr uint64_t kStringLengthBytes = 8;
constexpr uint64_t kMaxShapeDim = std::numeric_limits<int32_t>::max();
// Header fields are read through a buffer of this many bytes, so a large
// vocabulary does not cost one file read per string.
constexpr size_t kReadChunk = 1 << 16;
constexpr char kWeightSuffix[] = ".weight";

// Sequential reads of the header with a bounds check on each, naming the
// field being read in errors.
class HeaderReader {
public:
  explicit HeaderReader(io::InputFile& in) : in_(in) {}

  uint64_t pos() const { return pos_; }
  uint64_t remaining() const { return in_.size() - pos_; }
  const std::string& where() const { return in_.where(); }

  /** What is being read, for error messages ("metadata 'key'"). */
  void set_context(std::string context) { context_ = std::move(context); }

  template <typename... Args>
  [[noreturn]] void fail(const Args&... parts) const {
    io::fail(where() + ", " + context_, parts...);
  }

  void read(void* dst, size_t n) {
    if (n > remaining()) {
      fail(
          "unexpected end of file: ",
          n,
          " bytes needed at offset ",
          pos_,
          " of a ",
          in_.size(),
          "-byte file.");
    }
    auto* out = static_cast<uint8_t*>(dst);
    while (n > 0) {
      if (pos_ < buffer_start_ || pos_ >= buffer_start_ + buffer_.size()) {
        buffer_start_ = pos_;
        buffer_.resize(std::min<uint64_t>(kReadChunk, remaining()));
        in_.read_at(buffer_start_, buffer_.data(), buffer_.size());
      }
      size_t at = pos_ - buffer_start_;
      size_t take = std::min(n, buffer_.size() - at);
      std::memcpy(out, buffer_.data() + at, take);
      out += take;
      pos_ += take;
      n -= take;
    }
  }

  uint32_t u32() {
    uint8_t b[4];
    read(b, 4);
    return io::get_u32(b);
  }
  uint64_t u64() {
    uint8_t b[8];
    read(b, 8);
    return io::get_u64(b);
  }
  std::string string() {
    uint64_t length = u64();
    if (length > remaining()) {
      fail(
          "string length ",
          length,
          " at offset ",
          pos_ - kStringLengthBytes,
          " runs past the end of the ",
          in_.size(),
          "-byte file.");
    }
    std::string s(length, '\0');
    read(s.data(), length);
    return s;
  }

  /** A count of items at least `min_bytes` each, checked to fit. */
  uint64_t count(const char* what, uint64_t min_bytes) {
    uint64_t n = u64();
    if (n > remaining() / min_bytes) {
      fail(
          what,
          " count ",
          n,
          " cannot fit in the ",
          remaining(),
          " bytes left of the file.");
    }
    return n;
  }

private:
  io::InputFile& in_;
  uint64_t pos_{0};
  std::vector<uint8_t> buffer_;
  uint64_t buffer_start_{0};
  std::string context_;
};

array read_numbers(HeaderReader& r, Dtype dtype, Shape shape) {
  return io::array_from_bytes(
      std::move(shape), dtype, [&](void* dst, size_t n) { r.read(dst, n); });
}

GGUFMetaData read_array_value(HeaderReader& r) {
  uint32_t type = r.u32();
  if (type == kString) {
    uint64_t n = r.count("string array", kStringLengthBytes);
    std::vector<std::string> strings;
    strings.reserve(n);
    for (uint64_t i = 0; i < n; ++i) {
      strings.push_back(r.string());
    }
    return strings;
  }
  if (type == kArray) {
    r.fail("nested arrays are not supported.");
  }
  auto dtype = value_dtype(type);
  if (!dtype) {
    r.fail("unknown array element type ", type, " (types are 0 to 12).");
  }
  uint64_t n = r.count("array element", size_of(*dtype));
  if (n > kMaxShapeDim) {
    r.fail("array of ", n, " elements exceeds 2^31 - 1.");
  }
  return read_numbers(r, *dtype, {static_cast<int32_t>(n)});
}

GGUFMetaData read_value(HeaderReader& r) {
  uint32_t type = r.u32();
  if (type == kString) {
    return r.string();
  }
  if (type == kArray) {
    return read_array_value(r);
  }
  auto dtype = value_dtype(type);
  if (!dtype) {
    r.fail("unknown value type ", type, " (types are 0 to 12).");
  }
  return read_numbers(r, *dtype, {});
}

uint64_t read_alignment(
    const std::unordered_map<std::string, GGUFMetaData>& metadata,
    const std::string& where) {
  auto it = metadata.find(kAlignmentKey);
  if (it == metadata.end()) {
    return kDefaultAlignment;
  }
  auto* value = std::get_if<array>(&it->second);
  if (!value || value->dtype() != uint32 || value->ndim() != 0) {
    io::fail(where, kAlignmentKey, " must be a uint32 scalar.");
  }
  uint32_t alignment = array(*value).item<uint32_t>();
  if (alignment == 0 || (alignment & (alignment - 1)) != 0) {
    io::fail(where, kAlignmentKey, " is ", alignment, ", not a power of two.");
  }
  return alignment;
}

struct TensorInfo {
  std::string name;
  uint32_t type{0};
  Shape shape; // ours: GGUF's dims reversed
  uint64_t offset{0};
  uint64_t nbytes{0};
};

// Element count of `shape`, or nullopt past 2^63 - 1.
std::optional<uint64_t> checked_size(const Shape& shape) {
  uint64_t n = 1;
  for (auto d : shape) {
    if (__builtin_mul_overflow(n, uint64_t(d), &n) ||
        n > uint64_t(std::numeric_limits<int64_t>::max())) {
      return std::nullopt;
    }
  }
  return n;
}

TensorInfo read_tensor_info(HeaderReader& r, uint64_t alignment) {
  TensorInfo t;
  t.name = r.string();
  r.set_context("tensor '" + t.name + "'");
  uint32_t n_dims = r.u32();
  if (n_dims > kMaxDims) {
    r.fail(n_dims, " dimensions (at most ", kMaxDims, ").");
  }
  t.shape.resize(n_dims);
  for (uint32_t i = 0; i < n_dims; ++i) {
    uint64_t d = r.u64();
    if (d > kMaxShapeDim) {
      r.fail("dimension ", i, " is ", d, " (at most 2^31 - 1).");
    }
    t.shape[n_dims - 1 - i] = static_cast<int32_t>(d);
  }
  t.type = r.u32();
  t.offset = r.u64();
  auto size = checked_size(t.shape);
  if (!size) {
    r.fail("more than 2^63 elements.");
  }
  if (auto dtype = tensor_dtype(t.type)) {
    if (__builtin_mul_overflow(*size, size_of(*dtype), &t.nbytes)) {
      r.fail("more than 2^64 bytes.");
    }
  } else if (auto format = quant_format(t.type)) {
    if (t.shape.empty() || t.shape.back() % kQuantGroupSize != 0) {
      r.fail(
          "type ",
          tensor_type_name(t.type),
          " needs a first GGUF dimension that is a multiple of its 32-weight "
          "blocks, not ",
          t.shape.empty() ? std::string("a scalar")
                          : std::to_string(t.shape.back()),
          ".");
    }
    t.nbytes = *size / kQuantGroupSize * format->block_bytes;
  } else {
    r.fail(
        "type ",
        tensor_type_name(t.type),
        " (",
        t.type,
        ") is not supported (supported: F32, F16, BF16, "
        "F64, I8, I16, I32, I64, and Q4_0, Q4_1, Q8_0 as quantized arrays).");
  }
  if (t.offset % alignment != 0) {
    r.fail(
        "data offset ",
        t.offset,
        " is not a multiple of the alignment ",
        alignment,
        ".");
  }
  return t;
}

void insert_unique(
    std::unordered_map<std::string, array>& arrays,
    std::string name,
    array a,
    const std::string& where) {
  if (arrays.count(name)) {
    io::fail(where, "two tensors load as the array '", name, "'.");
  }
  arrays.emplace(std::move(name), std::move(a));
}

// A Q4_0/Q4_1/Q8_0 tensor "x.weight" loads as "x.weight" (packed uint32),
// "x.scales" and "x.biases" (float16), as MLX does.
void load_quantized(
    io::InputFile& in,
    const TensorInfo& t,
    uint64_t data_start,
    std::unordered_map<std::string, array>& arrays) {
  auto format = *quant_format(t.type);
  std::vector<uint8_t> blocks(t.nbytes);
  in.read_at(data_start + t.offset, blocks.data(), blocks.size());
  uint64_t n_blocks = t.nbytes / format.block_bytes;

  Shape w_shape = t.shape;
  // uint32 words; in 64 bits, as the dimension may be up to 2^31 - 1.
  w_shape.back() = static_cast<int64_t>(t.shape.back()) * format.bits / 32;
  Shape g_shape = t.shape;
  g_shape.back() = t.shape.back() / kQuantGroupSize;
  uint64_t w_bytes = n_blocks * kQuantGroupSize * format.bits / 8;
  array w(allocator::malloc(w_bytes), w_shape, uint32);
  array scales(allocator::malloc(n_blocks * 2), g_shape, float16);
  array biases(allocator::malloc(n_blocks * 2), g_shape, float16);
  if (n_blocks > 0) {
    unpack_quant_blocks(
        t.type,
        blocks.data(),
        n_blocks,
        w.data<uint8_t>(),
        scales.data<float16_t>(),
        biases.data<float16_t>());
  }
  std::string base = t.name;
  if (io::ends_with(base, kWeightSuffix)) {
    base.resize(base.size() - std::strlen(kWeightSuffix));
  }
  insert_unique(arrays, t.name, std::move(w), in.where());
  insert_unique(arrays, base + ".scales", std::move(scales), in.where());
  insert_unique(arrays, base + ".biases", std::move(biases), in.where());
}

} // namespace

GGUFLoad load_gguf(const std::string& file, StreamOrDevice s) {
  io::InputFile in(file, "[load_gguf] " + file);
  const std::string& where = in.where();
  HeaderReader r(in);
  r.set_context("header");
  char magic[4];
  r.read(magic, 4);
  if (std::memcmp(magic, kMagic, 4) != 0) {
    io::fail(where, "not a GGUF file (the magic is not \"GGUF\").");
  }
  uint32_t version = r.u32();
  if (version < kOldestVersion || version > kVersion) {
    // A big-endian file's version 3 reads as 0x03000000 here.
    io::fail(
        where,
        "unsupported version ",
        version,
        " (supported: little-endian versions ",
        kOldestVersion,
        " and ",
        kVersion,
        ").");
  }
  uint64_t n_tensors = r.count("tensor", kMinTensorInfoBytes);
  uint64_t n_entries = r.count("metadata", kMinEntryBytes);

  GGUFLoad result;
  auto& metadata = result.second;
  for (uint64_t i = 0; i < n_entries; ++i) {
    r.set_context("metadata entry " + std::to_string(i));
    std::string key = r.string();
    r.set_context("metadata '" + key + "'");
    if (metadata.count(key)) {
      r.fail("appears twice.");
    }
    metadata.emplace(std::move(key), read_value(r));
  }
  uint64_t alignment = read_alignment(metadata, where);

  std::vector<TensorInfo> tensors;
  for (uint64_t i = 0; i < n_tensors; ++i) {
    r.set_context("tensor info " + std::to_string(i));
    tensors.push_back(read_tensor_info(r, alignment));
  }
  // The data section starts at the next multiple of the alignment.
  uint64_t data_start = (r.pos() + alignment - 1) / alignment * alignment;
  for (const auto& t : tensors) {
    uint64_t data_size = in.size() - std::min(data_start, in.size());
    if (data_start > in.size() || t.offset > data_size ||
        t.nbytes > data_size - t.offset) {
      io::fail(
          where,
          "tensor '",
          t.name,
          "' at data offset ",
          t.offset,
          " with ",
          t.nbytes,
          " bytes runs past the end of the ",
          data_size,
          "-byte data section.");
    }
  }
  for (const auto& t : tensors) {
    if (quant_format(t.type)) {
      load_quantized(in, t, data_start, result.first);
      continue;
    }
    array a = io::array_from_bytes(
        t.shape, *tensor_dtype(t.type), [&](void* dst, size_t n) {
          in.read_at(data_start + t.offset, dst, n);
        });
    insert_unique(result.first, t.name, std::move(a), where);
  }
  return result;
}

} // namespace mlx::core
