#version 450
// Unary ops (see unary.glsl).
#extension GL_GOOGLE_include_directive : require
#include "unary.glsl"
