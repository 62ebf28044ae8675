#include "mlx/nn/distributed.h"

#include "mlx/distributed/ops.h"
#include "mlx/ops.h"

namespace mlx::nn {

namespace mx = mlx::core;
using mlx::utils::FlatTree;
using mlx::utils::Tree;

namespace {

struct Averager {
  mx::distributed::Group group;
  std::optional<mx::Dtype> wire_type;
  mx::StreamOrDevice stream;

  mx::array operator()(const mx::array& x) const {
    mx::array wire = wire_type ? mx::astype(x, *wire_type) : x;
    mx::array summed = mx::distributed::all_sum(wire, group, stream);
    mx::array back = mx::astype(summed, x.dtype());
    return mx::divide(back, mx::array(group.size(), x.dtype()));
  }
};

} // namespace

Tree average_gradients(
    const Tree& gradients,
    std::optional<mx::distributed::Group> group,
    int64_t all_reduce_size,
    std::optional<mx::Dtype> communication_type,
    mx::StreamOrDevice communication_stream) {
  mx::distributed::Group g = group ? *group : mx::distributed::init();
  if (g.size() == 1) {
    return gradients;
  }
  Averager average{g, communication_type, communication_stream};
  FlatTree flat = mlx::utils::tree_flatten(gradients);
  bool one_dtype = true;
  for (auto& [path, grad] : flat) {
    one_dtype = one_dtype && grad.dtype() == flat.front().second.dtype();
  }
  if (all_reduce_size <= 0 || flat.empty() || !one_dtype) {
    return mlx::utils::tree_map(average, gradients);
  }

  int64_t item_size =
      (communication_type ? *communication_type : flat.front().second.dtype())
          .size();
  FlatTree averaged;
  averaged.reserve(flat.size());
  size_t begin = 0;
  while (begin < flat.size()) {
    // A bucket closes once it holds all_reduce_size bytes or more.
    size_t end = begin;
    int64_t bytes = 0;
    while (end < flat.size() && bytes < all_reduce_size) {
      bytes += static_cast<int64_t>(flat[end].second.size()) * item_size;
      ++end;
    }
    if (end - begin == 1) {
      averaged.emplace_back(flat[begin].first, average(flat[begin].second));
      begin = end;
      continue;
    }
    std::vector<mx::array> pieces;
    mx::Shape offsets;
    int64_t offset = 0;
    for (size_t i = begin; i < end; ++i) {
      pieces.push_back(mx::reshape(flat[i].second, {-1}));
      offset += static_cast<int64_t>(flat[i].second.size());
      if (i + 1 < end) {
        offsets.push_back(static_cast<int32_t>(offset));
      }
    }
    auto parts = mx::split(average(mx::concatenate(pieces, 0)), offsets, 0);
    for (size_t i = begin; i < end; ++i) {
      averaged.emplace_back(
          flat[i].first, mx::reshape(parts[i - begin], flat[i].second.shape()));
    }
    begin = end;
  }
  return mlx::utils::tree_unflatten(averaged);
}

} // namespace mlx::nn
