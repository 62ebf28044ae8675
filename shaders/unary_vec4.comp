#version 450
// Unary float32 ops four elements at a time (see vec4.glsl); the input may
// be a scalar broadcast to the output.
#extension GL_GOOGLE_include_directive : require
#define MLX_META_BINDING 2
#include "elementwise.glsl"
#include "float_ops.glsl"
#include "vec4.glsl"

layout(constant_id = 0) const uint OP = 0; // mlx::core::UnaryOp
layout(constant_id = 3) const uint MODE_0 = IN_CONTIGUOUS;

layout(std430, set = 0, binding = 0) readonly buffer In4 { vec4 src4[]; };
layout(std430, set = 0, binding = 0) readonly buffer In1 { float src1[]; };
layout(std430, set = 0, binding = 1) writeonly buffer Out4 { vec4 dst4[]; };

void main() {
  uint first = first_vec4();
  uint count = p.n / 4u;
  vec4 x[VEC4S];
  [[unroll]] for (uint j = 0u; j < VEC4S; ++j) {
    uint v = first + j * gl_WorkGroupSize.x;
    if (v < count) {
      x[j] = MODE_0 == IN_SCALAR ? vec4(src1[p.first[0]])
                                 : src4[p.first[0] / 4u + v];
    }
  }
  [[unroll]] for (uint j = 0u; j < VEC4S; ++j) {
    uint v = first + j * gl_WorkGroupSize.x;
    if (v < count) {
      vec4 r;
      [[unroll]] for (uint c = 0u; c < 4u; ++c) {
        r[c] = unary_float(OP, x[j][c]);
      }
      dst4[v] = r;
    }
  }
}
