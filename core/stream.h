#pragma once

#include <ostream>
#include <variant>

#include "mlx/device.h"

namespace mlx::core {

/** An ordered queue of work on one device; each stream has its own worker. */
struct Stream {
  int index;
  Device device;
  Stream(int index, Device device) : index(index), device(device) {}
};

bool operator==(const Stream& lhs, const Stream& rhs);
bool operator!=(const Stream& lhs, const Stream& rhs);

/** The default stream of the given device. */
Stream default_stream(Device d);

/** Make the stream the default for its device. */
void set_default_stream(Stream s);

/** A new stream on the given device. */
Stream new_stream(Device d);

/** Block until all work queued on the stream has finished. */
void synchronize(Stream s);

/** Block until the default stream of the default device is done. */
void synchronize();

using StreamOrDevice = std::variant<std::monostate, Stream, Device>;

/** The stream an op runs on: the given stream, the default stream of the
 * given device, or the default stream of the default device. */
Stream to_stream(StreamOrDevice s);

/** Makes `s` the default stream (and its device the default device) for the
 * lifetime of this object: the C++ form of `with mx.stream(s):`. */
class StreamContext {
public:
  explicit StreamContext(StreamOrDevice s);
  ~StreamContext();
  StreamContext(const StreamContext&) = delete;
  StreamContext& operator=(const StreamContext&) = delete;

private:
  Stream previous_stream_;
  Device previous_device_;
};

std::ostream& operator<<(std::ostream& os, const Stream& s);

} // namespace mlx::core
