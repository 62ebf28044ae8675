// einsum's back half: runs the plan of einsum_path.cpp, one pairwise
// contraction at a time, each a single (batched) matmul.
#include "mlx/einsum.h"

#include <algorithm>
#include <numeric>

#include "mlx/einsum_impl.h"
#include "mlx/ops.h"

namespace mlx::core {

namespace {

// An operand and the index of each of its dims.
struct Labeled {
  array x;
  std::string labels;
};

bool contains(const std::string& s, char c) {
  return s.find(c) != std::string::npos;
}

// Sums the dims whose index is not in `needed`.
Labeled sum_unneeded(Labeled t, const std::string& needed, StreamOrDevice s) {
  std::vector<int> axes;
  std::string labels;
  for (size_t d = 0; d < t.labels.size(); ++d) {
    if (contains(needed, t.labels[d])) {
      labels += t.labels[d];
    } else {
      axes.push_back(static_cast<int>(d));
    }
  }
  if (axes.empty()) {
    return t;
  }
  return {sum(t.x, axes, false, s), labels};
}

// Takes the diagonal of repeated indices ("ii" -> "i") and drops size-1
// dims that broadcast against a larger size elsewhere: the operand is
// constant along them.
Labeled
simplify(Labeled t, const std::map<char, int>& sizes, StreamOrDevice s) {
  for (;;) {
    size_t first = 0, repeat = std::string::npos;
    for (; first < t.labels.size() && repeat == std::string::npos; ++first) {
      repeat = t.labels.find(t.labels[first], first + 1);
    }
    if (repeat == std::string::npos) {
      break;
    }
    // diagonal() removes both axes and appends the diagonal at the end.
    --first;
    char c = t.labels[first];
    t.x =
        diagonal(t.x, 0, static_cast<int>(first), static_cast<int>(repeat), s);
    t.labels.erase(repeat, 1);
    t.labels.erase(first, 1);
    t.labels += c;
  }
  std::vector<int> broadcast;
  std::string labels;
  for (size_t d = 0; d < t.labels.size(); ++d) {
    if (t.x.shape(static_cast<int>(d)) == 1 && sizes.at(t.labels[d]) > 1) {
      broadcast.push_back(static_cast<int>(d));
    } else {
      labels += t.labels[d];
    }
  }
  if (!broadcast.empty()) {
    t = {squeeze(t.x, broadcast, s), labels};
  }
  return t;
}

// Transposes `t` so its dims follow `order` (a permutation of its labels).
array arrange(const Labeled& t, const std::string& order, StreamOrDevice s) {
  std::vector<int> perm;
  for (char c : order) {
    perm.push_back(static_cast<int>(t.labels.find(c)));
  }
  return transpose(t.x, perm, s);
}

Shape shape_of(const std::string& labels, const std::map<char, int>& sizes) {
  Shape shape;
  for (char c : labels) {
    shape.push_back(sizes.at(c));
  }
  return shape;
}

int32_t product(const Shape& shape) {
  int32_t n = 1;
  for (auto d : shape) {
    n *= d;
  }
  return n;
}

// a and b contracted over their shared indices that `needed` lacks: the
// result has dims batch (shared, kept), then a's own, then b's own.
Labeled contract_pair(
    Labeled a,
    Labeled b,
    const std::string& needed,
    const std::map<char, int>& sizes,
    StreamOrDevice s) {
  a = sum_unneeded(a, needed + b.labels, s);
  b = sum_unneeded(b, needed + a.labels, s);
  std::string batch, summed, a_own, b_own;
  for (char c : a.labels) {
    if (!contains(b.labels, c)) {
      a_own += c;
    } else {
      (contains(needed, c) ? batch : summed) += c;
    }
  }
  for (char c : b.labels) {
    if (!contains(a.labels, c)) {
      b_own += c;
    }
  }
  Shape out_shape = shape_of(batch + a_own + b_own, sizes);
  if (!issubdtype(promote_types(a.x.dtype(), b.x.dtype()), inexact)) {
    // matmul is for floating types: integers multiply and sum instead.
    Shape ones_a(b_own.size(), 1), ones_b(a_own.size(), 1);
    Shape a_shape = shape_of(batch + a_own + summed, sizes);
    a_shape.insert(a_shape.end(), ones_a.begin(), ones_a.end());
    Shape b_shape = shape_of(batch, sizes);
    b_shape.insert(b_shape.end(), ones_b.begin(), ones_b.end());
    auto rest = shape_of(summed + b_own, sizes);
    b_shape.insert(b_shape.end(), rest.begin(), rest.end());
    array x = multiply(
        reshape(arrange(a, batch + a_own + summed, s), a_shape, s),
        reshape(arrange(b, batch + summed + b_own, s), b_shape, s),
        s);
    std::vector<int> axes(summed.size());
    std::iota(axes.begin(), axes.end(), batch.size() + a_own.size());
    return {sum(x, axes, false, s), batch + a_own + b_own};
  }
  int32_t nb = product(shape_of(batch, sizes));
  int32_t m = product(shape_of(a_own, sizes));
  int32_t k = product(shape_of(summed, sizes));
  int32_t n = product(shape_of(b_own, sizes));
  array x = matmul(
      reshape(arrange(a, batch + a_own + summed, s), {nb, m, k}, s),
      reshape(arrange(b, batch + summed + b_own, s), {nb, k, n}, s),
      s);
  return {reshape(x, out_shape, s), batch + a_own + b_own};
}

} // namespace

array einsum(
    const std::string& subscripts,
    const std::vector<array>& operands,
    StreamOrDevice s) {
  auto plan = detail::plan_einsum(subscripts, operands, "einsum");
  std::vector<Labeled> terms;
  for (size_t i = 0; i < operands.size(); ++i) {
    terms.push_back(simplify({operands[i], plan.inputs[i]}, plan.sizes, s));
  }
  // Indices needed outside the given terms: the output's and the others'.
  auto needed_besides = [&](const std::vector<int>& positions) {
    std::string needed = plan.output;
    for (int i = 0; i < static_cast<int>(terms.size()); ++i) {
      if (std::find(positions.begin(), positions.end(), i) == positions.end()) {
        needed += terms[i].labels;
      }
    }
    return needed;
  };
  for (size_t i = 0; i < terms.size(); ++i) {
    int pos = static_cast<int>(i);
    terms[i] = sum_unneeded(terms[i], needed_besides({pos}), s);
  }
  for (auto& step : plan.steps) {
    if (step.positions.size() == 2) {
      auto needed = needed_besides(step.positions);
      auto result = contract_pair(
          terms[step.positions[0]],
          terms[step.positions[1]],
          needed,
          plan.sizes,
          s);
      terms.erase(terms.begin() + step.positions[1]);
      terms.erase(terms.begin() + step.positions[0]);
      terms.push_back(result);
    }
  }
  auto last = sum_unneeded(terms.back(), plan.output, s);
  return arrange(last, plan.output, s);
}

} // namespace mlx::core
