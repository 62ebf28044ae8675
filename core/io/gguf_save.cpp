// save_gguf: a version 3 file (gguf.h) with the metadata sorted by key and
// the tensors by name, each tensor's data at a multiple of the alignment.
#include <algorithm>
#include <vector>

#include "mlx/io.h"
#include "mlx/io/gguf.h"
#include "mlx/io/io_impl.h"

namespace mlx::core {
namespace {

using namespace io::gguf;

// The header, built in memory before the file is opened so that bad
// arguments leave no file behind.
struct HeaderBytes {
  std::vector<uint8_t> bytes;

  void raw(const void* src, size_t n) {
    auto* p = static_cast<const uint8_t*>(src);
    bytes.insert(bytes.end(), p, p + n);
  }
  void u32(uint32_t v) {
    uint8_t b[4];
    io::put_u32(b, v);
    raw(b, 4);
  }
  void u64(uint64_t v) {
    uint8_t b[8];
    io::put_u64(b, v);
    raw(b, 8);
  }
  void string(const std::string& s) {
    u64(s.size());
    raw(s.data(), s.size());
  }
};

uint64_t align_up(uint64_t n, uint64_t alignment) {
  return (n + alignment - 1) / alignment * alignment;
}

void write_array_value(HeaderBytes& h, const std::string& key, array a) {
  auto type = value_type_of(a.dtype());
  if (!type) {
    throw_error(
        "[save_gguf] Metadata '",
        key,
        "' has dtype ",
        a.dtype(),
        ", which GGUF metadata cannot hold (integers, float32, float64 and "
        "bool can).");
  }
  if (a.ndim() > 1) {
    throw_error(
        "[save_gguf] Metadata '",
        key,
        "' has ",
        a.ndim(),
        " dimensions; GGUF metadata holds scalars and 1-d arrays.");
  }
  if (a.ndim() == 1) {
    h.u32(kArray);
    h.u32(*type);
    h.u64(a.size());
  } else {
    h.u32(*type);
  }
  a = io::row_major(a);
  h.raw(a.data<uint8_t>(), a.nbytes());
}

void write_value(
    HeaderBytes& h, const std::string& key, const GGUFMetaData& value) {
  if (auto* a = std::get_if<array>(&value)) {
    write_array_value(h, key, *a);
  } else if (auto* s = std::get_if<std::string>(&value)) {
    h.u32(kString);
    h.string(*s);
  } else if (auto* strings = std::get_if<std::vector<std::string>>(&value)) {
    h.u32(kArray);
    h.u32(kString);
    h.u64(strings->size());
    for (const auto& s : *strings) {
      h.string(s);
    }
  } else {
    throw_error("[save_gguf] Metadata '", key, "' has no value.");
  }
}

uint64_t
alignment_of(const std::unordered_map<std::string, GGUFMetaData>& metadata) {
  auto it = metadata.find(kAlignmentKey);
  if (it == metadata.end()) {
    return kDefaultAlignment;
  }
  auto* a = std::get_if<array>(&it->second);
  if (!a || a->dtype() != uint32 || a->ndim() != 0) {
    throw_error("[save_gguf] ", kAlignmentKey, " must be a uint32 scalar.");
  }
  uint32_t alignment = array(*a).item<uint32_t>();
  if (alignment == 0 || (alignment & (alignment - 1)) != 0) {
    throw_error(
        "[save_gguf] ",
        kAlignmentKey,
        " is ",
        alignment,
        ", not a power of 2.");
  }
  return alignment;
}

} // namespace

void save_gguf(
    std::string file,
    std::unordered_map<std::string, array> array_map,
    std::unordered_map<std::string, GGUFMetaData> meta_data) {
  if (!io::ends_with(file, ".gguf")) {
    file += ".gguf";
  }
  uint64_t alignment = alignment_of(meta_data);

  HeaderBytes h;
  h.raw(kMagic, sizeof(kMagic));
  h.u32(kVersion);
  h.u64(array_map.size());
  h.u64(meta_data.size());
  std::vector<std::string> keys;
  for (const auto& [key, value] : meta_data) {
    keys.push_back(key);
  }
  std::sort(keys.begin(), keys.end());
  for (const auto& key : keys) {
    h.string(key);
    write_value(h, key, meta_data.at(key));
  }

  std::vector<std::string> names;
  for (const auto& [name, a] : array_map) {
    names.push_back(name);
  }
  std::sort(names.begin(), names.end());
  std::vector<uint64_t> offsets;
  uint64_t offset = 0;
  for (const auto& name : names) {
    const array& a = array_map.at(name);
    auto type = tensor_type_of(a.dtype());
    if (!type) {
      throw_error(
          "[save_gguf] Array '",
          name,
          "' has dtype ",
          a.dtype(),
          ", which GGUF cannot hold (float32, float16, bfloat16, float64, "
          "int8, int16, int32 and int64 can).");
    }
    if (a.ndim() > kMaxDims) {
      throw_error(
          "[save_gguf] Array '",
          name,
          "' has ",
          a.ndim(),
          " dimensions; GGUF tensors have at most ",
          kMaxDims,
          ".");
    }
    h.string(name);
    h.u32(a.ndim());
    for (int i = a.ndim() - 1; i >= 0; --i) {
      h.u64(a.shape(i));
    }
    h.u32(*type);
    offset = align_up(offset, alignment);
    h.u64(offset);
    offsets.push_back(offset);
    offset += a.nbytes();
  }

  io::OutputFile out(file, "[save_gguf] " + file);
  out.write(h.bytes.data(), h.bytes.size());
  uint64_t data_start = align_up(out.tell(), alignment);
  const std::vector<uint8_t> zeros(alignment, 0);
  auto pad_to = [&](uint64_t end) {
    out.write(zeros.data(), end - out.tell());
  };
  for (size_t i = 0; i < names.size(); ++i) {
    pad_to(data_start + offsets[i]);
    array a = io::row_major(array_map.at(names[i]));
    out.write(a.data<uint8_t>(), a.nbytes());
  }
  out.close();
}

} // namespace mlx::core
