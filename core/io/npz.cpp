// .npz archives: a zip file with one "<name>.npy" entry per array, as
// numpy.savez and numpy.savez_compressed write them.
#include <algorithm>

#include "mlx/io.h"
#include "mlx/io/npy.h"
#include "mlx/io/zip.h"

namespace mlx::core {
namespace {

void save_npz(
    std::string file,
    const std::unordered_map<std::string, array>& arrays,
    bool compress,
    const char* op) {
  if (!io::ends_with(file, ".npz")) {
    file += ".npz";
  }
  // Names sorted, so that the same arrays give the same archive.
  std::vector<std::string> names;
  for (const auto& [name, a] : arrays) {
    names.push_back(name);
  }
  std::sort(names.begin(), names.end());
  // Every argument is checked before the file is created.
  std::vector<std::string> headers;
  for (const auto& name : names) {
    if (name.find('\0') != std::string::npos) {
      throw_error("[", op, "] Array names may not contain NUL bytes.");
    }
    const array& a = arrays.at(name);
    headers.push_back(io::npy_header(a.dtype(), a.shape(), op));
  }
  io::ZipWriter zip(file, std::string("[") + op + "] " + file, compress);
  for (size_t i = 0; i < names.size(); ++i) {
    // One array evaluated (and made row-major) at a time.
    array a = io::row_major(arrays.at(names[i]));
    zip.add(
        names[i] + ".npy",
        {{headers[i].data(), headers[i].size()}, {a.data<char>(), a.nbytes()}});
  }
  zip.close();
}

} // namespace

void savez(std::string file, std::unordered_map<std::string, array> arrays) {
  save_npz(std::move(file), arrays, /* compress = */ false, "savez");
}

void savez_compressed(
    std::string file, std::unordered_map<std::string, array> arrays) {
  save_npz(std::move(file), arrays, /* compress = */ true, "savez_compressed");
}

std::unordered_map<std::string, array>
load_npz(const std::string& file, StreamOrDevice s) {
  std::string where = "[load_npz] " + file;
  io::ZipReader zip(file, where);
  std::unordered_map<std::string, array> arrays;
  for (const auto& entry : zip.entries()) {
    if (!io::ends_with(entry.name, ".npy")) {
      io::fail(where, "entry '", entry.name, "' is not a .npy array.");
    }
    auto reader = zip.open(entry);
    array a = io::read_npy(*reader, where + ": entry '" + entry.name + "'", s);
    reader->finish();
    // Entry names are unique (ZipReader checks), so the keys are too.
    arrays.emplace(entry.name.substr(0, entry.name.size() - 4), std::move(a));
  }
  return arrays;
}

std::unordered_map<std::string, array>
load_arrays(const std::string& file, StreamOrDevice s) {
  if (io::ends_with(file, ".npz")) {
    return load_npz(file, s);
  }
  if (io::ends_with(file, ".safetensors")) {
    return load_safetensors(file, s).first;
  }
  if (io::ends_with(file, ".gguf")) {
    return load_gguf(file, s).first;
  }
  throw_error(
      "[load_arrays] Unsupported file extension in '",
      file,
      "': expected .npz, .safetensors or .gguf (use load for a .npy file).");
}

} // namespace mlx::core
