// The float32 fast path of the element-wise kernels (elementwise.cpp takes
// it when it applies): float32 operands that are contiguous or one scalar,
// a float32 output of p.n elements, p.n and every contiguous operand's
// offset multiples of 4. Each invocation loads all of its vec4s before it
// computes and stores any, so its 16-byte loads are in flight together;
// the generic kernels read one 32-bit word per element. Included by
// unary_vec4.comp and binary_vec4.comp after their bindings and load_k().
#extension GL_EXT_control_flow_attributes : require

// vec4s per invocation (the host's words per invocation, elementwise.glsl):
// VEC4S blocks of 256 consecutive vec4s per workgroup (loads stay
// coalesced). The driver sees a literal count when it specializes.
const uint VEC4S = WORDS_PER_INVOCATION;

uint first_vec4() {
  uint group = gl_WorkGroupID.y * gl_NumWorkGroups.x + gl_WorkGroupID.x;
  return group * VEC4S * gl_WorkGroupSize.x + gl_LocalInvocationID.x;
}
