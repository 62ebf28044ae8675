// Saving and loading arrays: NumPy's .npy and .npz, and .safetensors.
//
// Files are written so that NumPy (np.load) and other safetensors readers
// read them, and read as untrusted input: every header field and size is
// checked, and a truncated or corrupt file raises std::runtime_error whose
// message starts with the function's name ("[load]", "[load_npz]",
// "[load_safetensors]") and names the file and the problem. Bad arguments
// (a dtype the format cannot hold, a reserved name) raise
// std::invalid_argument. Loaded arrays are evaluated, row-major.
#pragma once

#include <string>
#include <unordered_map>
#include <utility>

#include "mlx/array.h"
#include "mlx/stream.h"

namespace mlx::core {

using SafetensorsLoad = std::pair<
    std::unordered_map<std::string, array>,
    std::unordered_map<std::string, std::string>>;

/** Save an array to a .npy file (".npy" is appended to the name if it is
 * missing). Any layout is saved as its logical, row-major contents.
 * bfloat16 has no NumPy type and is rejected. */
void save(std::string file, array a);

/** Load an array from a .npy file (format versions 1.0, 2.0 and 3.0; C or
 * Fortran order; little- or big-endian). */
array load(std::string file, StreamOrDevice s = {});

/** Load the arrays and the string metadata of a .safetensors file. */
SafetensorsLoad
load_safetensors(const std::string& file, StreamOrDevice s = {});

/** Save arrays (and optional string metadata) to a .safetensors file
 * (".safetensors" is appended to the name if it is missing). */
void save_safetensors(
    std::string file,
    std::unordered_map<std::string, array>,
    std::unordered_map<std::string, std::string> metadata = {});

/** Save arrays to an uncompressed .npz archive, like numpy.savez (".npz" is
 * appended to the name if it is missing); each array is the entry
 * "<name>.npy". */
void savez(std::string file, std::unordered_map<std::string, array> arrays);

/** As savez, with every entry compressed (deflate), like
 * numpy.savez_compressed. */
void savez_compressed(
    std::string file, std::unordered_map<std::string, array> arrays);

/** Load the arrays of a .npz archive (stored or deflated entries; ZIP64
 * archives are not supported). */
std::unordered_map<std::string, array>
load_npz(const std::string& file, StreamOrDevice s = {});

/** Load a .npz or .safetensors file (chosen by the extension) as a map of
 * arrays, like mx.load on those files; safetensors metadata is dropped. */
std::unordered_map<std::string, array>
load_arrays(const std::string& file, StreamOrDevice s = {});

} // namespace mlx::core
