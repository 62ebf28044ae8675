#version 450
// reduce.glsl for float64 inputs or outputs (needs shaderFloat64).
#extension GL_GOOGLE_include_directive : require
#define MLX_FLOAT64 1
#define REDUCE_MAIN 1
#include "reduce.glsl"
