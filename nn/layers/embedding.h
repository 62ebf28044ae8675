// mlx.nn.Embedding: a lookup table from integer ids to vectors.
#pragma once

#include <string>

#include "mlx/nn/module.h"

namespace mlx::nn {

/**
 * Rows of "weight" (num_embeddings, dims), initialized from
 * N(0, 1 / dims) (standard deviation 1 / sqrt(dims), as MLX).
 */
class Embedding : public Module {
public:
  Embedding(int num_embeddings, int dims);

  std::string name() const override { return "Embedding"; }
  /** "num_embeddings, dims", as MLX prints it. */
  std::string describe() const override;

  /** indices (any shape, integer dtype) -> indices.shape + (dims). */
  array operator()(const array& indices) override;

  /** x @ weight^T: (..., dims) -> (..., num_embeddings), for an output
   * projection that shares the embedding's weights. */
  array as_linear(const array& x) const;
  /** A QuantizedEmbedding with this layer's table quantized (defined in
   * quantized.cpp). */
  std::shared_ptr<Module> to_quantized(
      int group_size = 64,
      int bits = 4,
      const std::string& mode = "affine") override;
};

} // namespace mlx::nn
