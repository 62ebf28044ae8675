// Internal: the .npy format, shared by save/load and the .npz functions.
// As numpy/lib/format.py documents it: the magic "\x93NUMPY", a major and
// minor version byte, the header length (2 bytes in version 1.0, 4 in 2.0
// and 3.0), then a Python dict literal such as
//   {'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }
// padded with spaces and a newline, then the raw data.
#pragma once

#include <string>

#include "mlx/io/io_impl.h"
#include "mlx/stream.h"

namespace mlx::core::io {

inline constexpr char kNpyMagic[] = "\x93NUMPY";
inline constexpr size_t kNpyMagicSize = 6;

struct NpyHeader {
  Dtype dtype;
  bool byte_swap; // big-endian data of a multi-byte dtype
  bool fortran_order;
  Shape shape;
};

/** Parses the header dict of a .npy file: exactly the keys descr (a
 * supported dtype), fortran_order and shape. Errors are
 * std::runtime_error prefixed with `where`. */
NpyHeader parse_npy_header(const std::string& text, const std::string& where);

/** A shape as Python prints a tuple: "(2, 3)", "(3,)", "()". */
std::string npy_shape_text(const Shape& shape);

/** The .npy preamble for an array of this dtype and shape: magic, version,
 * header length and the header dict, padded so the data starts at a
 * multiple of 64 bytes. Throws std::invalid_argument naming `op` for
 * dtypes NumPy cannot hold (bfloat16). */
std::string npy_header(Dtype dtype, const Shape& shape, const char* op);

/** Parses one .npy image; `in` must hold exactly its header and data.
 * Errors are std::runtime_error prefixed with `where`. */
array read_npy(ByteReader& in, const std::string& where, StreamOrDevice s);

} // namespace mlx::core::io
