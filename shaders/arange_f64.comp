#version 450
// arange.glsl computing in double (needs shaderFloat64).
#extension GL_GOOGLE_include_directive : require
#define MLX_FLOAT64 1
#include "arange.glsl"
