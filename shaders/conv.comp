#version 450
// im2col for Convolution (core/primitives/conv.h): rows [row0, row0 + rows)
// of the matrix whose row r is output position r (n, o...) and whose
// columns are (group, tap, input channel of the group), as float32. The
// tiled GEMM (matmul.comp) then multiplies each group's columns by the
// group's weights. A tap reads the input element at
//   q = o * stride + k * kernel_dilation - padding_lo   (per spatial dim)
// of the input dilated by input_dilation, or zero where q falls on padding
// or between dilated elements; k is the tap, reversed when FLIP. Inputs are
// read through their strides (any layout), one element per invocation.
#extension GL_GOOGLE_include_directive : require
#include "dtype.glsl"

layout(local_size_x = 256) in;

layout(constant_id = 0) const uint DTYPE = DT_FLOAT32; // of the input
layout(constant_id = 1) const bool FLIP = false;

layout(std430, set = 0, binding = 0) readonly buffer In { uint src[]; };
layout(std430, set = 0, binding = 1) writeonly buffer Out { uint dst[]; };
// Per spatial dim: in_size, kernel, out_size, stride, kernel_dilation,
// input_dilation, padding_lo, in_stride.
layout(std430, set = 0, binding = 2) readonly buffer Dims { int dims[]; };

layout(push_constant) uniform Params {
  uint total; // elements of this chunk: rows * cols
  uint row0; // first row
  uint cols; // groups * taps * group_in
  uint group_in; // input channels per group
  uint taps; // kernel positions
  uint spatial; // spatial dims
  uint in_first; // element offset of the input's first element
  int batch_stride; // input strides (elements) of n and of the channels
  int channel_stride;
}
p;

float load_input(uint e) {
  if (DTYPE == DT_FLOAT32) {
    return uintBitsToFloat(src[e]);
  }
  uint bits = (src[e >> 1] >> ((e & 1u) * 16u)) & 0xffffu;
  return DTYPE == DT_FLOAT16 ? half_bits_to_float(bits)
                             : bfloat_bits_to_float(bits);
}

int dim(uint d, uint field) {
  return dims[8u * d + field];
}

void main() {
  uint group = gl_WorkGroupID.y * gl_NumWorkGroups.x + gl_WorkGroupID.x;
  uint i = group * gl_WorkGroupSize.x + gl_LocalInvocationID.x;
  if (i >= p.total) {
    return;
  }
  uint col = i % p.cols;
  uint row = p.row0 + i / p.cols;
  uint ci = col % p.group_in;
  uint tap = (col / p.group_in) % p.taps;
  uint g = col / (p.group_in * p.taps);
  // Spatial dims last to first: the last varies fastest in both the row
  // (output position) and the tap.
  int offset = int(p.in_first) + int(g * p.group_in + ci) * p.channel_stride;
  bool hit = true;
  for (uint d = p.spatial; d-- > 0u;) {
    int out_size = dim(d, 2u), kernel = dim(d, 1u);
    int o = int(row % uint(out_size));
    row /= uint(out_size);
    int m = int(tap % uint(kernel));
    tap /= uint(kernel);
    int k = FLIP ? kernel - 1 - m : m;
    int q = o * dim(d, 3u) + k * dim(d, 4u) - dim(d, 6u);
    int dil = dim(d, 5u);
    int pos = q / max(dil, 1);
    hit = hit && q >= 0 && q % dil == 0 && pos < dim(d, 0u);
    offset += pos * dim(d, 7u);
  }
  offset += int(row) * p.batch_stride; // row is now n
  dst[i] = floatBitsToUint(hit ? load_input(uint(offset)) : 0.0);
}
