// Writing zip archives: entries one after another (their CRC-32 and sizes
// patched into the local header afterwards), then the central directory.
#include <zlib.h>

#include <algorithm>

#include "mlx/io/zip.h"

namespace mlx::core::io {

using namespace zip_format;

ZipWriter::ZipWriter(const std::string& path, std::string where, bool compress)
    : file_(path, where), where_(std::move(where)), compress_(compress) {}

ZipWriter::~ZipWriter() = default;

namespace {

bool is_ascii(const std::string& s) {
  return std::all_of(s.begin(), s.end(), [](char c) {
    return static_cast<unsigned char>(c) < 0x80;
  });
}

// Deflates chunks into `out`; raw deflate (no zlib header), as zip stores.
class Deflater {
public:
  Deflater(OutputFile& out, const std::string& where)
      : out_(out), where_(where), buffer_(kBufferSize) {
    if (deflateInit2(
            &zs_,
            Z_DEFAULT_COMPRESSION,
            Z_DEFLATED,
            -MAX_WBITS,
            8, // zlib's default memLevel
            Z_DEFAULT_STRATEGY) != Z_OK) {
      fail(where_, "cannot start zlib's deflate.");
    }
  }
  ~Deflater() { deflateEnd(&zs_); }

  void write(const void* data, size_t n) {
    auto* p = static_cast<const Bytef*>(data);
    for (size_t done = 0; done < n;) {
      size_t k = std::min(n - done, kZlibChunk);
      zs_.next_in = const_cast<Bytef*>(p + done);
      zs_.avail_in = static_cast<uInt>(k);
      run(Z_NO_FLUSH);
      done += k;
    }
  }
  void finish() { run(Z_FINISH); }
  uint64_t compressed_size() const { return written_; }

private:
  // Runs deflate until it has taken all input (or, finishing, ended).
  void run(int flush) {
    for (;;) {
      zs_.next_out = buffer_.data();
      zs_.avail_out = static_cast<uInt>(buffer_.size());
      int rc = deflate(&zs_, flush);
      if (rc == Z_STREAM_ERROR) {
        fail(where_, "zlib's deflate failed.");
      }
      size_t produced = buffer_.size() - zs_.avail_out;
      out_.write(buffer_.data(), produced);
      written_ += produced;
      if (flush == Z_FINISH ? rc == Z_STREAM_END
                            : zs_.avail_in == 0 && zs_.avail_out > 0) {
        return;
      }
    }
  }

  OutputFile& out_;
  const std::string& where_;
  z_stream zs_{};
  std::vector<uint8_t> buffer_;
  uint64_t written_{0};
};

} // namespace

void ZipWriter::add(
    const std::string& name,
    const std::vector<std::pair<const void*, size_t>>& chunks) {
  if (entries_.size() >= kZip64Marker16 - 1) {
    fail(where_, "more than 65534 entries need ZIP64, which is unsupported.");
  }
  if (name.size() > 0xffff) {
    fail(where_, "the entry name is longer than 65535 bytes.");
  }
  ZipEntry e;
  e.name = name;
  e.method = compress_ ? kDeflated : kStored;
  e.header_offset = file_.tell();
  uint16_t flags = is_ascii(name) ? 0 : kFlagUtf8Name;

  // The CRC and sizes are patched in once the data has been written.
  uint8_t h[kLocalHeaderSize] = {};
  put_u32(h, kLocalHeaderSignature);
  put_u16(h + 4, kVersionNeeded);
  put_u16(h + 6, flags);
  put_u16(h + 8, e.method);
  put_u16(h + 10, 0); // time 00:00:00
  put_u16(h + 12, kDosDate);
  put_u16(h + 26, static_cast<uint16_t>(name.size()));
  file_.write(h, sizeof(h));
  file_.write(name.data(), name.size());

  uint32_t crc = 0;
  uint64_t size = 0;
  if (compress_) {
    Deflater deflater(file_, where_);
    for (auto [data, n] : chunks) {
      deflater.write(data, n);
      crc = crc32_update(crc, data, n);
      size += n;
    }
    deflater.finish();
    e.compressed_size = deflater.compressed_size();
  } else {
    for (auto [data, n] : chunks) {
      file_.write(data, n);
      crc = crc32_update(crc, data, n);
      size += n;
    }
    e.compressed_size = size;
  }
  e.size = size;
  e.crc32 = crc;
  if (e.header_offset >= kZip64Marker32 || e.size >= kZip64Marker32 ||
      e.compressed_size >= kZip64Marker32) {
    fail(
        where_,
        "entry '",
        name,
        "' or the archive exceeds 4 GiB, which needs ZIP64 (unsupported).");
  }
  uint8_t patch[12];
  put_u32(patch, crc);
  put_u32(patch + 4, static_cast<uint32_t>(e.compressed_size));
  put_u32(patch + 8, static_cast<uint32_t>(e.size));
  file_.write_at(e.header_offset + 14, patch, sizeof(patch));
  entries_.push_back(std::move(e));
}

void ZipWriter::close() {
  uint64_t cd_offset = file_.tell();
  for (const auto& e : entries_) {
    uint8_t h[kCentralHeaderSize] = {};
    put_u32(h, kCentralHeaderSignature);
    put_u16(h + 4, kVersionMadeBy);
    put_u16(h + 6, kVersionNeeded);
    put_u16(h + 8, is_ascii(e.name) ? 0 : kFlagUtf8Name);
    put_u16(h + 10, e.method);
    put_u16(h + 14, kDosDate);
    put_u32(h + 16, e.crc32);
    put_u32(h + 20, static_cast<uint32_t>(e.compressed_size));
    put_u32(h + 24, static_cast<uint32_t>(e.size));
    put_u16(h + 28, static_cast<uint16_t>(e.name.size()));
    put_u32(h + 38, kExternalAttributes);
    put_u32(h + 42, static_cast<uint32_t>(e.header_offset));
    file_.write(h, sizeof(h));
    file_.write(e.name.data(), e.name.size());
  }
  uint64_t cd_size = file_.tell() - cd_offset;
  if (cd_offset >= kZip64Marker32 || cd_size >= kZip64Marker32) {
    fail(where_, "the archive exceeds 4 GiB, which needs ZIP64 (unsupported).");
  }
  uint8_t end[kEndRecordSize] = {};
  put_u32(end, kEndRecordSignature);
  put_u16(end + 8, static_cast<uint16_t>(entries_.size()));
  put_u16(end + 10, static_cast<uint16_t>(entries_.size()));
  put_u32(end + 12, static_cast<uint32_t>(cd_size));
  put_u32(end + 16, static_cast<uint32_t>(cd_offset));
  file_.write(end, sizeof(end));
  file_.close();
}

} // namespace mlx::core::io
