// .safetensors (github.com/huggingface/safetensors): an 8-byte
// little-endian header size N, N bytes of JSON such as
//   {"w": {"dtype": "F32", "shape": [2, 3], "data_offsets": [0, 24]},
//    "__metadata__": {"key": "value"}}
// (padded with spaces), then the tensors' bytes; data_offsets are
// [begin, end) relative to the end of the header.
#include <algorithm>
#include <limits>
#include <sstream>

#include "mlx/io.h"
#include "mlx/io/io_impl.h"
#include "mlx/io/json.h"

namespace mlx::core {
namespace {

constexpr size_t kSizeFieldBytes = 8;
// The reference implementation refuses headers over 100 MB (its
// MAX_HEADER_SIZE): no valid file needs more.
constexpr uint64_t kMaxHeaderSize = 100'000'000;
constexpr char kMetadataKey[] = "__metadata__";
// The header is padded so the data starts at a multiple of 8 bytes, as the
// reference writer does.
constexpr size_t kDataAlign = 8;

struct DtypeName {
  Dtype dtype;
  const char* name;
};
constexpr DtypeName kDtypeNames[] = {
    {bool_, "BOOL"},
    {uint8, "U8"},
    {int8, "I8"},
    {uint16, "U16"},
    {int16, "I16"},
    {float16, "F16"},
    {bfloat16, "BF16"},
    {uint32, "U32"},
    {int32, "I32"},
    {float32, "F32"},
    {uint64, "U64"},
    {int64, "I64"},
    {float64, "F64"},
    {complex64, "C64"}};

const char* dtype_name(Dtype dtype) {
  for (auto& d : kDtypeNames) {
    if (d.dtype == dtype) {
      return d.name;
    }
  }
  throw_error("[save_safetensors] Unsupported dtype ", dtype, ".");
}

struct TensorInfo {
  std::string name;
  Dtype dtype{float32};
  Shape shape;
  uint64_t begin{0};
  uint64_t end{0};
};

std::string shape_text(const Shape& shape) {
  std::ostringstream os;
  os << "[";
  for (size_t i = 0; i < shape.size(); ++i) {
    os << (i ? ", " : "") << shape[i];
  }
  os << "]";
  return os.str();
}

TensorInfo parse_tensor_info(
    const std::string& name,
    const io::JsonValue& value,
    const std::string& where,
    uint64_t data_size) {
  using Type = io::JsonValue::Type;
  std::string here = where + ": tensor '" + name + "'";
  if (value.type != Type::object) {
    io::fail(here, "expected an object with dtype, shape and data_offsets.");
  }
  const io::JsonValue *dtype = nullptr, *shape = nullptr, *offsets = nullptr;
  for (const auto& [key, field] : value.members) {
    if (key == "dtype") {
      dtype = &field;
    } else if (key == "shape") {
      shape = &field;
    } else if (key == "data_offsets") {
      offsets = &field;
    } else {
      io::fail(here, "unexpected field '", key, "'.");
    }
  }
  if (!dtype || !shape || !offsets) {
    io::fail(
        here,
        "missing field '",
        !dtype   ? "dtype"
        : !shape ? "shape"
                 : "data_offsets",
        "'.");
  }
  TensorInfo t;
  t.name = name;
  if (dtype->type != Type::string) {
    io::fail(here, "dtype must be a string.");
  }
  auto known = std::find_if(
      std::begin(kDtypeNames), std::end(kDtypeNames), [&](const auto& d) {
        return dtype->text == d.name;
      });
  if (known == std::end(kDtypeNames)) {
    io::fail(
        here,
        "unsupported dtype '",
        dtype->text,
        "' (supported: BOOL, U8, I8, U16, I16, F16, BF16, U32, I32, F32, U64, "
        "I64, F64, C64).");
  }
  t.dtype = known->dtype;
  if (shape->type != Type::array) {
    io::fail(here, "shape must be an array.");
  }
  for (const auto& dim : shape->elements) {
    auto d = io::json_uint64(dim);
    if (!d || *d > static_cast<uint64_t>(std::numeric_limits<int32_t>::max())) {
      io::fail(here, "shape entries must be integers in [0, 2^31 - 1].");
    }
    t.shape.push_back(static_cast<int32_t>(*d));
  }
  if (offsets->type != Type::array || offsets->elements.size() != 2 ||
      !io::json_uint64(offsets->elements[0]) ||
      !io::json_uint64(offsets->elements[1])) {
    io::fail(here, "data_offsets must be two non-negative integers.");
  }
  t.begin = *io::json_uint64(offsets->elements[0]);
  t.end = *io::json_uint64(offsets->elements[1]);
  if (t.begin > t.end || t.end > data_size) {
    io::fail(
        here,
        "data_offsets [",
        t.begin,
        ", ",
        t.end,
        "] are not a range inside the ",
        data_size,
        "-byte data section.");
  }
  auto nbytes = io::checked_nbytes(t.dtype, t.shape);
  if (!nbytes || *nbytes != t.end - t.begin) {
    io::fail(
        here,
        "data_offsets [",
        t.begin,
        ", ",
        t.end,
        "] span ",
        t.end - t.begin,
        " bytes but shape ",
        shape_text(t.shape),
        " of ",
        dtype->text,
        " needs ",
        nbytes ? std::to_string(*nbytes) : std::string("more than 2^63"),
        ".");
  }
  return t;
}

void parse_metadata(
    const io::JsonValue& value,
    const std::string& where,
    std::unordered_map<std::string, std::string>& metadata) {
  if (value.type != io::JsonValue::Type::object) {
    io::fail(where, "__metadata__ must be an object of strings.");
  }
  for (const auto& [key, item] : value.members) {
    if (item.type != io::JsonValue::Type::string) {
      io::fail(where, "__metadata__ value of '", key, "' is not a string.");
    }
    metadata.emplace(key, item.text);
  }
}

void check_no_overlaps(
    std::vector<TensorInfo>& tensors, const std::string& where) {
  std::sort(tensors.begin(), tensors.end(), [](auto& a, auto& b) {
    return a.begin != b.begin ? a.begin < b.begin : a.end < b.end;
  });
  const TensorInfo* furthest = nullptr; // the non-empty one ending last
  for (const auto& t : tensors) {
    if (t.begin == t.end) {
      continue;
    }
    if (furthest != nullptr && t.begin < furthest->end) {
      io::fail(
          where,
          "tensors '",
          furthest->name,
          "' and '",
          t.name,
          "' overlap in the data section.");
    }
    if (furthest == nullptr || t.end > furthest->end) {
      furthest = &t;
    }
  }
}

} // namespace

SafetensorsLoad load_safetensors(const std::string& file, StreamOrDevice s) {
  std::string where = "[load_safetensors] " + file;
  io::InputFile in(file, where);
  if (in.size() < kSizeFieldBytes) {
    io::fail(where, "too small (", in.size(), " bytes) for a header size.");
  }
  uint8_t size_field[kSizeFieldBytes];
  in.read_at(0, size_field, kSizeFieldBytes);
  uint64_t header_size = io::get_u64(size_field);
  if (header_size > in.size() - kSizeFieldBytes) {
    io::fail(
        where,
        "header size ",
        header_size,
        " runs past the end of the ",
        in.size(),
        "-byte file.");
  }
  if (header_size > kMaxHeaderSize) {
    io::fail(where, "header size ", header_size, " exceeds 100000000 bytes.");
  }
  std::string text(header_size, '\0');
  in.read_at(kSizeFieldBytes, text.data(), text.size());
  io::JsonValue header;
  try {
    header = io::parse_json(text);
  } catch (const std::runtime_error& e) {
    io::fail(where, "the header is not valid JSON (", e.what(), ").");
  }
  if (header.type != io::JsonValue::Type::object) {
    io::fail(where, "the header is not a JSON object.");
  }

  uint64_t data_start = kSizeFieldBytes + header_size;
  uint64_t data_size = in.size() - data_start;
  SafetensorsLoad result;
  std::vector<TensorInfo> tensors;
  for (const auto& [name, value] : header.members) {
    if (name == kMetadataKey) {
      parse_metadata(value, where, result.second);
    } else {
      tensors.push_back(parse_tensor_info(name, value, where, data_size));
    }
  }
  check_no_overlaps(tensors, where);
  for (auto& t : tensors) {
    array a = io::array_from_bytes(t.shape, t.dtype, [&](void* dst, size_t n) {
      in.read_at(data_start + t.begin, dst, n);
    });
    result.first.emplace(std::move(t.name), std::move(a));
  }
  return result;
}

void save_safetensors(
    std::string file,
    std::unordered_map<std::string, array> arrays,
    std::unordered_map<std::string, std::string> metadata) {
  if (!io::ends_with(file, ".safetensors")) {
    file += ".safetensors";
  }
  // Larger items first, so each tensor starts at a multiple of its item
  // size (the data section starts 8-aligned); then by name.
  std::vector<std::string> names;
  for (const auto& [name, a] : arrays) {
    if (name == kMetadataKey) {
      throw_error(
          "[save_safetensors] The name \"__metadata__\" is reserved for the "
          "metadata.");
    }
    if (!io::is_valid_utf8(name)) {
      throw_error("[save_safetensors] Array names must be valid UTF-8.");
    }
    dtype_name(a.dtype());
    names.push_back(name);
  }
  std::sort(names.begin(), names.end(), [&](auto& x, auto& y) {
    size_t sx = arrays.at(x).itemsize(), sy = arrays.at(y).itemsize();
    return sx != sy ? sx > sy : x < y;
  });
  std::vector<std::pair<std::string, std::string>> items(
      metadata.begin(), metadata.end());
  std::sort(items.begin(), items.end());
  for (const auto& [key, value] : items) {
    if (!io::is_valid_utf8(key) || !io::is_valid_utf8(value)) {
      throw_error("[save_safetensors] Metadata must be valid UTF-8.");
    }
  }

  std::string header = "{";
  if (!items.empty()) {
    header += io::json_quote(kMetadataKey) + ":{";
    for (size_t i = 0; i < items.size(); ++i) {
      header += (i ? "," : "") + io::json_quote(items[i].first) + ":" +
                io::json_quote(items[i].second);
    }
    header += "}";
  }
  uint64_t offset = 0;
  for (const auto& name : names) {
    const array& a = arrays.at(name);
    std::string shape;
    for (size_t i = 0; i < a.ndim(); ++i) {
      shape += (i ? "," : "") + std::to_string(a.shape()[i]);
    }
    header += (header.size() > 1 ? "," : "") + io::json_quote(name) +
              ":{\"dtype\":\"" + dtype_name(a.dtype()) + "\",\"shape\":[" +
              shape + "],\"data_offsets\":[" + std::to_string(offset) + "," +
              std::to_string(offset + a.nbytes()) + "]}";
    offset += a.nbytes();
  }
  header += "}";
  header.append(
      (kDataAlign - (kSizeFieldBytes + header.size()) % kDataAlign) %
          kDataAlign,
      ' ');

  io::OutputFile out(file, "[save_safetensors] " + file);
  uint8_t size_field[kSizeFieldBytes];
  io::put_u64(size_field, header.size());
  out.write(size_field, kSizeFieldBytes);
  out.write(header.data(), header.size());
  for (const auto& name : names) {
    array a = io::row_major(arrays.at(name));
    out.write(a.data<char>(), a.nbytes());
  }
  out.close();
}

} // namespace mlx::core
