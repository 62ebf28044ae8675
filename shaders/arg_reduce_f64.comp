#version 450
// reduce.glsl's ArgReduce for float64 inputs (needs shaderFloat64).
#extension GL_GOOGLE_include_directive : require
#define MLX_FLOAT64 1
#define ARG_REDUCE_MAIN 1
#include "reduce.glsl"
