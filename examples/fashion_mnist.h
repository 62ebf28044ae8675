// Reads Fashion-MNIST (or MNIST) from the gzipped IDX files of Debian's
// dataset-fashion-mnist package: /usr/share/datasets/fashion-mnist/.
// A header of the examples, kept small enough to copy.
#pragma once

#include <zlib.h>

#include <cstdint>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include "mlx/mlx.h"

namespace fashion_mnist {

namespace mx = mlx::core;

inline const char* kDefaultDir = "/usr/share/datasets/fashion-mnist";

struct Split {
  mx::array images; // (n, 28, 28, 1) float32 in [0, 1]
  mx::array labels; // (n,) uint32
};

namespace detail {

inline std::vector<uint8_t> read_gz(const std::string& path) {
  std::unique_ptr<gzFile_s, int (*)(gzFile)> file(
      gzopen(path.c_str(), "rb"), gzclose);
  if (!file) {
    throw std::runtime_error(
        "[fashion_mnist] Cannot open " + path +
        " (apt-get install dataset-fashion-mnist).");
  }
  std::vector<uint8_t> bytes;
  uint8_t chunk[1 << 16];
  int n;
  while ((n = gzread(file.get(), chunk, sizeof(chunk))) > 0) {
    bytes.insert(bytes.end(), chunk, chunk + n);
  }
  if (n < 0) {
    throw std::runtime_error("[fashion_mnist] Corrupt gzip data in " + path);
  }
  return bytes;
}

inline uint32_t big_endian(const std::vector<uint8_t>& b, size_t at) {
  return uint32_t(b[at]) << 24 | uint32_t(b[at + 1]) << 16 |
         uint32_t(b[at + 2]) << 8 | uint32_t(b[at + 3]);
}

// IDX: magic (0, 0, type 0x08 = uint8, ndim), ndim big-endian sizes, data.
inline std::vector<uint8_t> read_idx(
    const std::string& path, int expected_ndim, std::vector<uint32_t>& dims) {
  auto bytes = read_gz(path);
  size_t header = 4 + 4 * size_t(expected_ndim);
  if (bytes.size() < header || bytes[0] != 0 || bytes[1] != 0 ||
      bytes[2] != 0x08 || bytes[3] != expected_ndim) {
    throw std::runtime_error("[fashion_mnist] Not a uint8 IDX file: " + path);
  }
  size_t count = 1;
  dims.clear();
  for (int d = 0; d < expected_ndim; ++d) {
    dims.push_back(big_endian(bytes, 4 + 4 * d));
    count *= dims.back();
  }
  if (bytes.size() != header + count) {
    throw std::runtime_error("[fashion_mnist] Truncated IDX file: " + path);
  }
  return {bytes.begin() + header, bytes.end()};
}

} // namespace detail

// prefix: "train" or "t10k".
inline Split
load(const std::string& prefix, const std::string& dir = kDefaultDir) {
  std::vector<uint32_t> image_dims, label_dims;
  auto pixels = detail::read_idx(
      dir + "/" + prefix + "-images-idx3-ubyte.gz", 3, image_dims);
  auto labels = detail::read_idx(
      dir + "/" + prefix + "-labels-idx1-ubyte.gz", 1, label_dims);
  if (image_dims[0] != label_dims[0]) {
    throw std::runtime_error("[fashion_mnist] Image and label counts differ.");
  }
  int n = int(image_dims[0]);
  int h = int(image_dims[1]);
  int w = int(image_dims[2]);
  // Prepared in host memory whatever the default device: the training
  // loop gathers each batch there.
  const mx::Device host = mx::Device::cpu;
  auto images = mx::divide(
      mx::astype(
          mx::array(pixels.data(), {n, h, w, 1}, mx::uint8), mx::float32, host),
      mx::array(255.0f),
      host);
  auto y =
      mx::astype(mx::array(labels.data(), {n}, mx::uint8), mx::uint32, host);
  mx::eval(images, y);
  return {images, y};
}

} // namespace fashion_mnist
