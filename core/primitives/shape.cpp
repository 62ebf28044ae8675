#include "mlx/primitives/shape.h"

#include <cstdlib>

namespace mlx::core {

std::pair<array::Flags, size_t>
view_layout(const Shape& shape, const Strides& strides) {
  array::Flags flags{};
  size_t size = 1;
  for (auto d : shape) {
    size *= d;
  }
  if (size == 0) {
    flags.contiguous = flags.row_contiguous = flags.col_contiguous = true;
    return {flags, 0};
  }
  size_t span = 1;
  bool negative_or_broadcast = false;
  for (size_t i = 0; i < shape.size(); ++i) {
    if (shape[i] > 1) {
      span += static_cast<size_t>(shape[i] - 1) * std::llabs(strides[i]);
      negative_or_broadcast |= strides[i] <= 0;
    }
  }
  bool row = true, col = true;
  int64_t expected = 1;
  for (int i = static_cast<int>(shape.size()) - 1; i >= 0; --i) {
    if (shape[i] > 1) {
      row &= strides[i] == expected;
      expected *= shape[i];
    }
  }
  expected = 1;
  for (size_t i = 0; i < shape.size(); ++i) {
    if (shape[i] > 1) {
      col &= strides[i] == expected;
      expected *= shape[i];
    }
  }
  flags.row_contiguous = row;
  flags.col_contiguous = col;
  flags.contiguous = row || col || (!negative_or_broadcast && span == size);
  return {flags, span};
}

bool Reshape::is_equivalent(const Primitive& other) const {
  auto* o = dynamic_cast<const Reshape*>(&other);
  return o && o->shape_ == shape_;
}

bool Transpose::is_equivalent(const Primitive& other) const {
  auto* o = dynamic_cast<const Transpose*>(&other);
  return o && o->axes_ == axes_;
}

bool Broadcast::is_equivalent(const Primitive& other) const {
  auto* o = dynamic_cast<const Broadcast*>(&other);
  return o && o->shape_ == shape_;
}

bool Slice::is_equivalent(const Primitive& other) const {
  auto* o = dynamic_cast<const Slice*>(&other);
  return o && o->start_ == start_ && o->stop_ == stop_ &&
         o->strides_ == strides_;
}

bool AsStrided::is_equivalent(const Primitive& other) const {
  auto* o = dynamic_cast<const AsStrided*>(&other);
  return o && o->shape_ == shape_ && o->strides_ == strides_ &&
         o->offset_ == offset_;
}

bool View::is_equivalent(const Primitive& other) const {
  auto* o = dynamic_cast<const View*>(&other);
  return o && o->dtype_ == dtype_;
}

bool Contiguous::is_equivalent(const Primitive& other) const {
  auto* o = dynamic_cast<const Contiguous*>(&other);
  return o && o->allow_col_major_ == allow_col_major_;
}

bool Arange::is_equivalent(const Primitive& other) const {
  auto* o = dynamic_cast<const Arange*>(&other);
  return o && o->start_ == start_ && o->stop_ == stop_ && o->step_ == step_;
}

} // namespace mlx::core
