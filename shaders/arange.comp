#version 450
// Arange (see arange.glsl).
#extension GL_GOOGLE_include_directive : require
#include "arange.glsl"
