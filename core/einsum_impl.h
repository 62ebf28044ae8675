// The plan einsum executes and einsum_path reports: the parsed subscripts
// (one letter per dim, ellipsis dims given unused letters) and the
// contraction path.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "mlx/array.h"

namespace mlx::core::detail {

struct EinsumStep {
  std::vector<int> positions; // in the operand list before the step
  std::string inputs;         // e.g. "ij,jk->ik", for the report
  std::string remaining;      // the operands after the step -> output
  int scaling;                // distinct indices in the step
  double cost;                // its FLOP count
};

struct EinsumPlan {
  std::vector<std::string> inputs; // one letter per dim of each operand
  std::string output;
  std::map<char, int> sizes; // broadcast size of each index
  std::vector<EinsumStep> steps;
  double naive_cost;
  int naive_scaling;
  double optimized_cost;
  int optimized_scaling;
  double largest_intermediate; // elements
};

/** Parses and checks `subscripts` against the operands' shapes and picks
 * the contraction order; `op` names the caller in errors. */
EinsumPlan plan_einsum(
    const std::string& subscripts,
    const std::vector<array>& operands,
    const char* op);

} // namespace mlx::core::detail
