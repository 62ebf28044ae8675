#include "mlx/io/io_impl.h"

#include <sys/stat.h>

#include <cerrno>
#include <cstring>
#include <limits>

#include "mlx/ops/shape.h"

namespace mlx::core::io {

namespace {

std::string errno_text() {
  return std::strerror(errno);
}

// fseeko/ftello take off_t: offsets past its range cannot be sought to.
bool seek(std::FILE* f, uint64_t offset) {
  if (offset > static_cast<uint64_t>(std::numeric_limits<off_t>::max())) {
    return false;
  }
  return fseeko(f, static_cast<off_t>(offset), SEEK_SET) == 0;
}

} // namespace

bool ends_with(const std::string& name, const std::string& suffix) {
  return name.size() >= suffix.size() &&
         name.compare(name.size() - suffix.size(), suffix.size(), suffix) == 0;
}

InputFile::InputFile(const std::string& path, std::string where)
    : where_(std::move(where)) {
  file_ = std::fopen(path.c_str(), "rb");
  if (file_ == nullptr) {
    fail(where_, "cannot open the file for reading (", errno_text(), ").");
  }
  struct stat info;
  if (fstat(fileno(file_), &info) != 0) {
    std::string reason = errno_text();
    std::fclose(file_);
    fail(where_, "cannot stat the file (", reason, ").");
  }
  if (!S_ISREG(info.st_mode)) {
    std::fclose(file_);
    fail(where_, "not a regular file.");
  }
  size_ = static_cast<uint64_t>(info.st_size);
}

InputFile::~InputFile() {
  std::fclose(file_);
}

void InputFile::read_at(uint64_t offset, void* dst, size_t n) {
  if (offset > size_ || n > size_ - offset) {
    fail(
        where_,
        "unexpected end of file: ",
        n,
        " bytes needed at offset ",
        offset,
        " of a ",
        size_,
        "-byte file.");
  }
  if (n == 0) {
    return;
  }
  if (!seek(file_, offset) || std::fread(dst, 1, n, file_) != n) {
    // The file shrank since it was opened, or the device failed.
    fail(where_, "read of ", n, " bytes at offset ", offset, " failed.");
  }
}

array row_major(array a) {
  a = contiguous(a);
  a.eval();
  return a;
}

std::optional<uint64_t> checked_nbytes(Dtype dtype, const Shape& shape) {
  uint64_t limit = std::numeric_limits<int64_t>::max();
  uint64_t nbytes = size_of(dtype);
  for (auto d : shape) {
    if (d < 0 || __builtin_mul_overflow(nbytes, uint64_t(d), &nbytes) ||
        nbytes > limit) {
      return std::nullopt;
    }
  }
  return nbytes;
}

array array_from_bytes(
    Shape shape, Dtype dtype, const std::function<void(void*, size_t)>& fill) {
  size_t nbytes = shape_size(shape) * size_of(dtype);
  // The array owns the buffer at once, so a failing fill frees it.
  array out(allocator::malloc(nbytes), std::move(shape), dtype);
  if (nbytes == 0) {
    return out;
  }
  fill(out.data<void>(), nbytes);
  if (dtype == bool_) {
    auto* bytes = out.data<uint8_t>();
    for (size_t i = 0; i < nbytes; ++i) {
      bytes[i] = bytes[i] != 0;
    }
  }
  return out;
}

void FileRangeReader::read(void* dst, size_t n) {
  if (n > remaining()) {
    fail(
        file_.where(),
        "unexpected end of data: ",
        n,
        " bytes needed, ",
        remaining(),
        " left.");
  }
  file_.read_at(pos_, dst, n);
  pos_ += n;
}

OutputFile::OutputFile(std::string path, std::string where)
    : path_(std::move(path)), where_(std::move(where)) {
  file_ = std::fopen(path_.c_str(), "wb");
  if (file_ == nullptr) {
    throw_error<std::runtime_error>(
        where_, ": cannot open the file for writing (", errno_text(), ").");
  }
  // Only a regular file is removed on failure (never a device or a pipe).
  struct stat info;
  remove_on_failure_ =
      fstat(fileno(file_), &info) == 0 && S_ISREG(info.st_mode);
}

OutputFile::~OutputFile() {
  if (file_ != nullptr) {
    std::fclose(file_);
    if (remove_on_failure_) {
      std::remove(path_.c_str());
    }
  }
}

void OutputFile::write(const void* src, size_t n) {
  if (n > 0 && std::fwrite(src, 1, n, file_) != n) {
    throw_error<std::runtime_error>(
        where_, ": write of ", n, " bytes failed (", errno_text(), ").");
  }
  end_ += n;
}

void OutputFile::write_at(uint64_t offset, const void* src, size_t n) {
  if (!seek(file_, offset) || std::fwrite(src, 1, n, file_) != n ||
      !seek(file_, end_)) {
    throw_error<std::runtime_error>(
        where_, ": write at offset ", offset, " failed (", errno_text(), ").");
  }
}

void OutputFile::close() {
  bool ok = std::fflush(file_) == 0 && !std::ferror(file_);
  ok = (std::fclose(file_) == 0) && ok;
  file_ = nullptr;
  if (!ok) {
    if (remove_on_failure_) {
      std::remove(path_.c_str());
    }
    throw_error<std::runtime_error>(
        where_, ": writing the file failed (", errno_text(), ").");
  }
}

} // namespace mlx::core::io
