// Internal: a small zip archive reader and writer for .npz files (the
// format is PKWARE's APPNOTE.TXT). Entries are stored or deflated; ZIP64,
// encryption and multi-disk archives are rejected.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "mlx/io/io_impl.h"

namespace mlx::core::io {

// Record layouts (APPNOTE.TXT sections 4.3.7 local file header, 4.3.12
// central directory header, 4.3.16 end of central directory record); all
// fields are little-endian.
namespace zip_format {
inline constexpr uint32_t kLocalHeaderSignature = 0x04034b50;   // "PK\3\4"
inline constexpr uint32_t kCentralHeaderSignature = 0x02014b50; // "PK\1\2"
inline constexpr uint32_t kEndRecordSignature = 0x06054b50;     // "PK\5\6"
inline constexpr uint32_t kZip64LocatorSignature = 0x07064b50;  // "PK\6\7"
inline constexpr size_t kLocalHeaderSize = 30;
inline constexpr size_t kCentralHeaderSize = 46;
inline constexpr size_t kEndRecordSize = 22;
inline constexpr size_t kZip64LocatorSize = 20;
inline constexpr size_t kMaxCommentSize = 65535;

inline constexpr uint16_t kStored = 0;
inline constexpr uint16_t kDeflated = 8;
inline constexpr uint16_t kFlagEncrypted = 1;
inline constexpr uint16_t kFlagUtf8Name = 1 << 11;
// Size, offset and count fields holding these defer to ZIP64 records.
inline constexpr uint32_t kZip64Marker32 = 0xffffffff;
inline constexpr uint16_t kZip64Marker16 = 0xffff;
// Version 2.0: needed to extract deflated entries. "Made by" Unix (3).
inline constexpr uint16_t kVersionNeeded = 20;
inline constexpr uint16_t kVersionMadeBy = (3 << 8) | 20;
// Unix mode in the high half: regular file, rw-r--r--.
inline constexpr uint32_t kExternalAttributes = 0100644u << 16;
// MS-DOS date of 1980-01-01 ((year - 1980) << 9 | month << 5 | day), the
// earliest it can hold: output does not depend on the clock.
inline constexpr uint16_t kDosDate = (1 << 5) | 1;
// Deflate expands at most 1032:1 (a 258-byte match in about 2 bits): an
// entry claiming more is corrupt, and its size must not be allocated.
inline constexpr uint64_t kMaxDeflateRatio = 1032;
// zlib counts in uInt: feed it at most this much at a time.
inline constexpr size_t kZlibChunk = size_t(1) << 30;
inline constexpr size_t kBufferSize = size_t(1) << 18;
} // namespace zip_format

/** zlib's CRC-32 of n more bytes (for any n). */
uint32_t crc32_update(uint32_t crc, const void* data, size_t n);

struct ZipEntry {
  std::string name;
  uint16_t method; // 0: stored, 8: deflated
  uint32_t crc32;
  uint64_t compressed_size;
  uint64_t size;
  uint64_t header_offset; // of the local file header
  uint64_t data_offset;
};

/** Reads the central directory and checks every entry's header, sizes and
 * offsets (inside the archive, not overlapping, names unique). */
class ZipReader {
public:
  ZipReader(const std::string& path, std::string where);

  const std::vector<ZipEntry>& entries() const { return entries_; }

  /** The entry's uncompressed bytes; remaining() is its declared size. Its
   * finish() checks that the data ended where declared and the CRC-32. */
  class EntryReader;
  std::unique_ptr<EntryReader> open(const ZipEntry& entry);

private:
  void read_end_record(uint64_t& cd_offset, uint64_t& cd_size, size_t& count);
  void read_local_header(ZipEntry& entry, uint64_t cd_offset);

  InputFile file_;
  std::vector<ZipEntry> entries_;
};

class ZipReader::EntryReader : public ByteReader {
public:
  virtual void finish() = 0;
};

/** Writes entries one after another, then the central directory. */
class ZipWriter {
public:
  /** `where` is the "[op] file" prefix of error messages. */
  ZipWriter(const std::string& path, std::string where, bool compress);
  ~ZipWriter();

  /** Adds an entry made of the given chunks of bytes. */
  void
  add(const std::string& name,
      const std::vector<std::pair<const void*, size_t>>& chunks);

  /** Writes the central directory and end record and closes the file. */
  void close();

private:
  OutputFile file_;
  std::string where_;
  bool compress_;
  std::vector<ZipEntry> entries_;
};

} // namespace mlx::core::io
