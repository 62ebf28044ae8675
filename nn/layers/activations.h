// The activation layers of mlx.nn: modules around the functions of
// mlx/nn/activations.h, with MLX's constructor settings. Only PReLU has a
// parameter ("weight", its learnable slopes).
#pragma once

#include <string>

#include "mlx/nn/module.h"

namespace mlx::nn {

// A layer without settings that applies one function of activations.h.
#define MLX_NN_ACTIVATION_LAYER(Class)                                         \
  class Class : public Module {                                                \
  public:                                                                      \
    std::string name() const override { return #Class; }                       \
    array operator()(const array& x) override;                                 \
  };

/** hard_tanh(x) (clips to [-1, 1]). */
MLX_NN_ACTIVATION_LAYER(HardTanh)
/** hardswish(x). */
MLX_NN_ACTIVATION_LAYER(Hardswish)
/** log_sigmoid(x). */
MLX_NN_ACTIVATION_LAYER(LogSigmoid)
/** log_softmax(x) over the last axis. */
MLX_NN_ACTIVATION_LAYER(LogSoftmax)
/** mish(x). */
MLX_NN_ACTIVATION_LAYER(Mish)
/** relu(x). */
MLX_NN_ACTIVATION_LAYER(ReLU)
/** relu2(x) = relu(x)^2. */
MLX_NN_ACTIVATION_LAYER(ReLU2)
/** relu6(x). */
MLX_NN_ACTIVATION_LAYER(ReLU6)
/** selu(x). */
MLX_NN_ACTIVATION_LAYER(SELU)
/** silu(x) (swish). */
MLX_NN_ACTIVATION_LAYER(SiLU)
/** sigmoid(x). */
MLX_NN_ACTIVATION_LAYER(Sigmoid)
/** softmin(x) over the last axis. */
MLX_NN_ACTIVATION_LAYER(Softmin)
/** softsign(x). */
MLX_NN_ACTIVATION_LAYER(Softsign)
/** softmax(x) over the last axis. */
MLX_NN_ACTIVATION_LAYER(Softmax)
/** softplus(x). */
MLX_NN_ACTIVATION_LAYER(Softplus)
/** tanh(x). */
MLX_NN_ACTIVATION_LAYER(Tanh)

#undef MLX_NN_ACTIVATION_LAYER

/** celu(x, alpha). */
class CELU : public Module {
public:
  explicit CELU(float alpha = 1.0f) : alpha_(alpha) {}
  std::string name() const override { return "CELU"; }
  std::string describe() const override;
  array operator()(const array& x) override;

private:
  float alpha_;
};

/** elu(x, alpha). */
class ELU : public Module {
public:
  explicit ELU(float alpha = 1.0f) : alpha_(alpha) {}
  std::string name() const override { return "ELU"; }
  std::string describe() const override;
  array operator()(const array& x) override;

private:
  float alpha_;
};

/**
 * approx "none": gelu (exact, through erf); "precise" or its PyTorch alias
 * "tanh": gelu_approx (tanh form); "fast": gelu_fast_approx (x sigmoid(1.702
 * x)). Any other value throws std::invalid_argument.
 */
class GELU : public Module {
public:
  explicit GELU(const std::string& approx = "none");
  std::string name() const override { return "GELU"; }
  std::string describe() const override;
  array operator()(const array& x) override;

private:
  std::string approx_;
};

/** glu(x, axis): a * sigmoid(b) for the halves a, b of `axis`. */
class GLU : public Module {
public:
  explicit GLU(int axis = -1) : axis_(axis) {}
  std::string name() const override { return "GLU"; }
  std::string describe() const override;
  array operator()(const array& x) override;

private:
  int axis_;
};

/** hard_shrink(x, lambd). */
class HardShrink : public Module {
public:
  explicit HardShrink(float lambd = 0.5f) : lambd_(lambd) {}
  std::string name() const override { return "HardShrink"; }
  std::string describe() const override;
  array operator()(const array& x) override;

private:
  float lambd_;
};

/** leaky_relu(x, negative_slope). */
class LeakyReLU : public Module {
public:
  explicit LeakyReLU(float negative_slope = 0.01f)
      : negative_slope_(negative_slope) {}
  std::string name() const override { return "LeakyReLU"; }
  std::string describe() const override;
  array operator()(const array& x) override;

private:
  float negative_slope_;
};

/**
 * prelu(x, weight) with a learnable "weight" of shape (num_parameters),
 * filled with `init`; it broadcasts against x's last (channel) axis, so
 * num_parameters is 1 or the number of channels.
 */
class PReLU : public Module {
public:
  explicit PReLU(int num_parameters = 1, float init = 0.25f);
  std::string name() const override { return "PReLU"; }
  std::string describe() const override;
  array operator()(const array& x) override;
};

/** softshrink(x, lambd). */
class Softshrink : public Module {
public:
  explicit Softshrink(float lambd = 0.5f) : lambd_(lambd) {}
  std::string name() const override { return "Softshrink"; }
  std::string describe() const override;
  array operator()(const array& x) override;

private:
  float lambd_;
};

/** step(x, threshold): 1 where x > threshold, else 0 (int32). */
class Step : public Module {
public:
  explicit Step(float threshold = 0.0f) : threshold_(threshold) {}
  std::string name() const override { return "Step"; }
  std::string describe() const override;
  array operator()(const array& x) override;

private:
  float threshold_;
};

} // namespace mlx::nn
