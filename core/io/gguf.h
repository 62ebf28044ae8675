// The GGUF format (github.com/ggml-org/ggml/blob/master/docs/gguf.md),
// version 3, little-endian:
//   "GGUF", version u32, tensor count u64, metadata count u64,
//   metadata: key (string), value type u32, value,
//   tensor infos: name (string), n_dims u32, dims u64[n_dims] (fastest
//     varying first: the reverse of our shape), type u32, offset u64
//     (relative to the data section, a multiple of the alignment),
//   zero padding to the alignment, then the data section.
// A string is a u64 length and that many bytes; an array value is an
// element type u32, a count u64 and the elements. The alignment is the
// metadata "general.alignment" (u32) or 32.
#pragma once

#include <cstdint>
#include <optional>

#include "mlx/dtype.h"
#include "mlx/types/half_types.h"

namespace mlx::core::io::gguf {

constexpr char kMagic[4] = {'G', 'G', 'U', 'F'};
// Version 3 added big-endian files; version 2 is the same layout in
// little-endian (version 1 had 32-bit counts and is obsolete).
constexpr uint32_t kVersion = 3;
constexpr uint32_t kOldestVersion = 2;
constexpr uint32_t kDefaultAlignment = 32;
constexpr char kAlignmentKey[] = "general.alignment";
// GGML_MAX_DIMS: ggml tensors have at most four dimensions.
constexpr uint32_t kMaxDims = 4;

// Metadata value types (gguf_type in ggml's gguf.h).
enum ValueType : uint32_t {
  kUint8 = 0,
  kInt8 = 1,
  kUint16 = 2,
  kInt16 = 3,
  kUint32 = 4,
  kInt32 = 5,
  kFloat32 = 6,
  kBool = 7,
  kString = 8,
  kArray = 9,
  kUint64 = 10,
  kInt64 = 11,
  kFloat64 = 12,
};

// Tensor types (ggml_type in ggml.h) that have a dtype or a quantized form
// here; the others are named in errors only.
enum TensorType : uint32_t {
  kF32 = 0,
  kF16 = 1,
  kQ4_0 = 2,
  kQ4_1 = 3,
  kQ8_0 = 8,
  kI8 = 24,
  kI16 = 25,
  kI32 = 26,
  kI64 = 27,
  kF64 = 28,
  kBF16 = 30,
};

/** The dtype of a numeric or bool metadata value type (not string or
 * array). */
std::optional<Dtype> value_dtype(uint32_t type);
/** The metadata value type that holds `dtype`, if any. */
std::optional<ValueType> value_type_of(Dtype dtype);

/** The dtype of a plain (unquantized) tensor type. */
std::optional<Dtype> tensor_dtype(uint32_t type);
/** The plain tensor type that holds `dtype`, if any. */
std::optional<TensorType> tensor_type_of(Dtype dtype);
/** ggml's name for a tensor type ("Q4_K"), or "unknown". */
const char* tensor_type_name(uint32_t type);

// Q4_0, Q4_1 and Q8_0 blocks: 32 weights with an f16 scale d (and for
// Q4_1 an f16 minimum m). They load as affine quantized arrays with group
// size 32, as MLX loads them: w = scale * q + bias.
constexpr int kQuantGroupSize = 32;

struct QuantFormat {
  int bits;             // bits per weight in our packed form
  uint64_t block_bytes; // bytes of one 32-weight block in the file
};
std::optional<QuantFormat> quant_format(uint32_t type);

/** Unpacks `n_blocks` blocks of a quantized type at `src` into our affine
 * layout: packed weights (bits * 32 / 8 bytes per block), and one scale and
 * one bias per block. */
void unpack_quant_blocks(
    uint32_t type,
    const uint8_t* src,
    uint64_t n_blocks,
    uint8_t* weights,
    float16_t* scales,
    float16_t* biases);

} // namespace mlx::core::io::gguf
