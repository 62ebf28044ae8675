#version 450
// copy.glsl for float64 inputs or outputs (needs shaderFloat64).
#extension GL_GOOGLE_include_directive : require
#define MLX_FLOAT64 1
#include "copy.glsl"
