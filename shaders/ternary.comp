#version 450
// The Select primitive (core/backend/vulkan/ternary.cpp):
// out[i] = cond[i] ? x[i] : y[i], the three broadcast to out's shape. Only
// bits move, so one pipeline per element size serves every dtype.
#extension GL_GOOGLE_include_directive : require
#define MLX_META_BINDING 4
#include "elementwise.glsl"

layout(constant_id = 0) const uint DTYPE = DT_FLOAT32; // of x, y and out
layout(constant_id = 1) const uint MODE_0 = IN_CONTIGUOUS;
layout(constant_id = 2) const uint MODE_1 = IN_CONTIGUOUS;
layout(constant_id = 3) const uint MODE_2 = IN_CONTIGUOUS;

layout(std430, set = 0, binding = 0) readonly buffer C { uint src_c[]; };
layout(std430, set = 0, binding = 1) readonly buffer X { uint src_x[]; };
layout(std430, set = 0, binding = 2) readonly buffer Y { uint src_y[]; };
layout(std430, set = 0, binding = 3) writeonly buffer Out { uint dst[]; };

MLX_DEFINE_LOAD(load_c, src_c)
MLX_DEFINE_LOAD(load_x, src_x)
MLX_DEFINE_LOAD(load_y, src_y)

uint64_t compute(uint i) {
  // Only the chosen side is read.
  if (load_c(DT_BOOL, input_index(MODE_0, 0u, i)) != 0ul) {
    return load_x(DTYPE, input_index(MODE_1, 1u, i));
  }
  return load_y(DTYPE, input_index(MODE_2, 2u, i));
}

MLX_ELEMENTWISE_MAIN(DTYPE, compute)
