#version 450
// Reduce: sum, prod, min, max, all, any over any axes (see reduce.glsl).
#extension GL_GOOGLE_include_directive : require
#define REDUCE_MAIN 1
#include "reduce.glsl"
