// Internal to the I/O functions: checked file access, the byte-source
// interface the format readers parse from, and array <-> bytes helpers.
// File failures throw std::runtime_error with the caller's "[op] file"
// prefix.
#pragma once

#include <cstdint>
#include <cstdio>
#include <functional>
#include <optional>
#include <string>

#include "mlx/array.h"
#include "mlx/utils.h"

namespace mlx::core::io {

/** Throws std::runtime_error("<where>: <parts...>"): a corrupt or
 * unreadable file. `where` is "[op] file" (and maybe an entry name). */
template <typename... Args>
[[noreturn]] void fail(const std::string& where, const Args&... parts) {
  throw_error<std::runtime_error>(where, ": ", parts...);
}

/** "name" ends with "suffix". */
bool ends_with(const std::string& name, const std::string& suffix);

/** A regular file opened for reading at arbitrary offsets. */
class InputFile {
public:
  InputFile(const std::string& path, std::string where);
  ~InputFile();
  InputFile(const InputFile&) = delete;
  InputFile& operator=(const InputFile&) = delete;

  uint64_t size() const { return size_; }
  const std::string& where() const { return where_; }

  /** Reads bytes [offset, offset + n); throws if that is past the end. */
  void read_at(uint64_t offset, void* dst, size_t n);

private:
  std::FILE* file_{nullptr};
  uint64_t size_{0};
  std::string where_;
};

/** A file being written. Unless close() succeeds, the destructor removes
 * the partial file (if it is a regular file), so a failed save leaves
 * nothing behind. */
class OutputFile {
public:
  OutputFile(std::string path, std::string where);
  ~OutputFile();
  OutputFile(const OutputFile&) = delete;
  OutputFile& operator=(const OutputFile&) = delete;

  void write(const void* src, size_t n);
  /** Overwrites bytes already written, then goes back to the end. */
  void write_at(uint64_t offset, const void* src, size_t n);
  /** Bytes written so far (the end of the file). */
  uint64_t tell() const { return end_; }
  void close();

private:
  std::FILE* file_{nullptr};
  uint64_t end_{0};
  bool remove_on_failure_{false};
  std::string path_;
  std::string where_;
};

/** A sequence of bytes whose length is declared up front: a file region or
 * a (decompressed) zip entry. */
class ByteReader {
public:
  virtual ~ByteReader() = default;
  /** Bytes left, as declared by the container. */
  virtual uint64_t remaining() const = 0;
  /** Reads exactly n <= remaining() bytes, or throws. */
  virtual void read(void* dst, size_t n) = 0;
};

/** Bytes [begin, end) of an InputFile. */
class FileRangeReader : public ByteReader {
public:
  FileRangeReader(InputFile& file, uint64_t begin, uint64_t end)
      : file_(file), pos_(begin), end_(end) {}
  uint64_t remaining() const override { return end_ - pos_; }
  void read(void* dst, size_t n) override;

private:
  InputFile& file_;
  uint64_t pos_;
  uint64_t end_;
};

/** `a` evaluated with row-major contiguous data (a copy if it was another
 * layout): the bytes a file holds for it. */
array row_major(array a);

/** Bytes of an array of this dtype and shape, or nullopt if a partial
 * product exceeds int64 (no array can be that large). */
std::optional<uint64_t> checked_nbytes(Dtype dtype, const Shape& shape);

/** A new evaluated array of `shape` and `dtype` whose nbytes bytes
 * `fill(dst, nbytes)` writes (the caller has checked the size). Bytes of
 * bool arrays other than 0 and 1 (which a C++ bool may not hold) become 1. */
array array_from_bytes(
    Shape shape, Dtype dtype, const std::function<void(void*, size_t)>& fill);

// Little-endian fields of the binary headers.
inline uint16_t get_u16(const uint8_t* p) {
  return static_cast<uint16_t>(p[0] | (p[1] << 8));
}
inline uint32_t get_u32(const uint8_t* p) {
  return static_cast<uint32_t>(get_u16(p)) |
         (static_cast<uint32_t>(get_u16(p + 2)) << 16);
}
inline uint64_t get_u64(const uint8_t* p) {
  return static_cast<uint64_t>(get_u32(p)) |
         (static_cast<uint64_t>(get_u32(p + 4)) << 32);
}
inline void put_u16(uint8_t* p, uint16_t v) {
  p[0] = static_cast<uint8_t>(v);
  p[1] = static_cast<uint8_t>(v >> 8);
}
inline void put_u32(uint8_t* p, uint32_t v) {
  put_u16(p, static_cast<uint16_t>(v));
  put_u16(p + 2, static_cast<uint16_t>(v >> 16));
}
inline void put_u64(uint8_t* p, uint64_t v) {
  put_u32(p, static_cast<uint32_t>(v));
  put_u32(p + 4, static_cast<uint32_t>(v >> 32));
}

} // namespace mlx::core::io
