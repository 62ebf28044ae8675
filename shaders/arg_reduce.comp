#version 450
// ArgReduce: argmin and argmax along one axis (see reduce.glsl).
#extension GL_GOOGLE_include_directive : require
#define ARG_REDUCE_MAIN 1
#include "reduce.glsl"
