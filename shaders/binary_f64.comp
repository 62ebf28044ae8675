#version 450
// binary.glsl for float64 inputs (needs shaderFloat64).
#extension GL_GOOGLE_include_directive : require
#define MLX_FLOAT64 1
#include "binary.glsl"
