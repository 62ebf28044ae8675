#version 450
// Binary ops (see binary.glsl).
#extension GL_GOOGLE_include_directive : require
#include "binary.glsl"
