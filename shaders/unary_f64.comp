#version 450
// unary.glsl for float64 inputs (needs shaderFloat64).
#extension GL_GOOGLE_include_directive : require
#define MLX_FLOAT64 1
#include "unary.glsl"
