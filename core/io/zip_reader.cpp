// Reading zip archives: the end record, the central directory, each
// entry's local header, and the (stored or inflated) data of an entry.
#include <zlib.h>

#include <algorithm>
#include <set>

#include "mlx/io/zip.h"

namespace mlx::core::io {

using namespace zip_format;

uint32_t crc32_update(uint32_t crc, const void* data, size_t n) {
  auto* p = static_cast<const Bytef*>(data);
  while (n > 0) {
    size_t k = std::min(n, kZlibChunk);
    crc = static_cast<uint32_t>(crc32(crc, p, static_cast<uInt>(k)));
    p += k;
    n -= k;
  }
  return crc;
}

namespace {

std::string entry_where(const std::string& where, const std::string& name) {
  return where + ": entry '" + name + "'";
}

class EntryReaderImpl final : public ZipReader::EntryReader {
public:
  EntryReaderImpl(InputFile& file, const ZipEntry& entry, std::string where)
      : raw_(
            file, entry.data_offset, entry.data_offset + entry.compressed_size),
        entry_(entry), where_(std::move(where)), left_(entry.size) {
    if (entry.method == kDeflated) {
      // Negative window bits: a raw deflate stream, as zip stores it.
      if (inflateInit2(&zs_, -MAX_WBITS) != Z_OK) {
        fail(where_, "cannot start zlib's inflate.");
      }
      inflating_ = true;
      buffer_.resize(kBufferSize);
    }
  }
  ~EntryReaderImpl() override {
    if (inflating_) {
      inflateEnd(&zs_);
    }
  }

  uint64_t remaining() const override { return left_; }

  void read(void* dst, size_t n) override {
    if (n > left_) {
      fail(
          where_,
          "unexpected end of data: ",
          n,
          " bytes needed, ",
          left_,
          " left.");
    }
    if (!inflating_) {
      raw_.read(dst, n);
    } else {
      auto* out = static_cast<uint8_t*>(dst);
      for (size_t done = 0; done < n;) {
        if (stream_end_) {
          fail(
              where_,
              "the compressed data ends before the declared size of ",
              entry_.size,
              " bytes.");
        }
        done += inflate_some(out + done, std::min(n - done, kZlibChunk));
      }
    }
    crc_ = crc32_update(crc_, dst, n);
    left_ -= n;
  }

  void finish() override {
    if (left_ != 0) {
      fail(where_, left_, " bytes of the entry were not read.");
    }
    if (inflating_) {
      while (!stream_end_) {
        uint8_t extra;
        if (inflate_some(&extra, 1) > 0) {
          fail(
              where_,
              "the compressed data is longer than the declared size of ",
              entry_.size,
              " bytes.");
        }
      }
      uint64_t unused = zs_.avail_in + raw_.remaining();
      if (unused > 0) {
        fail(where_, unused, " bytes follow the end of the deflate stream.");
      }
    }
    if (crc_ != entry_.crc32) {
      fail(
          where_,
          "CRC-32 mismatch (computed ",
          crc_,
          ", the archive says ",
          entry_.crc32,
          "): the data is corrupt.");
    }
  }

private:
  // One inflate call into out[0, cap); returns the bytes produced.
  size_t inflate_some(uint8_t* out, size_t cap) {
    if (zs_.avail_in == 0 && raw_.remaining() > 0) {
      size_t k = static_cast<size_t>(
          std::min<uint64_t>(buffer_.size(), raw_.remaining()));
      raw_.read(buffer_.data(), k);
      zs_.next_in = buffer_.data();
      zs_.avail_in = static_cast<uInt>(k);
    }
    zs_.next_out = out;
    zs_.avail_out = static_cast<uInt>(cap);
    int rc = inflate(&zs_, Z_NO_FLUSH);
    size_t produced = cap - zs_.avail_out;
    if (rc == Z_STREAM_END) {
      stream_end_ = true;
    } else if (rc == Z_BUF_ERROR) {
      // No progress possible with output space left: input ran out.
      fail(where_, "the compressed data is truncated.");
    } else if (rc != Z_OK) {
      fail(
          where_,
          "corrupt compressed data (zlib: ",
          zs_.msg != nullptr ? zs_.msg : "error",
          ").");
    }
    return produced;
  }

  FileRangeReader raw_;
  ZipEntry entry_;
  std::string where_;
  uint64_t left_;
  uint32_t crc_{0};
  z_stream zs_{};
  bool inflating_{false};
  bool stream_end_{false};
  std::vector<uint8_t> buffer_;
};

} // namespace

ZipReader::ZipReader(const std::string& path, std::string where)
    : file_(path, std::move(where)) {
  const std::string& at = file_.where();
  uint64_t cd_offset, cd_size;
  size_t count;
  read_end_record(cd_offset, cd_size, count);

  std::vector<uint8_t> cd(cd_size);
  file_.read_at(cd_offset, cd.data(), cd.size());
  std::set<std::string> names;
  size_t pos = 0;
  for (size_t i = 0; i < count; ++i) {
    if (cd_size - pos < kCentralHeaderSize ||
        get_u32(&cd[pos]) != kCentralHeaderSignature) {
      fail(at, "central directory record ", i, " is missing or corrupt.");
    }
    const uint8_t* h = &cd[pos];
    size_t name_size = get_u16(h + 28);
    size_t record_size =
        kCentralHeaderSize + name_size + get_u16(h + 30) + get_u16(h + 32);
    if (record_size > cd_size - pos) {
      fail(at, "central directory record ", i, " runs past the directory.");
    }
    ZipEntry e;
    e.name.assign(
        reinterpret_cast<const char*>(h + kCentralHeaderSize), name_size);
    std::string here = entry_where(at, e.name);
    uint16_t flags = get_u16(h + 8);
    e.method = get_u16(h + 10);
    e.crc32 = get_u32(h + 16);
    uint32_t compressed_size = get_u32(h + 20), size = get_u32(h + 24);
    uint32_t header_offset = get_u32(h + 42);
    e.compressed_size = compressed_size;
    e.size = size;
    e.header_offset = header_offset;
    if (compressed_size == kZip64Marker32 || size == kZip64Marker32 ||
        header_offset == kZip64Marker32 || get_u16(h + 34) == kZip64Marker16) {
      fail(here, "ZIP64 entries are not supported.");
    }
    if (get_u16(h + 34) != 0) {
      fail(here, "multi-disk archives are not supported.");
    }
    if (e.name.find('\0') != std::string::npos) {
      fail(here, "the entry name contains a NUL byte.");
    }
    if (!names.insert(e.name).second) {
      fail(here, "the name appears twice in the archive.");
    }
    if (flags & kFlagEncrypted) {
      fail(here, "encrypted entries are not supported.");
    }
    if (e.method != kStored && e.method != kDeflated) {
      fail(
          here,
          "unsupported compression method ",
          e.method,
          " (supported: 0 stored, 8 deflate).");
    }
    if (e.method == kStored && e.compressed_size != e.size) {
      fail(
          here,
          "stored entry with different sizes (",
          e.compressed_size,
          " compressed, ",
          e.size,
          " uncompressed).");
    }
    if (e.method == kDeflated &&
        e.size > e.compressed_size * kMaxDeflateRatio) {
      fail(
          here,
          "declared size ",
          e.size,
          " is more than deflate can produce from ",
          e.compressed_size,
          " bytes.");
    }
    read_local_header(e, cd_offset);
    entries_.push_back(std::move(e));
    pos += record_size;
  }
  if (pos != cd_size) {
    fail(at, "the central directory has ", cd_size - pos, " extra bytes.");
  }

  // Entries may not overlap: each one's data ends before the next header.
  std::vector<const ZipEntry*> by_offset;
  for (auto& e : entries_) {
    by_offset.push_back(&e);
  }
  std::sort(by_offset.begin(), by_offset.end(), [](auto* a, auto* b) {
    return a->header_offset < b->header_offset;
  });
  for (size_t i = 1; i < by_offset.size(); ++i) {
    const ZipEntry& prev = *by_offset[i - 1];
    if (prev.data_offset + prev.compressed_size > by_offset[i]->header_offset) {
      fail(
          entry_where(at, prev.name),
          "its data overlaps entry '",
          by_offset[i]->name,
          "'.");
    }
  }
}

void ZipReader::read_end_record(
    uint64_t& cd_offset, uint64_t& cd_size, size_t& count) {
  const std::string& at = file_.where();
  uint64_t size = file_.size();
  if (size < kEndRecordSize) {
    fail(at, "too small (", size, " bytes) to be a zip archive.");
  }
  // The end record sits at the end, followed only by a comment of up to
  // 64 KiB: look for its signature with a comment length that fits.
  size_t tail_size = static_cast<size_t>(
      std::min<uint64_t>(size, kEndRecordSize + kMaxCommentSize));
  std::vector<uint8_t> tail(tail_size);
  file_.read_at(size - tail_size, tail.data(), tail_size);
  const uint8_t* end = nullptr;
  for (size_t i = tail_size - kEndRecordSize + 1; i-- > 0;) {
    if (get_u32(&tail[i]) == kEndRecordSignature &&
        i + kEndRecordSize + get_u16(&tail[i + 20]) == tail_size) {
      end = &tail[i];
      break;
    }
  }
  if (end == nullptr) {
    fail(at, "not a zip archive, or truncated (no end-of-directory record).");
  }
  uint64_t end_offset = size - tail_size + (end - tail.data());
  uint8_t locator[4] = {0, 0, 0, 0};
  if (end_offset >= kZip64LocatorSize) {
    file_.read_at(end_offset - kZip64LocatorSize, locator, 4);
  }
  count = get_u16(end + 10);
  cd_size = get_u32(end + 12);
  cd_offset = get_u32(end + 16);
  if (get_u32(locator) == kZip64LocatorSignature || count == kZip64Marker16 ||
      cd_size == kZip64Marker32 || cd_offset == kZip64Marker32) {
    fail(at, "ZIP64 archives are not supported.");
  }
  if (get_u16(end + 4) != 0 || get_u16(end + 6) != 0 ||
      get_u16(end + 8) != count) {
    fail(at, "multi-disk archives are not supported.");
  }
  if (cd_offset > end_offset || cd_size > end_offset - cd_offset) {
    fail(
        at,
        "the central directory (offset ",
        cd_offset,
        ", ",
        cd_size,
        " bytes) runs past the end record at offset ",
        end_offset,
        ".");
  }
}

void ZipReader::read_local_header(ZipEntry& e, uint64_t cd_offset) {
  std::string here = entry_where(file_.where(), e.name);
  if (e.header_offset > cd_offset ||
      cd_offset - e.header_offset < kLocalHeaderSize) {
    fail(
        here,
        "local header offset ",
        e.header_offset,
        " is outside the archive's data.");
  }
  uint8_t h[kLocalHeaderSize];
  file_.read_at(e.header_offset, h, sizeof(h));
  if (get_u32(h) != kLocalHeaderSignature) {
    fail(here, "bad local header signature at offset ", e.header_offset, ".");
  }
  size_t name_size = get_u16(h + 26), extra_size = get_u16(h + 28);
  e.data_offset = e.header_offset + kLocalHeaderSize + name_size + extra_size;
  if (e.data_offset > cd_offset ||
      e.compressed_size > cd_offset - e.data_offset) {
    fail(here, "the data runs past the start of the central directory.");
  }
  std::string local_name(name_size, '\0');
  file_.read_at(
      e.header_offset + kLocalHeaderSize, local_name.data(), name_size);
  if (local_name != e.name || get_u16(h + 8) != e.method) {
    fail(here, "the local header does not match the central directory.");
  }
}

std::unique_ptr<ZipReader::EntryReader> ZipReader::open(const ZipEntry& e) {
  return std::make_unique<EntryReaderImpl>(
      file_, e, entry_where(file_.where(), e.name));
}

} // namespace mlx::core::io
