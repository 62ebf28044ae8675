// The HDF5 form of a checkpoint (layout in checkpoint.h), through the HDF5
// C API. Every HDF5 call is checked; its error stack, never printed,
// becomes the end of the exception's message.
#include <hdf5.h>
#include <zlib.h>

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <limits>
#include <memory>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <utility>
#include <vector>

#include "checkpoint_impl.h"
#include "mlx/ops.h"
#include "mlx/ops/shape.h"

namespace mlx::nn::detail {

namespace mx = mlx::core;
using mlx::utils::FlatTree;

namespace {

constexpr const char* kFormat = "mlx-checkpoint";
constexpr int kFormatVersion = 1;
// Longest fixed-length string attribute read (ours are variable-length;
// this bounds what a corrupt file can make us allocate).
constexpr size_t kMaxFixedString = size_t{1} << 20;

// Debian's libhdf5 is not built thread-safe: one checkpoint at a time.
std::mutex& hdf5_mutex() {
  static std::mutex mutex;
  return mutex;
}

// An HDF5 identifier and the function that closes it.
class Hid {
public:
  Hid() = default;
  Hid(hid_t id, herr_t (*close)(hid_t)) : id_(id), close_(close) {}
  Hid(Hid&& other) noexcept : id_(other.id_), close_(other.close_) {
    other.id_ = H5I_INVALID_HID;
  }
  Hid& operator=(Hid&& other) noexcept {
    std::swap(id_, other.id_);
    std::swap(close_, other.close_);
    return *this;
  }
  Hid(const Hid&) = delete;
  Hid& operator=(const Hid&) = delete;
  ~Hid() {
    if (id_ >= 0) {
      close_(id_);
    }
  }
  hid_t get() const { return id_; }
  // Closes now, returning the status (a failed close of a file means its
  // data may not be on disk).
  herr_t close() {
    herr_t status = id_ >= 0 ? close_(id_) : 0;
    id_ = H5I_INVALID_HID;
    return status;
  }

private:
  hid_t id_ = H5I_INVALID_HID;
  herr_t (*close_)(hid_t) = nullptr;
};

herr_t collect_error(unsigned depth, const H5E_error2_t* error, void* out) {
  // Walked upward: the first entry is where the error was detected.
  auto& message = *static_cast<std::string*>(out);
  if (depth == 0 && error->desc) {
    message = error->desc;
  }
  return 0;
}

// Errors of one read or write: "<context>: <what> (HDF5: <detail>)".
struct Errors {
  std::string context;

  [[noreturn]] void raise(const std::string& what) const {
    std::string detail;
    H5Ewalk2(H5E_DEFAULT, H5E_WALK_UPWARD, collect_error, &detail);
    H5Eclear2(H5E_DEFAULT);
    throw std::runtime_error(
        context + ": " + what +
        (detail.empty() ? "" : " (HDF5: " + detail + ")") + ".");
  }
  Hid check(hid_t id, herr_t (*close)(hid_t), const std::string& what) const {
    if (id < 0) {
      raise(what);
    }
    return Hid(id, close);
  }
  void check(herr_t status, const std::string& what) const {
    if (status < 0) {
      raise(what);
    }
  }
};

// The HDF5 type a dtype is stored as; the same type describes memory (the
// library is built for little-endian hosts only).
Hid storage_type(mx::Dtype dtype, const Errors& err) {
  auto copy = [&](hid_t t) {
    return err.check(H5Tcopy(t), H5Tclose, "cannot copy an HDF5 type");
  };
  switch (dtype) {
  case mx::Dtype::Val::bool_: {
    // h5py's bool: an enum of int8 {FALSE = 0, TRUE = 1}.
    auto t = err.check(
        H5Tenum_create(H5T_NATIVE_INT8), H5Tclose, "cannot make a bool type");
    int8_t no = 0, yes = 1;
    err.check(H5Tenum_insert(t.get(), "FALSE", &no), "enum insert");
    err.check(H5Tenum_insert(t.get(), "TRUE", &yes), "enum insert");
    return t;
  }
  case mx::Dtype::Val::uint8:
    return copy(H5T_STD_U8LE);
  case mx::Dtype::Val::uint16:
  case mx::Dtype::Val::bfloat16:
    return copy(H5T_STD_U16LE);
  case mx::Dtype::Val::uint32:
    return copy(H5T_STD_U32LE);
  case mx::Dtype::Val::uint64:
    return copy(H5T_STD_U64LE);
  case mx::Dtype::Val::int8:
    return copy(H5T_STD_I8LE);
  case mx::Dtype::Val::int16:
    return copy(H5T_STD_I16LE);
  case mx::Dtype::Val::int32:
    return copy(H5T_STD_I32LE);
  case mx::Dtype::Val::int64:
    return copy(H5T_STD_I64LE);
  case mx::Dtype::Val::float16: {
    // IEEE half: sign bit 15, exponent bits 10-14 (bias 15), mantissa
    // bits 0-9; how h5py defines numpy.float16.
    auto t = copy(H5T_IEEE_F32LE);
    err.check(H5Tset_fields(t.get(), 15, 10, 5, 0, 10), "float16 fields");
    err.check(H5Tset_size(t.get(), 2), "float16 size");
    err.check(H5Tset_ebias(t.get(), 15), "float16 bias");
    return t;
  }
  case mx::Dtype::Val::float32:
    return copy(H5T_IEEE_F32LE);
  case mx::Dtype::Val::float64:
    return copy(H5T_IEEE_F64LE);
  case mx::Dtype::Val::complex64: {
    // h5py's complex: the compound {r, i}.
    auto t = err.check(
        H5Tcreate(H5T_COMPOUND, 8), H5Tclose, "cannot make a complex type");
    err.check(H5Tinsert(t.get(), "r", 0, H5T_IEEE_F32LE), "complex r");
    err.check(H5Tinsert(t.get(), "i", 4, H5T_IEEE_F32LE), "complex i");
    return t;
  }
  }
  err.raise("unsupported dtype " + mx::dtype_to_string(dtype));
}

std::optional<mx::Dtype> dtype_from_name(const std::string& name) {
  for (auto d :
       {mx::bool_,
        mx::uint8,
        mx::uint16,
        mx::uint32,
        mx::uint64,
        mx::int8,
        mx::int16,
        mx::int32,
        mx::int64,
        mx::float16,
        mx::float32,
        mx::float64,
        mx::bfloat16,
        mx::complex64}) {
    if (mx::dtype_to_string(d) == name) {
      return d;
    }
  }
  return std::nullopt;
}

// CRC-32 of the dtype's name followed by the data, so that a changed
// "dtype" attribute is caught too.
uint32_t checksum(mx::Dtype dtype, const void* data, size_t nbytes) {
  auto name = mx::dtype_to_string(dtype);
  uLong crc = crc32(0L, Z_NULL, 0);
  crc = crc32(
      crc, reinterpret_cast<const Bytef*>(name.data()), uInt(name.size()));
  auto* bytes = static_cast<const Bytef*>(data);
  // zlib takes uInt lengths: feed large buffers in pieces.
  constexpr size_t kPiece = size_t{1} << 30;
  for (size_t done = 0; done < nbytes; done += kPiece) {
    crc = crc32(crc, bytes + done, uInt(std::min(kPiece, nbytes - done)));
  }
  return uint32_t(crc);
}

// Strings are fixed-length UTF-8, stored in the attribute itself: HDF5
// checksums attribute messages, while variable-length strings live in the
// global heap, which it neither checksums nor bounds-checks when reading.
Hid string_type(size_t size, const Errors& err) {
  auto t = err.check(H5Tcopy(H5T_C_S1), H5Tclose, "cannot make a string type");
  err.check(H5Tset_size(t.get(), std::max<size_t>(size, 1)), "string size");
  err.check(H5Tset_strpad(t.get(), H5T_STR_NULLPAD), "string padding");
  err.check(H5Tset_cset(t.get(), H5T_CSET_UTF8), "string charset");
  return t;
}

Hid scalar_space(const Errors& err) {
  return err.check(
      H5Screate(H5S_SCALAR), H5Sclose, "cannot make a scalar dataspace");
}

void write_string_attr(
    hid_t obj,
    const std::string& name,
    const std::string& value,
    const Errors& err) {
  auto type = string_type(value.size(), err);
  auto space = scalar_space(err);
  auto attr = err.check(
      H5Acreate2(
          obj, name.c_str(), type.get(), space.get(), H5P_DEFAULT, H5P_DEFAULT),
      H5Aclose,
      "cannot create attribute \"" + name + "\"");
  std::string padded = value.empty() ? std::string(1, '\0') : value;
  err.check(
      H5Awrite(attr.get(), type.get(), padded.data()),
      "cannot write attribute \"" + name + "\"");
}

template <typename T>
void write_number_attr(
    hid_t obj,
    const std::string& name,
    hid_t file_type,
    hid_t mem_type,
    T value,
    const Errors& err) {
  auto space = scalar_space(err);
  auto attr = err.check(
      H5Acreate2(
          obj, name.c_str(), file_type, space.get(), H5P_DEFAULT, H5P_DEFAULT),
      H5Aclose,
      "cannot create attribute \"" + name + "\"");
  err.check(
      H5Awrite(attr.get(), mem_type, &value),
      "cannot write attribute \"" + name + "\"");
}

std::string
read_string_attr(hid_t obj, const std::string& name, const Errors& err) {
  auto attr = err.check(
      H5Aopen(obj, name.c_str(), H5P_DEFAULT),
      H5Aclose,
      "missing attribute \"" + name + "\"");
  auto ftype = err.check(H5Aget_type(attr.get()), H5Tclose, "attribute type");
  auto space = err.check(H5Aget_space(attr.get()), H5Sclose, "attribute space");
  if (H5Tget_class(ftype.get()) != H5T_STRING ||
      H5Sget_simple_extent_npoints(space.get()) != 1) {
    err.raise("attribute \"" + name + "\" is not a string");
  }
  if (H5Tis_variable_str(ftype.get()) != 0) {
    err.raise("attribute \"" + name + "\" is not a fixed-length string");
  }
  // Fixed-length: read through a memory type of our own making, so that
  // HDF5 writes exactly `size` bytes whatever the file claims.
  size_t size = H5Tget_size(ftype.get());
  if (size == 0 || size > kMaxFixedString) {
    err.raise("attribute \"" + name + "\" has a bad size");
  }
  auto type = string_type(size, err);
  std::string value(size, '\0');
  err.check(
      H5Aread(attr.get(), type.get(), value.data()),
      "cannot read attribute \"" + name + "\"");
  return value.substr(0, value.find('\0'));
}

template <typename T>
T read_number_attr(
    hid_t obj, const std::string& name, hid_t mem_type, const Errors& err) {
  auto attr = err.check(
      H5Aopen(obj, name.c_str(), H5P_DEFAULT),
      H5Aclose,
      "missing attribute \"" + name + "\"");
  auto space = err.check(H5Aget_space(attr.get()), H5Sclose, "attribute space");
  if (H5Sget_simple_extent_npoints(space.get()) != 1) {
    err.raise("attribute \"" + name + "\" is not a scalar");
  }
  T value{};
  err.check(
      H5Aread(attr.get(), mem_type, &value),
      "cannot read attribute \"" + name + "\" as a number");
  return value;
}

void check_name(const std::string& name, const Errors& err) {
  if (name.empty() || name == "." || name.find('/') != std::string::npos) {
    err.raise(
        "cannot store \"" + name +
        "\": dataset names must be non-empty and hold no '/'");
  }
}

void write_dataset(
    hid_t group,
    const std::string& group_name,
    const std::string& name,
    const mx::array& value,
    const std::function<void(const std::string&)>& on_dataset,
    const Errors& err) {
  check_name(name, err);
  std::string where = "dataset \"" + group_name + "/" + name + "\"";
  mx::array a = mx::contiguous(value);
  a.eval();
  std::vector<hsize_t> dims(a.shape().begin(), a.shape().end());
  auto space =
      a.ndim() == 0
          ? scalar_space(err)
          : err.check(
                H5Screate_simple(int(dims.size()), dims.data(), nullptr),
                H5Sclose,
                "cannot make the dataspace of " + where);
  auto type = storage_type(a.dtype(), err);
  auto ds = err.check(
      H5Dcreate2(
          group,
          name.c_str(),
          type.get(),
          space.get(),
          H5P_DEFAULT,
          H5P_DEFAULT,
          H5P_DEFAULT),
      H5Dclose,
      "cannot create " + where);
  if (a.size() > 0) {
    err.check(
        H5Dwrite(
            ds.get(),
            type.get(),
            H5S_ALL,
            H5S_ALL,
            H5P_DEFAULT,
            a.data<char>()),
        "cannot write " + where);
  }
  write_string_attr(ds.get(), "dtype", mx::dtype_to_string(a.dtype()), err);
  write_number_attr(
      ds.get(),
      "crc32",
      H5T_STD_U32LE,
      H5T_NATIVE_UINT32,
      checksum(a.dtype(), a.data<char>(), a.nbytes()),
      err);
  if (on_dataset) {
    on_dataset(group_name + "/" + name);
  }
}

void write_group(
    hid_t file,
    const std::string& group_name,
    const FlatTree& leaves,
    const std::function<void(const std::string&)>& on_dataset,
    const Errors& err) {
  auto group = err.check(
      H5Gcreate2(
          file, group_name.c_str(), H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT),
      H5Gclose,
      "cannot create group \"" + group_name + "\"");
  for (auto& [name, value] : leaves) {
    write_dataset(group.get(), group_name, name, value, on_dataset, err);
  }
}

herr_t collect_name(hid_t, const char* name, const H5L_info_t*, void* out) {
  static_cast<std::vector<std::string>*>(out)->push_back(name);
  return 0;
}

mx::array read_dataset(
    hid_t group,
    const std::string& group_name,
    const std::string& name,
    const Errors& err) {
  std::string where = "dataset \"" + group_name + "/" + name + "\"";
  auto ds = err.check(
      H5Dopen2(group, name.c_str(), H5P_DEFAULT),
      H5Dclose,
      "cannot open " + where);
  Errors inner{err.context + ": " + where};
  auto dtype_name = read_string_attr(ds.get(), "dtype", inner);
  auto dtype = dtype_from_name(dtype_name);
  if (!dtype) {
    inner.raise("unknown dtype \"" + dtype_name + "\"");
  }
  auto space = err.check(
      H5Dget_space(ds.get()), H5Sclose, "cannot read the shape of " + where);
  int ndim = H5Sget_simple_extent_ndims(space.get());
  if (ndim < 0 || ndim > H5S_MAX_RANK) {
    inner.raise("bad rank");
  }
  std::vector<hsize_t> dims(ndim);
  if (ndim > 0 &&
      H5Sget_simple_extent_dims(space.get(), dims.data(), nullptr) < 0) {
    inner.raise("cannot read the shape");
  }
  mx::Shape shape;
  uint64_t nbytes = mx::size_of(*dtype);
  for (auto d : dims) {
    if (d > uint64_t(std::numeric_limits<int32_t>::max()) ||
        __builtin_mul_overflow(nbytes, uint64_t(d), &nbytes)) {
      inner.raise("shape too large");
    }
    shape.push_back(int32_t(d));
  }
  // A contiguous dataset stores exactly its bytes: a size that differs
  // means a corrupt header (and guards the allocation below).
  if (nbytes > 0 && H5Dget_storage_size(ds.get()) != nbytes) {
    inner.raise(
        "stores " + std::to_string(H5Dget_storage_size(ds.get())) +
        " bytes, its shape needs " + std::to_string(nbytes));
  }
  auto type = storage_type(*dtype, inner);
  std::unique_ptr<void, void (*)(void*)> data(
      std::malloc(std::max<uint64_t>(nbytes, 1)), std::free);
  if (!data) {
    inner.raise("out of memory");
  }
  if (nbytes > 0 &&
      H5Dread(ds.get(), type.get(), H5S_ALL, H5S_ALL, H5P_DEFAULT, data.get()) <
          0) {
    inner.raise("cannot read the data");
  }
  uint32_t crc =
      read_number_attr<uint32_t>(ds.get(), "crc32", H5T_NATIVE_UINT32, inner);
  if (checksum(*dtype, data.get(), nbytes) != crc) {
    inner.raise("CRC-32 mismatch: the data is corrupt");
  }
  // The array copies the bytes, then frees them.
  return mx::array(data.release(), shape, *dtype, std::free);
}

FlatTree
read_group(hid_t file, const std::string& group_name, const Errors& err) {
  auto group = err.check(
      H5Gopen2(file, group_name.c_str(), H5P_DEFAULT),
      H5Gclose,
      "missing group \"" + group_name + "\"");
  std::vector<std::string> names;
  hsize_t index = 0;
  err.check(
      H5Literate(
          group.get(),
          H5_INDEX_NAME,
          H5_ITER_INC,
          &index,
          collect_name,
          &names),
      "cannot list group \"" + group_name + "\"");
  FlatTree leaves;
  for (auto& name : names) {
    leaves.emplace_back(name, read_dataset(group.get(), group_name, name, err));
  }
  return leaves;
}

herr_t collect_attr(hid_t obj, const char* name, const H5A_info_t*, void* out) {
  static_cast<std::vector<std::string>*>(out)->push_back(name);
  return 0;
}

// Checksummed metadata (superblock v2, object headers v2): a flipped byte
// in a header is detected by HDF5 itself.
Hid file_access(const Errors& err) {
  auto fapl = err.check(
      H5Pcreate(H5P_FILE_ACCESS), H5Pclose, "cannot make file properties");
  err.check(
      H5Pset_libver_bounds(fapl.get(), H5F_LIBVER_V18, H5F_LIBVER_V110),
      "cannot set the format version");
  return fapl;
}

} // namespace

void write_checkpoint_file(
    const std::string& path,
    const CheckpointContents& c,
    const std::function<void(const std::string&)>& on_dataset,
    const std::string& context) {
  std::lock_guard lock(hdf5_mutex());
  H5Eset_auto2(H5E_DEFAULT, nullptr, nullptr);
  Errors err{context};
  auto fapl = file_access(err);
  auto file = err.check(
      H5Fcreate(path.c_str(), H5F_ACC_TRUNC, H5P_DEFAULT, fapl.get()),
      H5Fclose,
      "cannot create " + path);
  hid_t root = file.get();
  write_string_attr(root, "format", kFormat, err);
  write_number_attr(
      root,
      "format_version",
      H5T_STD_I32LE,
      H5T_NATIVE_INT32,
      kFormatVersion,
      err);
  write_number_attr(
      root, "step", H5T_STD_U64LE, H5T_NATIVE_UINT64, c.step, err);
  write_number_attr(
      root, "world_size", H5T_STD_I32LE, H5T_NATIVE_INT32, c.world_size, err);
  write_string_attr(root, "dtype", c.dtype, err);
  write_string_attr(root, "command_line", c.command_line, err);

  write_group(root, "model", c.model, on_dataset, err);
  write_group(root, "optimizer", c.optimizer, on_dataset, err);
  {
    auto group = err.check(
        H5Gopen2(root, "optimizer", H5P_DEFAULT), H5Gclose, "optimizer group");
    write_string_attr(group.get(), "name", c.optimizer_name, err);
  }
  write_group(root, "random", c.random, on_dataset, err);
  auto meta = err.check(
      H5Gcreate2(root, "metadata", H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT),
      H5Gclose,
      "cannot create group \"metadata\"");
  for (auto& [key, value] : c.extra) {
    if (key.empty()) {
      err.raise("metadata keys must be non-empty");
    }
    write_string_attr(meta.get(), key, value, err);
  }
  meta.close();
  err.check(H5Fflush(root, H5F_SCOPE_GLOBAL), "cannot flush " + path);
  err.check(file.close(), "cannot close " + path);
}

CheckpointContents
read_checkpoint_file(const std::string& path, const std::string& context) {
  std::lock_guard lock(hdf5_mutex());
  H5Eset_auto2(H5E_DEFAULT, nullptr, nullptr);
  Errors err{context};
  auto fapl = file_access(err);
  auto file = err.check(
      H5Fopen(path.c_str(), H5F_ACC_RDONLY, fapl.get()),
      H5Fclose,
      "cannot open the file (missing, truncated or not HDF5)");
  hid_t root = file.get();
  if (read_string_attr(root, "format", err) != kFormat) {
    err.raise("not a checkpoint (attribute format is not \"mlx-checkpoint\")");
  }
  int version =
      read_number_attr<int32_t>(root, "format_version", H5T_NATIVE_INT32, err);
  if (version != kFormatVersion) {
    err.raise(
        "format_version " + std::to_string(version) +
        " is not supported (only " + std::to_string(kFormatVersion) + ")");
  }
  CheckpointContents c;
  c.step = read_number_attr<uint64_t>(root, "step", H5T_NATIVE_UINT64, err);
  c.world_size =
      read_number_attr<int32_t>(root, "world_size", H5T_NATIVE_INT32, err);
  c.dtype = read_string_attr(root, "dtype", err);
  c.command_line = read_string_attr(root, "command_line", err);
  c.model = read_group(root, "model", err);
  c.optimizer = read_group(root, "optimizer", err);
  {
    auto group = err.check(
        H5Gopen2(root, "optimizer", H5P_DEFAULT), H5Gclose, "optimizer group");
    c.optimizer_name = read_string_attr(group.get(), "name", err);
  }
  c.random = read_group(root, "random", err);
  auto meta = err.check(
      H5Gopen2(root, "metadata", H5P_DEFAULT),
      H5Gclose,
      "missing group \"metadata\"");
  std::vector<std::string> keys;
  hsize_t index = 0;
  err.check(
      H5Aiterate2(
          meta.get(), H5_INDEX_NAME, H5_ITER_INC, &index, collect_attr, &keys),
      "cannot list the metadata");
  for (auto& key : keys) {
    c.extra[key] = read_string_attr(meta.get(), key, err);
  }
  return c;
}

} // namespace mlx::nn::detail
