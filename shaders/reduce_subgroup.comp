#version 450
// reduce.comp with the workgroup's float results combined by subgroup
// shuffles (chosen by the host where the device has them in compute).
#extension GL_GOOGLE_include_directive : require
#extension GL_KHR_shader_subgroup_basic : require
#extension GL_KHR_shader_subgroup_shuffle : require
#define REDUCE_MAIN 1
#define MLX_SUBGROUP_REDUCE 1
#include "reduce.glsl"
