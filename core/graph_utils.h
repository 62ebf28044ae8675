// Inspecting the lazy graph.
#pragma once

#include <map>
#include <ostream>
#include <string>
#include <vector>

#include "mlx/array.h"

namespace mlx::core {

/** Names for arrays in exported graphs (by array id). */
using NodeNames = std::map<std::uintptr_t, std::string>;

/** Write the unevaluated graph of `outputs` in Graphviz DOT format: one
 * box per primitive, one ellipse per array (named from `names` where
 * given, else by shape and dtype), edges in data-flow direction. */
void export_to_dot(
    std::ostream& os,
    const std::vector<array>& outputs,
    const NodeNames& names = {});

/** Same, to a file; throws std::runtime_error if it cannot be written. */
void export_to_dot(
    const std::string& path,
    const std::vector<array>& outputs,
    const NodeNames& names = {});

} // namespace mlx::core
