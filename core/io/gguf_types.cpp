// GGUF's type codes and our dtypes.
#include "mlx/io/gguf.h"

namespace mlx::core::io::gguf {
namespace {

struct ValueDtype {
  ValueType type;
  Dtype dtype;
};
constexpr ValueDtype kValueDtypes[] = {
    {kUint8, uint8},
    {kInt8, int8},
    {kUint16, uint16},
    {kInt16, int16},
    {kUint32, uint32},
    {kInt32, int32},
    {kFloat32, float32},
    {kBool, bool_},
    {kUint64, uint64},
    {kInt64, int64},
    {kFloat64, float64},
};

struct TensorDtype {
  TensorType type;
  Dtype dtype;
};
constexpr TensorDtype kTensorDtypes[] = {
    {kF32, float32},
    {kF16, float16},
    {kBF16, bfloat16},
    {kF64, float64},
    {kI8, int8},
    {kI16, int16},
    {kI32, int32},
    {kI64, int64},
};

// ggml_type names by code (ggml.h); codes 4, 5 and 31-33 were removed.
struct TypeName {
  uint32_t type;
  const char* name;
};
constexpr TypeName kTypeNames[] = {
    {0, "F32"},      {1, "F16"},     {2, "Q4_0"},     {3, "Q4_1"},
    {6, "Q5_0"},     {7, "Q5_1"},    {8, "Q8_0"},     {9, "Q8_1"},
    {10, "Q2_K"},    {11, "Q3_K"},   {12, "Q4_K"},    {13, "Q5_K"},
    {14, "Q6_K"},    {15, "Q8_K"},   {16, "IQ2_XXS"}, {17, "IQ2_XS"},
    {18, "IQ3_XXS"}, {19, "IQ1_S"},  {20, "IQ4_NL"},  {21, "IQ3_S"},
    {22, "IQ2_S"},   {23, "IQ4_XS"}, {24, "I8"},      {25, "I16"},
    {26, "I32"},     {27, "I64"},    {28, "F64"},     {29, "IQ1_M"},
    {30, "BF16"},    {34, "TQ1_0"},  {35, "TQ2_0"},   {39, "MXFP4"},
};

} // namespace

std::optional<Dtype> value_dtype(uint32_t type) {
  for (const auto& v : kValueDtypes) {
    if (v.type == type) {
      return v.dtype;
    }
  }
  return std::nullopt;
}

std::optional<ValueType> value_type_of(Dtype dtype) {
  for (const auto& v : kValueDtypes) {
    if (v.dtype == dtype) {
      return v.type;
    }
  }
  return std::nullopt;
}

std::optional<Dtype> tensor_dtype(uint32_t type) {
  for (const auto& t : kTensorDtypes) {
    if (t.type == type) {
      return t.dtype;
    }
  }
  return std::nullopt;
}

std::optional<TensorType> tensor_type_of(Dtype dtype) {
  for (const auto& t : kTensorDtypes) {
    if (t.dtype == dtype) {
      return t.type;
    }
  }
  return std::nullopt;
}

const char* tensor_type_name(uint32_t type) {
  for (const auto& t : kTypeNames) {
    if (t.type == type) {
      return t.name;
    }
  }
  return "unknown";
}

std::optional<QuantFormat> quant_format(uint32_t type) {
  // Block sizes: an f16 scale (and an f16 minimum for Q4_1), then 32
  // 4-bit or 8-bit weights.
  switch (type) {
  case kQ4_0:
    return QuantFormat{4, 2 + 16};
  case kQ4_1:
    return QuantFormat{4, 2 + 2 + 16};
  case kQ8_0:
    return QuantFormat{8, 2 + 32};
  default:
    return std::nullopt;
  }
}

} // namespace mlx::core::io::gguf
