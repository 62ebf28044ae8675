// What a checkpoint file holds, between checkpoint.cpp (evaluation,
// ranks, atomic replacement, checks against the model) and the file format
// (hdf5_file.cpp, or no_hdf5.cpp when HDF5 is not built).
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <string>

#include "mlx/tree.h"

namespace mlx::nn::detail {

struct CheckpointContents {
  // Leaves in tree_flatten order; written as they are (any layout),
  // read back row-major and evaluated.
  mlx::utils::FlatTree model;
  mlx::utils::FlatTree optimizer;
  std::string optimizer_name;
  // {"key", uint32 (2,)}: the global random key.
  mlx::utils::FlatTree random;
  uint64_t step = 0;
  int world_size = 1;
  // Distinct dtypes of the model's parameters, comma-separated.
  std::string dtype;
  std::string command_line;
  std::map<std::string, std::string> extra;
};

// Writes `contents` to `file` (created or truncated) and closes it;
// `on_dataset` is called with each dataset's path once it is written.
// Errors raise std::runtime_error starting with `context`.
void write_checkpoint_file(
    const std::string& file,
    const CheckpointContents& contents,
    const std::function<void(const std::string&)>& on_dataset,
    const std::string& context);

// Reads and verifies (format, CRC-32 of every dataset) a file written by
// write_checkpoint_file. Errors raise std::runtime_error starting with
// `context`.
CheckpointContents
read_checkpoint_file(const std::string& file, const std::string& context);

} // namespace mlx::nn::detail
