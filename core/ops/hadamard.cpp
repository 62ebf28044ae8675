// The Hadamard transform for n = m * 2^k, m in {1, 12, 20, 28}, as MLX
// defines it: the 2^k part by Sylvester butterflies, the m part by a product
// with a Hadamard matrix of order m, i.e. x @ kron(H_m, H_{2^k})^T * scale.
// The order-m matrices are built here from their classical constructions;
// they equal, entry for entry, the tables MLX ships (N. J. A. Sloane's
// library), so results match MLX's row order and signs.
#include <cmath>
#include <cstdint>
#include <string_view>
#include <vector>

#include "mlx/ops/creation.h"
#include "mlx/ops/elementwise.h"
#include "mlx/ops/indexing.h"
#include "mlx/ops/join.h"
#include "mlx/ops/matmul.h"
#include "mlx/ops/shape.h"
#include "mlx/utils.h"

namespace mlx::core {

namespace {

// Row-major +1/-1 entries of an m x m matrix.
using SignMatrix = std::vector<float>;

// The quadratic character mod a prime q: 0, or +1 for a nonzero square,
// -1 otherwise.
int quadratic_character(int a, int q) {
  a = ((a % q) + q) % q;
  if (a == 0) {
    return 0;
  }
  for (int r = 1; r < q; ++r) {
    if (r * r % q == a) {
      return 1;
    }
  }
  return -1;
}

// Paley's second construction, order 2 (q + 1) for a prime q = 1 mod 4:
// the symmetric conference matrix C (first row and column ones off the
// diagonal, C[1 + a][1 + b] = chi(b - a)) becomes
// I (x) [[1, -1], [-1, -1]] + C (x) [[1, 1], [1, -1]].
SignMatrix paley_second(int q) {
  const int c = q + 1, m = 2 * c;
  auto conference = [q](int i, int j) {
    if (i == j) {
      return 0;
    }
    if (i == 0 || j == 0) {
      return 1;
    }
    return quadratic_character(j - i, q);
  };
  constexpr int kDiagonal[2][2] = {{1, -1}, {-1, -1}};
  constexpr int kOffDiagonal[2][2] = {{1, 1}, {1, -1}};
  SignMatrix h(static_cast<size_t>(m) * m);
  for (int i = 0; i < m; ++i) {
    for (int j = 0; j < m; ++j) {
      int bi = i / 2, bj = j / 2, r = i % 2, s = j % 2;
      h[i * m + j] = static_cast<float>(
          bi == bj ? kDiagonal[r][s] : conference(bi, bj) * kOffDiagonal[r][s]);
    }
  }
  return h;
}

// Williamson's array [[A, B, C, D], [-B, A, -D, C], [-C, D, A, -B],
// [-D, -C, B, A]] of symmetric circulant t x t blocks, each given by its
// first row as '+'/'-', with A^2 + B^2 + C^2 + D^2 = 4t I.
SignMatrix williamson(const std::string_view (&first_rows)[4]) {
  // Which block, and its sign, at each block position.
  constexpr int kBlock[4][4] = {
      {0, 1, 2, 3}, {1, 0, 3, 2}, {2, 3, 0, 1}, {3, 2, 1, 0}};
  constexpr int kSign[4][4] = {
      {1, 1, 1, 1}, {-1, 1, -1, 1}, {-1, 1, 1, -1}, {-1, -1, 1, 1}};
  const int t = static_cast<int>(first_rows[0].size()), m = 4 * t;
  SignMatrix h(static_cast<size_t>(m) * m);
  for (int i = 0; i < m; ++i) {
    for (int j = 0; j < m; ++j) {
      int bi = i / t, bj = j / t, r = i % t, c = j % t;
      char entry = first_rows[kBlock[bi][bj]][(c - r + t) % t];
      h[i * m + j] =
          static_cast<float>(kSign[bi][bj] * (entry == '+' ? 1 : -1));
    }
  }
  return h;
}

// The classical Williamson sequences for t = 5 and t = 7.
constexpr std::string_view kWilliamson5[4] = {
    "+----", "+----", "++--+", "+-++-"};
constexpr std::string_view kWilliamson7[4] = {
    "+------", "++----+", "+-+--+-", "+--++--"};

// The Hadamard matrix of order m (12, 20 or 28).
array hadamard_matrix(int m, Dtype dtype) {
  SignMatrix h = m == 12   ? paley_second(5)
                 : m == 20 ? williamson(kWilliamson5)
                           : williamson(kWilliamson7);
  return astype(array(h.data(), {m, m}, float32), dtype);
}

bool is_power_of_two(int n) {
  return n >= 1 && (n & (n - 1)) == 0;
}

// The m of n = m * 2^k, or 0 if n has no such form.
int hadamard_order(int n) {
  for (int m : {1, 12, 20, 28}) {
    if (n % m == 0 && is_power_of_two(n / m)) {
      return m;
    }
  }
  return 0;
}

} // namespace

array hadamard_transform(
    const array& a, std::optional<float> scale, StreamOrDevice s) {
  int n = a.ndim() == 0 ? 0 : a.shape(-1);
  int m = n < 1 ? 0 : hadamard_order(n);
  if (m == 0) {
    throw_error(
        "[hadamard_transform] The last axis must have size m * 2^k with m "
        "in {1, 12, 20, 28}, got n = ",
        n,
        " (shape ",
        a.shape(),
        ").");
  }
  Dtype dtype = issubdtype(a.dtype(), floating) ? a.dtype() : float32;
  array x = astype(a, dtype, s);
  const Shape shape = x.shape();
  // The last axis as (m, p), element j * p + i at [j, i].
  const int p = n / m;
  Shape rows(shape.begin(), shape.end() - 1);
  rows.insert(rows.end(), {m, p});
  x = reshape(x, rows, s);
  // Sylvester's construction along p: with the axis split as
  // (left, 2, right), each stage maps the pair (u, v) along the 2 to
  // (u + v, u - v).
  for (int half = 1; half < p; half *= 2) {
    Shape split(rows.begin(), rows.end() - 1);
    split.insert(split.end(), {p / (2 * half), 2, half});
    array y = reshape(x, split, s);
    int axis = static_cast<int>(split.size()) - 2;
    array u = take(y, 0, axis, s), v = take(y, 1, axis, s);
    x = reshape(stack({add(u, v, s), subtract(u, v, s)}, axis, s), rows, s);
  }
  if (m > 1) {
    x = matmul(hadamard_matrix(m, dtype), x, s);
  }
  float factor = scale ? *scale : 1.0f / std::sqrt(static_cast<float>(n));
  return multiply(reshape(x, shape, s), array(factor, dtype), s);
}

} // namespace mlx::core
