// compile's fusion pass: maximal regions of element-wise nodes become one
// Compiled node each.
#include <algorithm>
#include <queue>
#include <unordered_map>

#include "mlx/compile_impl.h"
#include "mlx/primitives/compiled.h"
#include "mlx/primitives/primitives.h"
#include "mlx/utils.h"

namespace mlx::core::detail {

namespace {

// The step a fusable primitive becomes; nullopt for the others.
std::optional<FusedStep> as_step(const CompileTape::Node& node) {
  if (node.outputs.size() != 1) {
    return std::nullopt;
  }
  auto& p = *node.primitive;
  FusedStep step{FusedStep::Kind::unary, 0, bool_, {}, node.primitive};
  if (auto* u = dynamic_cast<const Unary*>(&p)) {
    step.op = static_cast<int>(u->op());
  } else if (auto* b = dynamic_cast<const Binary*>(&p)) {
    step.kind = FusedStep::Kind::binary;
    step.op = static_cast<int>(b->op());
  } else if (dynamic_cast<const Select*>(&p)) {
    step.kind = FusedStep::Kind::select;
  } else if (dynamic_cast<const AsType*>(&p)) {
    step.kind = FusedStep::Kind::astype;
  } else if (dynamic_cast<const Broadcast*>(&p)) {
    step.kind = FusedStep::Kind::broadcast;
  } else {
    return std::nullopt;
  }
  return step;
}

// Drops fused members and nodes whose values nobody reads any more (copied
// broadcasts whose every reader was fused).
void remove_unused_nodes(CompileTape& tape) {
  std::vector<bool> used(tape.values.size(), false);
  for (int out : tape.outputs) {
    used[out] = true;
  }
  std::vector<bool> keep(tape.nodes.size(), false);
  for (size_t n = tape.nodes.size(); n-- > 0;) {
    auto& node = tape.nodes[n];
    keep[n] = node.primitive &&
              std::any_of(node.outputs.begin(), node.outputs.end(), [&](int v) {
                return used[v];
              });
    if (keep[n]) {
      for (int in : node.inputs) {
        used[in] = true;
      }
    }
  }
  std::vector<CompileTape::Node> kept;
  for (size_t n = 0; n < tape.nodes.size(); ++n) {
    if (keep[n]) {
      kept.push_back(std::move(tape.nodes[n]));
    }
  }
  tape.nodes = std::move(kept);
}

// A fused region worth a kernel of its own: two or more computing steps
// (a single one already runs as well unfused).
constexpr int kMinComputeSteps = 2;

} // namespace

void fuse_tape(CompileTape& tape) {
  const int num_nodes = static_cast<int>(tape.nodes.size());
  std::vector<int> producer(tape.values.size(), -1);
  std::vector<std::vector<int>> users(tape.values.size());
  for (int n = 0; n < num_nodes; ++n) {
    for (int out : tape.nodes[n].outputs) {
      producer[out] = n;
    }
    for (int in : tape.nodes[n].inputs) {
      users[in].push_back(n);
    }
  }
  std::vector<bool> is_output(tape.values.size(), false);
  for (int out : tape.outputs) {
    is_output[out] = true;
  }
  std::vector<std::optional<FusedStep>> steps(num_nodes);
  for (int n = 0; n < num_nodes; ++n) {
    steps[n] = as_step(tape.nodes[n]);
  }
  std::vector<bool> fused(num_nodes, false);
  // The root of the region a node was tried for or joined (regions are
  // named by their root): each node is checked once per region.
  std::vector<int> checked_for(num_nodes, -1);
  // Members (their values exist only inside the region) and, in
  // `in_region` only, copied broadcasts (views the region reads through,
  // which stay in the tape for their other users).
  std::vector<int> member_of(num_nodes, -1);
  std::vector<int> in_region(num_nodes, -1);

  // Roots from the end: a region grows towards the inputs, and a node
  // joins once all its users are members, so its value never leaves it.
  for (int root = num_nodes - 1; root >= 0; --root) {
    if (fused[root] || !steps[root] ||
        steps[root]->kind == FusedStep::Kind::broadcast) {
      continue;
    }
    auto& root_node = tape.nodes[root];
    const Shape& shape = tape.values[root_node.outputs[0]].shape;
    const Stream stream = root_node.primitive->stream();
    std::vector<int> region{root};
    member_of[root] = root;
    in_region[root] = root;
    // Candidates by decreasing tape position: all users of a candidate
    // come later in the tape, so their membership is settled when it is
    // popped.
    std::priority_queue<int> candidates;
    auto add_producers = [&](int n) {
      for (int in : tape.nodes[n].inputs) {
        if (producer[in] >= 0) {
          candidates.push(producer[in]);
        }
      }
    };
    add_producers(root);
    while (!candidates.empty()) {
      int c = candidates.top();
      candidates.pop();
      if (checked_for[c] == root || fused[c] || !steps[c]) {
        continue;
      }
      checked_for[c] = root;
      int value = tape.nodes[c].outputs[0];
      if (tape.values[value].shape != shape ||
          tape.nodes[c].primitive->stream() != stream) {
        continue;
      }
      bool is_broadcast = steps[c]->kind == FusedStep::Kind::broadcast;
      bool private_value =
          !is_output[value] &&
          std::all_of(users[value].begin(), users[value].end(), [&](int u) {
            return member_of[u] == root;
          });
      if (private_value) {
        member_of[c] = root;
      } else if (!is_broadcast) {
        continue;
      }
      in_region[c] = root;
      region.push_back(c);
      // A broadcast's argument enters the region as an input.
      if (!is_broadcast) {
        add_producers(c);
      }
    }
    int computing = static_cast<int>(
        std::count_if(region.begin(), region.end(), [&](int n) {
          return steps[n]->kind != FusedStep::Kind::broadcast;
        }));
    if (computing < kMinComputeSteps) {
      continue;
    }

    // The region's inputs (in order of first use), then its steps.
    std::sort(region.begin(), region.end());
    std::vector<int> inputs;
    std::unordered_map<int, int> input_index;
    for (int n : region) {
      for (int in : tape.nodes[n].inputs) {
        bool internal = producer[in] >= 0 && in_region[producer[in]] == root;
        if (!internal && !input_index.count(in)) {
          input_index[in] = static_cast<int>(inputs.size());
          inputs.push_back(in);
        }
      }
    }
    const int num_inputs = static_cast<int>(inputs.size());
    std::unordered_map<int, int> step_of_value;
    std::vector<FusedStep> region_steps;
    Shape broadcast_of_inputs;
    bool infers_shape = true;
    for (int n : region) {
      FusedStep step = *steps[n];
      for (int in : tape.nodes[n].inputs) {
        auto found = step_of_value.find(in);
        step.args.push_back(
            found != step_of_value.end() ? num_inputs + found->second
                                         : input_index.at(in));
      }
      int value = tape.nodes[n].outputs[0];
      step.dtype = tape.values[value].dtype;
      step_of_value[value] = static_cast<int>(region_steps.size());
      region_steps.push_back(std::move(step));
      fused[n] = member_of[n] == root;
    }
    for (int in : inputs) {
      try {
        broadcast_of_inputs = broadcast_shapes(
            broadcast_of_inputs, tape.values[in].shape, "compile");
      } catch (const std::invalid_argument&) {
        infers_shape = false;
      }
    }
    infers_shape = infers_shape && broadcast_of_inputs == shape;
    auto primitive = std::make_shared<Compiled>(
        stream, num_inputs, std::move(region_steps), shape, infers_shape);
    // The Compiled node takes the root's place (after all its inputs'
    // producers); the other members go.
    root_node = CompileTape::Node{primitive, inputs, root_node.outputs};
    for (int n : region) {
      if (n != root && member_of[n] == root) {
        tape.nodes[n].primitive = nullptr;
      }
    }
  }
  remove_unused_nodes(tape);
}

} // namespace mlx::core::detail
