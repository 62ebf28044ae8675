#version 450
// Binary float32 ops four elements at a time (see vec4.glsl); either
// operand may be a scalar.
#extension GL_GOOGLE_include_directive : require
#define MLX_META_BINDING 3
#include "elementwise.glsl"
#include "float_ops.glsl"
#include "vec4.glsl"

layout(constant_id = 0) const uint OP = 0; // mlx::core::BinaryOp
layout(constant_id = 3) const uint MODE_0 = IN_CONTIGUOUS;
layout(constant_id = 4) const uint MODE_1 = IN_CONTIGUOUS;

layout(std430, set = 0, binding = 0) readonly buffer A4 { vec4 a4[]; };
layout(std430, set = 0, binding = 0) readonly buffer A1 { float a1[]; };
layout(std430, set = 0, binding = 1) readonly buffer B4 { vec4 b4[]; };
layout(std430, set = 0, binding = 1) readonly buffer B1 { float b1[]; };
layout(std430, set = 0, binding = 2) writeonly buffer Out4 { vec4 dst4[]; };

vec4 load_a(uint v) {
  return MODE_0 == IN_SCALAR ? vec4(a1[p.first[0]]) : a4[p.first[0] / 4u + v];
}
vec4 load_b(uint v) {
  return MODE_1 == IN_SCALAR ? vec4(b1[p.first[1]]) : b4[p.first[1] / 4u + v];
}

void main() {
  uint first = first_vec4();
  uint count = p.n / 4u;
  vec4 x[VEC4S], y[VEC4S];
  [[unroll]] for (uint j = 0u; j < VEC4S; ++j) {
    uint v = first + j * gl_WorkGroupSize.x;
    if (v < count) {
      x[j] = load_a(v);
      y[j] = load_b(v);
    }
  }
  [[unroll]] for (uint j = 0u; j < VEC4S; ++j) {
    uint v = first + j * gl_WorkGroupSize.x;
    if (v < count) {
      vec4 r;
      [[unroll]] for (uint c = 0u; c < 4u; ++c) {
        r[c] = binary_float(OP, x[j][c], y[j][c]);
      }
      dst4[v] = r;
    }
  }
}
