// Training checkpoints in one HDF5 file: the model's parameters, the
// optimizer's state, the global random key, the training step and string
// metadata, written atomically and checked on load.
//
// Layout of the file (h5py: f["model/layers.0.weight"][...]):
//
//   /                      attributes: format = "mlx-checkpoint",
//                          format_version = 1, step (uint64), world_size,
//                          command_line
//   /model/<path>          one dataset per parameter; <path> is its
//                          tree_flatten path ("layers.0.weight")
//   /optimizer/<path>      one dataset per leaf of optimizer.state()
//                          ("step", "learning_rate", "layers.0.weight.m");
//                          attribute name = optimizer.name() ("Adam")
//   /random/key            uint32 (2,): the global key sequence's state
//   /metadata              a group whose string attributes are `extra`
//
// Every dataset has a string attribute "dtype" (the array's dtype name) and
// a uint32 attribute "crc32" (zlib's CRC-32 of the dtype name followed by
// the row-major bytes; HDF5 checksums its own metadata but not raw data).
// String attributes are fixed-length UTF-8, kept in the checksummed object
// headers (h5py returns them as bytes: .decode()). Types are the ones h5py
// reads as NumPy's: bool is h5py's enum {FALSE, TRUE} of int8, float16 is
// IEEE half, complex64 the compound {r, i} of float32; bfloat16, which
// HDF5 and NumPy lack, is stored as uint16 with dtype = "bfloat16".
//
// Errors raise std::runtime_error naming the function and the file (and
// the dataset where known): a corrupt or truncated file, a name, shape or
// dtype that differs from the model's or the optimizer's. HDF5's own
// printing of errors to stderr is turned off.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>

#include "mlx/distributed/distributed.h"
#include "mlx/nn/module.h"
#include "mlx/optimizers/optimizer.h"

namespace mlx::nn {

/** What load_checkpoint returns besides the restored state. */
struct CheckpointInfo {
  // The optimizer's step when the checkpoint was saved.
  uint64_t step = 0;
  // Ranks of the job that saved it (metadata only: any number of ranks
  // may load it).
  int world_size = 1;
  // The dtypes of the model's parameters, comma-separated ("float32").
  std::string dtype;
  // The saving process's command line (arguments joined by spaces).
  std::string command_line;
  // The `extra` given to save_checkpoint.
  std::map<std::string, std::string> extra;
};

/**
 * Saves `model.parameters()`, `optimizer.state()`, the global random key
 * (random::KeySequence::default_()) and `extra` to the HDF5 file `path`.
 *
 * The file is written to a temporary file in the same folder
 * (".<name>.tmp.XXXXXX"), flushed to disk, renamed over `path` and the
 * folder synced: a crash leaves either the old file or the new one. In a
 * group of several ranks (default: distributed::init(), the world group)
 * every rank must call it; all evaluate the arrays, rank 0 writes, and all
 * return once the file is in place (or all raise if rank 0 failed). The
 * parameters are taken to be replicated, as in data-parallel training.
 */
void save_checkpoint(
    const std::string& path,
    const Module& model,
    const optimizers::Optimizer& optimizer,
    const std::map<std::string, std::string>& extra = {},
    std::optional<mlx::core::distributed::Group> group = std::nullopt);

/**
 * Loads a file written by save_checkpoint into `model` and `optimizer` and
 * restores the global random key. Every rank reads the file itself (no
 * group is needed). The file's parameters must match the model's exactly
 * (names, shapes, dtypes), and its optimizer state the state `optimizer`
 * has for the model's trainable parameters: optimizer.init(
 * model.trainable_parameters()) runs first, as the first update would.
 * Beyond that, nothing is changed when they differ.
 */
CheckpointInfo load_checkpoint(
    const std::string& path, Module& model, optimizers::Optimizer& optimizer);

/**
 * The CheckpointInfo of a file written by save_checkpoint, without loading
 * it into a model: e.g. the model's sizes kept in `extra`, needed to build
 * the model that load_checkpoint then fills. The file is read and checked
 * (format, checksums) as by load_checkpoint; errors name the file.
 */
CheckpointInfo read_checkpoint_info(const std::string& path);

namespace detail {
// Called with each dataset's path ("model/layers.0.weight") after it is
// written to the temporary file; tests use it to fail or stop a writer in
// the middle. Pass {} to remove it.
void set_checkpoint_write_hook(std::function<void(const std::string&)> hook);
} // namespace detail

} // namespace mlx::nn
