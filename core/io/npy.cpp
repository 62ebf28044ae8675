// .npy save/load: the preamble (magic, version, header length), the header
// (npy_header.cpp), then the raw data, checked against the header.
#include "mlx/io/npy.h"

#include <algorithm>
#include <bit>
#include <cstring>

#include "mlx/io.h"
#include "mlx/ops/shape.h"

namespace mlx::core {
namespace io {
namespace {

static_assert(
    std::endian::native == std::endian::little,
    "The file formats are little-endian, as the host is assumed to be.");

void byte_swap(void* data, size_t nbytes, size_t width) {
  auto* bytes = static_cast<uint8_t*>(data);
  for (size_t i = 0; i + width <= nbytes; i += width) {
    std::reverse(bytes + i, bytes + i + width);
  }
}

} // namespace

array read_npy(ByteReader& in, const std::string& where, StreamOrDevice s) {
  if (in.remaining() < kNpyMagicSize + 4) {
    fail(where, "too short (", in.remaining(), " bytes) for a .npy file.");
  }
  uint8_t preamble[kNpyMagicSize + 2];
  in.read(preamble, sizeof(preamble));
  if (std::memcmp(preamble, kNpyMagic, kNpyMagicSize) != 0) {
    fail(where, "not a .npy file (the magic string \\x93NUMPY is missing).");
  }
  uint8_t major = preamble[kNpyMagicSize], minor = preamble[kNpyMagicSize + 1];
  if (major < 1 || major > 3 || minor != 0) {
    fail(
        where,
        "unsupported .npy format version ",
        int(major),
        ".",
        int(minor),
        " (supported: 1.0, 2.0, 3.0).");
  }
  uint8_t length[4] = {0, 0, 0, 0};
  in.read(length, major == 1 ? 2 : 4);
  uint64_t header_size = major == 1 ? get_u16(length) : get_u32(length);
  if (header_size > in.remaining()) {
    fail(
        where,
        "header length ",
        header_size,
        " runs past the end of the data (",
        in.remaining(),
        " bytes left).");
  }
  std::string text(header_size, '\0');
  in.read(text.data(), text.size());
  NpyHeader header = parse_npy_header(text, where);
  Dtype dtype = header.dtype;
  bool swap = header.byte_swap;

  // The data must be exactly shape-size items; products are checked for
  // overflow before they are compared with the bytes present.
  uint64_t left = in.remaining();
  auto size = checked_nbytes(dtype, header.shape);
  if (!size) {
    fail(
        where,
        "shape ",
        npy_shape_text(header.shape),
        " of ",
        dtype,
        " is too large (its byte size overflows int64).");
  }
  uint64_t nbytes = *size;
  if (nbytes > left) {
    fail(
        where,
        "truncated data: shape ",
        npy_shape_text(header.shape),
        " of ",
        dtype,
        " needs ",
        nbytes,
        " bytes, ",
        left,
        " left.");
  }
  if (nbytes < left) {
    fail(
        where,
        left - nbytes,
        " unexpected bytes after the data of shape ",
        npy_shape_text(header.shape),
        " and dtype ",
        dtype,
        ".");
  }

  // Fortran order is the row-major layout of the reversed shape.
  bool fortran = header.fortran_order && header.shape.size() > 1;
  Shape stored_shape = header.shape;
  if (fortran) {
    std::reverse(stored_shape.begin(), stored_shape.end());
  }
  array out = array_from_bytes(stored_shape, dtype, [&](void* dst, size_t n) {
    in.read(dst, n);
    if (swap) {
      // complex64 is two float32s, each swapped on its own.
      byte_swap(dst, n, dtype == complex64 ? 4 : size_of(dtype));
    }
  });
  if (fortran) {
    out = contiguous(transpose(out, s), false, s);
    out.eval();
  }
  return out;
}

} // namespace io

void save(std::string file, array a) {
  if (!io::ends_with(file, ".npy")) {
    file += ".npy";
  }
  std::string header = io::npy_header(a.dtype(), a.shape(), "save");
  a = io::row_major(a);
  io::OutputFile out(file, "[save] " + file);
  out.write(header.data(), header.size());
  out.write(a.data<char>(), a.nbytes());
  out.close();
}

array load(std::string file, StreamOrDevice s) {
  std::string where = "[load] " + file;
  io::InputFile in(file, where);
  io::FileRangeReader reader(in, 0, in.size());
  return io::read_npy(reader, where, s);
}

} // namespace mlx::core
