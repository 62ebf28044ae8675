#include "mlx/graph_utils.h"

#include <fstream>
#include <sstream>
#include <stdexcept>
#include <unordered_set>

#include "mlx/primitives/primitive.h"
#include "mlx/utils.h"

namespace mlx::core {

void export_to_dot(
    std::ostream& os,
    const std::vector<array>& outputs,
    const NodeNames& names) {
  os << "digraph {\n";
  std::unordered_set<std::uintptr_t> seen, seen_primitives;
  std::vector<array> stack(outputs.begin(), outputs.end());
  auto array_node = [&](const array& a) {
    auto it = names.find(a.id());
    std::ostringstream label;
    if (it != names.end()) {
      label << it->second;
    } else {
      label << a.shape() << " " << a.dtype();
    }
    os << "  \"a" << a.id() << "\" [label=\"" << label.str() << "\"];\n";
  };
  while (!stack.empty()) {
    array a = stack.back();
    stack.pop_back();
    if (!seen.insert(a.id()).second) {
      continue;
    }
    array_node(a);
    if (!a.has_primitive()) {
      continue;
    }
    // The primitive node is named after its first output.
    auto outs = a.outputs();
    std::uintptr_t pid = outs[0].id();
    if (seen_primitives.insert(pid).second) {
      std::ostringstream label;
      a.primitive().print(label);
      os << "  \"p" << pid << "\" [label=\"" << label.str()
         << "\", shape=box];\n";
      for (auto& in : a.inputs()) {
        os << "  \"a" << in.id() << "\" -> \"p" << pid << "\";\n";
        stack.push_back(in);
      }
    }
    os << "  \"p" << pid << "\" -> \"a" << a.id() << "\";\n";
  }
  os << "}\n";
}

void export_to_dot(
    const std::string& path,
    const std::vector<array>& outputs,
    const NodeNames& names) {
  std::ofstream file(path);
  if (!file) {
    throw_error<std::runtime_error>(
        "[export_to_dot] Cannot open '", path, "' for writing.");
  }
  export_to_dot(file, outputs, names);
}

} // namespace mlx::core
