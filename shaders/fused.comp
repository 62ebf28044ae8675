#version 450
// The Compiled primitive (a fused element-wise region) in one pass
// (core/backend/vulkan/compiled.cpp): each invocation reads its element of
// every input, runs the region's steps on them and writes the last step's
// value; the intermediate values live in shared memory, never in device
// memory. The steps are a program in the metadata buffer, after the shape
// and strides: four ints per step, (kind | op << 8, arg 0, arg 1, arg 2),
// args numbering the inputs first, then the steps' results.
//
// float32 or bool inputs and output; steps compute in float (bool values as
// 0 or 1), with the math of the Unary and Binary shaders (float_ops.glsl), so
// the result equals the unfused kernels' bit for bit. The host checks that
// a region qualifies and runs it step by step otherwise.
#extension GL_GOOGLE_include_directive : require
#define MLX_META_BINDING 7
#include "elementwise.glsl"
#include "float_ops.glsl"

layout(constant_id = 0) const uint MODE_0 = IN_CONTIGUOUS;
layout(constant_id = 1) const uint MODE_1 = IN_CONTIGUOUS;
layout(constant_id = 2) const uint MODE_2 = IN_CONTIGUOUS;
layout(constant_id = 3) const uint MODE_3 = IN_CONTIGUOUS;
layout(constant_id = 4) const uint MODE_4 = IN_CONTIGUOUS;
layout(constant_id = 5) const uint MODE_5 = IN_CONTIGUOUS;
layout(constant_id = 6) const uint NUM_INPUTS = 1;

layout(std430, set = 0, binding = 0) readonly buffer In0 { uint in0[]; };
layout(std430, set = 0, binding = 1) readonly buffer In1 { uint in1[]; };
layout(std430, set = 0, binding = 2) readonly buffer In2 { uint in2[]; };
layout(std430, set = 0, binding = 3) readonly buffer In3 { uint in3[]; };
layout(std430, set = 0, binding = 4) readonly buffer In4 { uint in4[]; };
layout(std430, set = 0, binding = 5) readonly buffer In5 { uint in5[]; };
layout(std430, set = 0, binding = 6) writeonly buffer Out { uint dst[]; };

// Values (inputs and step results) of a region; the host checks the count.
// value v of invocation l at values[v * 256 + l]: neighbouring invocations,
// neighbouring banks.
const uint MAX_VALUES = 24;
shared float values[MAX_VALUES * 256];

// FusedStep::Kind codes (core/primitives/compiled.h order).
const uint K_UNARY = 0, K_BINARY = 1, K_SELECT = 2, K_ASTYPE = 3,
           K_BROADCAST = 4;
// An astype step's op: to float32, or to bool (nonzero, NaN included).
const uint TO_FLOAT = 0, TO_BOOL = 1;

// Word e of input k's binding.
uint input_word(uint k, uint e) {
  switch (k) {
  case 0:
    return in0[e];
  case 1:
    return in1[e];
  case 2:
    return in2[e];
  case 3:
    return in3[e];
  case 4:
    return in4[e];
  }
  return in5[e];
}

uint input_mode(uint k) {
  uint modes[6] = {MODE_0, MODE_1, MODE_2, MODE_3, MODE_4, MODE_5};
  return modes[k];
}

// Element i of input k (broadcast to the output's shape) as a float; bool
// bytes as 0 or 1.
float load_input(uint k, uint i) {
  uint e = input_index(input_mode(k), k, i);
  if ((p.bools & (1u << k)) != 0u) {
    return ((input_word(k, e >> 2) >> ((e & 3u) * 8u)) & 0xffu) != 0u ? 1.0
                                                                       : 0.0;
  }
  return uintBitsToFloat(input_word(k, e));
}

float as_bool(bool b) {
  return b ? 1.0 : 0.0;
}

float run_step(uint kind, uint op, float a, float b, float c) {
  switch (kind) {
  case K_UNARY:
    if (op == U_LOGICAL_NOT) {
      return as_bool(a == 0.0);
    }
    return unary_float(op, a);
  case K_BINARY:
    if (op >= B_EQUAL && op <= B_GREATER_EQUAL) {
      return float(compare_float_of(op, a, b));
    }
    if (op == B_LOGICAL_AND) {
      return as_bool(a != 0.0 && b != 0.0);
    }
    if (op == B_LOGICAL_OR) {
      return as_bool(a != 0.0 || b != 0.0);
    }
    return binary_float(op, a, b);
  case K_SELECT:
    return a != 0.0 ? b : c;
  case K_ASTYPE:
    return op == TO_BOOL ? as_bool(!(a == 0.0)) : a;
  }
  return a; // a broadcast: the input, already read at this element
}

// The region's value at output element i.
float run(uint i) {
  uint lid = gl_LocalInvocationID.x;
  [[unroll]] for (uint k = 0u; k < NUM_INPUTS; ++k) {
    values[k * 256u + lid] = load_input(k, i);
  }
  uint program = p.ndim * (NUM_INPUTS + 1u);
  uint v = NUM_INPUTS;
  for (uint s = 0u; s < p.steps; ++s, ++v) {
    uint at = program + 4u * s;
    uint code = uint(meta[at]);
    float a = values[uint(meta[at + 1u]) * 256u + lid];
    float b = values[uint(meta[at + 2u]) * 256u + lid];
    float c = values[uint(meta[at + 3u]) * 256u + lid];
    values[v * 256u + lid] = run_step(code & 0xffu, code >> 8, a, b, c);
  }
  return values[(v - 1u) * 256u + lid];
}

// Output word t: one float32, or four bools.
void write_word(uint t) {
  if ((p.bools & (1u << 31)) == 0u) {
    if (t < p.n) {
      dst[t] = floatBitsToUint(run(t));
    }
    return;
  }
  if (4u * t >= p.n) {
    return;
  }
  uint word = 0u;
  for (uint k = 0u; k < 4u && 4u * t + k < p.n; ++k) {
    word |= (run(4u * t + k) != 0.0 ? 1u : 0u) << (8u * k);
  }
  dst[t] = word;
}

void main() {
  uint group = gl_WorkGroupID.y * gl_NumWorkGroups.x + gl_WorkGroupID.x;
  uint first = group * WORDS_PER_INVOCATION * gl_WorkGroupSize.x;
  for (uint j = 0u; j < WORDS_PER_INVOCATION; ++j) {
    write_word(first + j * gl_WorkGroupSize.x + gl_LocalInvocationID.x);
  }
}
