#version 450
// Strided -> contiguous copy with dtype conversion (see copy.glsl).
#extension GL_GOOGLE_include_directive : require
#include "copy.glsl"
