#version 450
// The tiled GEMM (matmul.glsl) with 8 x 16 outputs per invocation.
#extension GL_GOOGLE_include_directive : require
#define MLX_MATMUL_TM 8
#define MLX_MATMUL_TN 16
#include "matmul.glsl"
