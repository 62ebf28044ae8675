// Saving and loading arrays: NumPy's .npy and .npz, .safetensors and
// .gguf.
//
// Files are written so that NumPy (np.load) and other safetensors readers
// read them, and read as untrusted input: every header field and size is
// checked, and a truncated or corrupt file raises std::runtime_error whose
// message starts with the function's name ("[load]", "[load_npz]",
// "[load_safetensors]", "[load_gguf]") and names the file and the problem. Bad
// arguments (a dtype the format cannot hold, a reserved name) raise
// std::invalid_argument. Loaded arrays are evaluated, row-major.
#pragma once

#include <string>
#include <unordered_map>
#include <utility>
#include <variant>
#include <vector>

#include "mlx/array.h"
#include "mlx/stream.h"

namespace mlx::core {

using SafetensorsLoad = std::pair<
    std::unordered_map<std::string, array>,
    std::unordered_map<std::string, std::string>>;

/** A GGUF metadata value: a number or bool (a 0-d array), an array of
 * numbers or bools (1-d), a string, or an array of strings. */
using GGUFMetaData =
    std::variant<std::monostate, array, std::string, std::vector<std::string>>;
using GGUFLoad = std::pair<
    std::unordered_map<std::string, array>,
    std::unordered_map<std::string, GGUFMetaData>>;

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

/** Load the tensors and metadata of a .gguf file (versions 2 and 3,
 * little-endian). Tensor shapes are GGUF's dimensions reversed (row-major).
 * F32, F16, BF16, F64, I8, I16, I32 and I64 tensors load as that dtype;
 * a Q4_0, Q4_1 or Q8_0 tensor "x.weight" loads as MLX loads it: affine
 * quantized arrays "x.weight" (uint32), "x.scales" and "x.biases"
 * (float16) with group size 32 and 4 or 8 bits, for dequantize or
 * quantized_matmul. Other quantized types raise, naming the tensor and
 * the type. */
GGUFLoad load_gguf(const std::string& file, StreamOrDevice s = {});

/** Save arrays (float32, float16, bfloat16, float64, int8, int16, int32,
 * int64; at most 4 dimensions) and metadata to a .gguf file (version 3;
 * ".gguf" is appended to the name if it is missing). Metadata arrays must
 * be 0-d or 1-d of a GGUF value type (integers, float32, float64, bool);
 * a uint32 "general.alignment" sets the data alignment (default 32). */
void save_gguf(
    std::string file,
    std::unordered_map<std::string, array> array_map,
    std::unordered_map<std::string, GGUFMetaData> meta_data = {});

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

/** Load a .npz, .safetensors or .gguf file (chosen by the extension) as a
 * map of arrays, like mx.load on those files; metadata is dropped. */
std::unordered_map<std::string, array>
load_arrays(const std::string& file, StreamOrDevice s = {});

} // namespace mlx::core
