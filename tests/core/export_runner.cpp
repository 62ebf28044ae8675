// The second process of export_test: imports an exported function, calls
// it on inputs read from .npy files and saves its outputs as .npy files.
//   export_runner FILE OUT_DIR [INPUT.npy | NAME=INPUT.npy]...
// Plain inputs are positional, NAME=... are keyword inputs; output k is
// written to OUT_DIR/out<k>.npy. Errors go to stderr with exit status 1.
#include <exception>
#include <iostream>
#include <string>

#include "mlx/mlx.h"

namespace mx = mlx::core;

int main(int argc, char** argv) {
  if (argc < 3) {
    std::cerr << "usage: export_runner FILE OUT_DIR [INPUT.npy | "
                 "NAME=INPUT.npy]...\n";
    return 2;
  }
  try {
    auto fun = mx::import_function(argv[1]);
    mx::Args args;
    mx::Kwargs kwargs;
    for (int i = 3; i < argc; ++i) {
      std::string arg = argv[i];
      auto eq = arg.find('=');
      if (eq == std::string::npos) {
        args.push_back(mx::load(arg));
      } else {
        kwargs.insert_or_assign(
            arg.substr(0, eq), mx::load(arg.substr(eq + 1)));
      }
    }
    auto outputs = fun(args, kwargs);
    for (size_t k = 0; k < outputs.size(); ++k) {
      mx::save(
          std::string(argv[2]) + "/out" + std::to_string(k) + ".npy",
          outputs[k]);
    }
    std::cout << outputs.size() << " outputs\n";
  } catch (const std::exception& e) {
    std::cerr << e.what() << "\n";
    return 1;
  }
  return 0;
}
