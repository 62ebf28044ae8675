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

// Buckets in the order the backward pass produces gradients (the reverse of
// the parameters'), so that the first bucket's all-reduce can start while
// the earlier layers' gradients are still being computed; the first bucket
// is small so that communication starts early (PyTorch DDP's choice).
constexpr int64_t kFirstBucketBytes = int64_t(1) << 20;

// Each bucket is one all_sum_many over the gradients' own buffers, ordered
// after the previous bucket so that buckets go out in backward order on
// every rank. Floating gradients sent as they are get the 1/N applied by
// the backend as it writes the results; others are cast for the wire (or
// are integers), summed, cast back and divided.
FlatTree average_in_buckets(
    const FlatTree& flat, const Averager& average, int64_t all_reduce_size) {
  mx::Dtype dtype = flat.front().second.dtype();
  mx::Dtype wire = average.wire_type.value_or(dtype);
  bool fused = wire == dtype && mx::issubdtype(dtype, mx::inexact);
  int size = average.group.size();
  int64_t item_size = wire.size();
  std::vector<mx::array> averaged(flat.size(), flat.front().second);
  std::vector<mx::array> previous;
  int64_t limit = std::min(kFirstBucketBytes, all_reduce_size);
  size_t end = flat.size();
  while (end > 0) {
    // A bucket closes once it holds `limit` bytes or more.
    size_t begin = end;
    int64_t bytes = 0;
    while (begin > 0 && bytes < limit) {
      --begin;
      bytes += static_cast<int64_t>(flat[begin].second.size()) * item_size;
    }
    std::vector<mx::array> grads;
    for (size_t i = begin; i < end; ++i) {
      const mx::array& grad = flat[i].second;
      grads.push_back(fused ? grad : mx::astype(grad, wire));
    }
    auto sums = mx::distributed::all_sum_many(
        grads, fused ? size : 1, average.group, average.stream, previous);
    for (size_t i = begin; i < end; ++i) {
      averaged[i] = fused ? sums[i - begin]
                          : mx::divide(
                                mx::astype(sums[i - begin], dtype),
                                mx::array(size, dtype));
    }
    previous = {sums.front()};
    limit = all_reduce_size;
    end = begin;
  }
  FlatTree out;
  out.reserve(flat.size());
  for (size_t i = 0; i < flat.size(); ++i) {
    out.emplace_back(flat[i].first, averaged[i]);
  }
  return out;
}

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
  FlatTree flat = mlx::utils::tree_flatten(gradients);
  if (flat.empty()) {
    return gradients;
  }
  Averager average{g, communication_type, communication_stream};
  bool one_dtype = true;
  for (auto& [path, grad] : flat) {
    one_dtype = one_dtype && grad.dtype() == flat.front().second.dtype();
  }
  if (!one_dtype) {
    return mlx::utils::tree_map(average, gradients);
  }
  // all_reduce_size <= 0: every array on its own (one-array buckets).
  return mlx::utils::tree_unflatten(
      average_in_buckets(flat, average, std::max<int64_t>(all_reduce_size, 1)));
}

} // namespace mlx::nn
