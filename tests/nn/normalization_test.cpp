// Normalization layers: values against PyTorch / NumPy, BatchNorm running
// statistics in training and eval mode, frozen statistics, parameter names,
// gradients against finite differences and shape errors.
//
// Expected values: /usr/bin/python3 with torch 1.13 and numpy (float64),
// inputs from pattern() below (same formula, rounded to float32); channels
// moved to the front for torch's layers and back.
#include "mlx/nn/layers/normalization.h"

#include <cmath>
#include <sstream>

#include "grad_check.h"
#include "mlx/mlx.h"
#include "test_utils.h"

namespace nn = mlx::nn;
using mx::array;

namespace {

// x_i = s * sin(a * i + b) + 0.1 * i in row-major order, as float32.
array pattern(const mx::Shape& shape, double a, double b, double s) {
  size_t n = 1;
  for (int d : shape) {
    n *= d;
  }
  std::vector<float> v(n);
  for (size_t i = 0; i < n; ++i) {
    v[i] = static_cast<float>(s * std::sin(a * i + b) + 0.1 * i);
  }
  return array(v.begin(), shape, mx::float32);
}

array values(const std::vector<float>& v) {
  return array(v.begin(), {static_cast<int>(v.size())}, mx::float32);
}

std::vector<std::string> keys_of(const mlx::utils::Tree& tree) {
  std::vector<std::string> keys;
  for (auto& [path, leaf] : mlx::utils::tree_flatten(tree)) {
    keys.push_back(path);
  }
  return keys;
}

using Keys = std::vector<std::string>;

// A model with a BatchNorm child, to check freezing through a parent.
class WithBatchNorm : public nn::Module {
public:
  WithBatchNorm() {
    bn = register_module("bn", std::make_shared<nn::BatchNorm>(3));
  }
  std::shared_ptr<nn::BatchNorm> bn;
};

// The layer's output as a function of (x, parameters...) for check_grads,
// float64 throughout.
mlx_test::Fn with_params(nn::Module& layer, std::vector<std::string> keys) {
  return [&layer, keys](const std::vector<array>& a) {
    for (size_t i = 0; i < keys.size(); ++i) {
      layer.set_param(keys[i], a[i + 1]);
    }
    return std::vector<array>{layer(a[0])};
  };
}

} // namespace

// ------------------------------------------------------------------ LayerNorm

TEST(NormalizationTest, LayerNormMatchesTorch) {
  auto x = pattern({2, 3, 4}, 0.7, 0.3, 2.0);
  nn::LayerNorm ln(4);
  ln.set_param("weight", values({1.0f, 1.1f, 1.2f, 1.3f}));
  ln.set_param("bias", values({-0.1f, -0.05f, 0.0f, 0.05f}));
  // torch.nn.functional.layer_norm(x, (4,), w, b, 1e-5)
  expect_array_near(
      ln(x),
      {-1.73308498,  0.381578883, 1.28728037,   0.268408969, 1.5413519,
       -0.141288329, -1.18203711, -0.695331065, -1.61363541, -0.344182451,
       0.876562944,  1.41578634,  1.32545732,   0.389867931, -0.775217205,
       -1.48311979,  -1.4123163,  -0.621254983, 0.611054233, 1.7691553,
       1.06361163,   0.674415116, -0.462803596, -1.81745151},
      {2, 3, 4},
      1e-5,
      1e-5);

  // bias=false: weight only. torch: layer_norm(x, (4,), w, None, 1e-5).
  nn::LayerNorm scale_only(4, 1e-5f, true, false);
  EXPECT_EQ(keys_of(scale_only.parameters()), (Keys{"weight"}));
  scale_only.set_param("weight", values({1.0f, 1.1f, 1.2f, 1.3f}));
  expect_array_near(
      scale_only(x),
      {-1.63308498,   0.431578883, 1.28728037,   0.218408969, 1.6413519,
       -0.0912883286, -1.18203711, -0.745331065, -1.51363541, -0.294182451,
       0.876562944,   1.36578634,  1.42545732,   0.439867931, -0.775217205,
       -1.53311979,   -1.3123163,  -0.571254983, 0.611054233, 1.7191553,
       1.16361163,    0.724415116, -0.462803596, -1.86745151},
      {2, 3, 4},
      1e-5,
      1e-5);
}

TEST(NormalizationTest, LayerNormWithoutAffineOnTransposedInput) {
  nn::LayerNorm ln(4, 1e-5f, false);
  EXPECT_EQ(ln.parameters().num_leaves(), 0u);
  // pattern (4, 3, 2) transposed to (2, 3, 4); torch layer_norm, no affine.
  auto x = mx::transpose(pattern({4, 3, 2}, 0.7, 0.3, 2.0), {2, 1, 0});
  expect_array_near(
      ln(x),
      {-0.290805962, -1.51266783, 0.924022358,    0.879451438,  0.366857072,
       -0.950229788, -0.889902,   1.47327472,     -0.70240543,  1.17641202,
       -1.23957787,  0.765571274, 0.216760476,    -1.48985427,  -0.0427729411,
       1.31586674,   0.089754596, -0.00372575096, -1.45514196,  1.36911311,
       -1.3466691,   1.47569972,  -0.0794513959,  -0.0495792279},
      {2, 3, 4},
      1e-5,
      1e-5);
  // Without affine any feature count is accepted, as in MLX.
  EXPECT_EQ(ln(mx::ones({2, 7})).shape(), (mx::Shape{2, 7}));
}

TEST(NormalizationTest, LayerNormParametersAndDescription) {
  nn::LayerNorm ln(5);
  EXPECT_EQ(keys_of(ln.parameters()), (Keys{"bias", "weight"}));
  expect_array_values(ln.param("weight"), {5}, {1, 1, 1, 1, 1});
  expect_array_values(ln.param("bias"), {5}, {0, 0, 0, 0, 0});
  std::ostringstream os;
  os << ln;
  EXPECT_EQ(os.str(), "LayerNorm(dims=5, eps=1e-05, affine=true, bias=true)");
}

// -------------------------------------------------------------------- RMSNorm

TEST(NormalizationTest, RMSNormMatchesNumpy) {
  auto x = pattern({2, 3, 4}, 0.7, 0.3, 2.0);
  nn::RMSNorm rms(4);
  EXPECT_EQ(keys_of(rms.parameters()), (Keys{"weight"}));
  rms.set_param("weight", values({1.0f, 1.1f, 1.2f, 1.3f}));
  // numpy: x / sqrt(mean(x**2, -1) + 1e-5) * w
  expect_array_near(
      rms(x),
      {0.356075322,  1.18155671,    1.57842964,  1.2929917,    0.50022671,
       -0.824205366, -1.68350554,   -1.43597066, 0.0239122326, 0.76679219,
       1.48336126,   1.83178524,    1.73918779,  1.02212883,   0.12381889,
       -0.413417753, -0.0673029775, 0.48252285,  1.31388164,   2.09789281,
       1.37692752,   1.29621843,    0.921445484, 0.461196377},
      {2, 3, 4},
      1e-5,
      1e-5);
}

// ------------------------------------------------------------------ GroupNorm

namespace {

array group_norm_input() {
  return pattern({2, 2, 3, 6}, 0.45, 0.1, 1.5); // N, H, W, C
}

void set_group_norm_affine(nn::GroupNorm& gn) {
  gn.set_param("weight", values({1.0f, 1.1f, 1.2f, 1.3f, 1.4f, 1.5f}));
  gn.set_param("bias", values({0.0f, 0.02f, 0.04f, 0.06f, 0.08f, 0.1f}));
}

} // namespace

TEST(NormalizationTest, GroupNormPytorchCompatibleMatchesTorch) {
  nn::GroupNorm gn(3, 6, 1e-5f, true, true);
  set_group_norm_affine(gn);
  // torch.nn.GroupNorm(3, 6) on the NCHW permutation, permuted back.
  expect_array_near(
      gn(group_norm_input()),
      {-1.03114049,  -0.584658886,  -0.418991694, -0.129573045, -0.172837836,
       -0.436653362, -0.406456459,  -0.834442722, -1.68489976,  -2.16088653,
       -2.44434829,  -2.42005701,   -1.03642565,  -0.638473101, -0.321141943,
       0.356455918,  0.865774326,   1.27508929,   0.976111943,  0.904930442,
       0.464162431,  -0.0132428053, -0.601066038, -1.01554863,  -0.534730761,
       -0.433774419, -0.334271811,  0.288589626,  0.987898899,  1.83842513,
       1.68269959,   2.09135471,    2.30937543,   2.26323814,   1.82848978,
       1.37598296,   -1.56567885,   -1.98844721,  -2.25149188,  -2.25022342,
       -2.13271034,  -1.64115708,   -0.358112849, 0.203715408,  0.482322426,
       0.796234442,  0.475462555,   0.263751077,  0.227371095,  -0.18376856,
       -0.772672277, -1.12538137,   -1.50570341,  -1.40558737,  -0.378589445,
       0.150965072,  0.601639648,   1.29487727,   1.44482751,   1.82555536,
       1.79183583,   1.75947186,    1.21059494,   0.832473863,  0.0674775922,
       -0.22983248,  0.133599518,   0.34259561,   0.574118986,  1.24046471,
       1.58386393,   2.37310852},
      {2, 2, 3, 6},
      1e-5,
      1e-5);
}

TEST(NormalizationTest, GroupNormDefaultGroupsInterleaveFeatures) {
  nn::GroupNorm gn(3, 6);
  set_group_norm_affine(gn);
  // numpy: MLX's grouping, feature c in group c % 3:
  // x.reshape(N, -1, 3) normalized over axis 1, reshaped back, * w + b.
  expect_array_near(
      gn(group_norm_input()),
      {-1.13318676,   -0.786138133, -0.425480703, 0.0210371728,  -0.0393523742,
       -0.370972865,  -0.492025162, -1.04987812,  -1.6562569,    -1.86695671,
       -2.27827344,   -2.35882411,  -1.13861133,  -0.842959106,  -0.330346508,
       0.472774296,   0.98435881,   1.34460821,   0.927011852,   0.786678914,
       0.433163858,   0.129159717,  -0.461436782, -0.951166251,  -0.623683012,
       -0.626823309,  -0.343111992, 0.40969632,   1.10473126,    1.90920727,
       1.65223747,    2.03939218,   2.22716794,   2.24502324,    1.93326217,
       1.44572813,    -1.56266047,  -2.00119326,  -2.30899643,   -2.20219132,
       -1.96327712,   -1.53442668,  -0.431396838, -0.0117758925, 0.306228945,
       0.889811963,   0.820276331,  0.443601055,  0.117092178,   -0.36342286,
       -0.894325894,  -1.06053257,  -1.29410856,  -1.28981466,   -0.450579581,
       -0.0596475393, 0.420370358,  1.39590965,   1.85482399,    2.06535493,
       1.5827032,     1.40009423,   1.00291004,   0.926593174,   0.384857362,
       -0.0689286226, 0.0292457386, 0.114259778,  0.394043502,   1.34068361,
       2.0032096,     2.63392582},
      {2, 2, 3, 6},
      1e-5,
      1e-5);
  std::ostringstream os;
  os << gn;
  EXPECT_EQ(
      os.str(),
      "GroupNorm(num_groups=3, dims=6, eps=1e-05, affine=true, "
      "pytorch_compatible=false)");
}

TEST(NormalizationTest, GroupNormOnEmptyBatch) {
  nn::GroupNorm gn(2, 4);
  EXPECT_EQ(gn(mx::zeros({0, 3, 4})).shape(), (mx::Shape{0, 3, 4}));
}

// --------------------------------------------------------------- InstanceNorm

TEST(NormalizationTest, InstanceNormMatchesTorch) {
  nn::InstanceNorm plain(4);
  EXPECT_EQ(plain.parameters().num_leaves(), 0u);
  nn::InstanceNorm in(4, 1e-5f, true);
  EXPECT_EQ(keys_of(in.parameters()), (Keys{"bias", "weight"}));
  in.set_param("weight", values({1.0f, 0.9f, 0.8f, 0.7f}));
  in.set_param("bias", values({0.0f, 0.1f, 0.2f, 0.3f}));
  auto x = pattern({2, 3, 2, 4}, 0.9, 0.2, 1.0);
  // torch.nn.InstanceNorm2d(4, affine=True) on the NCHW permutation.
  expect_array_near(
      in(x),
      {-0.7892368,   -0.103120199, -0.0221496881, -0.291174257, -1.21337361,
       -1.5202336,   -1.00202117,  -0.0341481747, 0.760530467,  0.66758935,
       0.0754389201, -0.335157206, -0.787851898,  -0.397109329, 0.426488888,
       0.98530727,   1.58300503,   0.766707902,   0.0230361081, -0.0443332088,
       0.446926806,  1.18616587,   1.69920694,    1.51950558,   -0.881338556,
       -1.26604967,  -1.33189344,  -0.790034054,  -0.420650237, 0.412342819,
       0.561210866,  0.0885713755, -0.933441822,  -0.880683712, -0.316974689,
       0.470858293,  1.0000455,    1.0523626,     0.625680101,  0.0511812817,
       -0.480429989, 0.170812215,  1.07391678,    1.56615851,   1.7158151,
       1.11121575,   0.588060386,  0.41326459},
      {2, 3, 2, 4},
      1e-5,
      1e-5);
}

// ------------------------------------------------------------------ BatchNorm

namespace {

void set_batch_norm_affine(nn::BatchNorm& bn) {
  bn.set_param("weight", values({1.0f, 0.5f, 2.0f}));
  bn.set_param("bias", values({0.0f, 0.1f, -0.2f}));
}

} // namespace

TEST(NormalizationTest, BatchNormTrainingUpdatesRunningStatistics) {
  nn::BatchNorm bn(3);
  EXPECT_TRUE(bn.training());
  EXPECT_EQ(
      keys_of(bn.parameters()),
      (Keys{"bias", "running_mean", "running_var", "weight"}));
  expect_array_values(bn.param("running_mean"), {3}, {0, 0, 0});
  expect_array_values(bn.param("running_var"), {3}, {1, 1, 1});
  set_batch_norm_affine(bn);

  // Step 1: (N, C); outputs from torch.nn.BatchNorm1d(3) in training mode
  // (torch normalizes with the biased variance, as MLX).
  auto y1 = bn(pattern({4, 3}, 0.8, 0.5, 1.0));
  expect_array_near(
      y1,
      {-0.246787857,
       0.277071762,
       0.514911737,
       -0.168762788,
       -0.564670297,
       -3.62501066,
       -1.17501274,
       -0.107843801,
       1.36192659,
       1.59056339,
       0.795442336,
       0.948172339},
      {4, 3},
      1e-5,
      1e-5);
  // Step 2: (N, L, C); torch's BatchNorm1d on the (N, C, L) permutation.
  auto y2 = bn(pattern({2, 3, 3}, 0.3, 0.9, 3.0));
  expect_array_near(
      y2,
      {0.879496361,
       0.706918594,
       2.64125154,
       1.35735329,
       0.732771555,
       1.89121866,
       0.622990075,
       0.216804197,
       -0.585592767,
       -0.643364616,
       -0.387741552,
       -2.65913742,
       -1.35888128,
       -0.560589398,
       -2.50455441,
       -0.857593832,
       -0.108163396,
       0.016814388},
      {2, 3, 3},
      1e-5,
      1e-5);

  // running_mean equals torch's; running_var uses the biased batch
  // variance as MLX (torch's unbiased one gives 1.2797, 1.2628, 1.2551).
  // numpy: r = 0.9 r + 0.1 stat over the two batches.
  expect_array_near(
      bn.param("running_mean"),
      {0.134764922, 0.143213656, 0.138663228},
      {3},
      1e-5,
      1e-6);
  expect_array_near(
      bn.param("running_var"),
      {1.19556629, 1.18229671, 1.17534106},
      {3},
      1e-5,
      1e-6);

  // Eval mode: (N, H, W, C) normalized with the running statistics and
  // left alone. numpy: (x - rm) / sqrt(rv + eps) * w + b.
  bn.eval();
  auto x3 = pattern({2, 2, 2, 3}, 0.5, 0.0, 1.0);
  auto expected3 = std::vector<double>{
      -0.123250366, 0.30058682,  1.46548791,  1.06338435,   0.636209722,
      1.57064282,   0.554546998, 0.19472807,  -0.376113911, -0.19415617,
      0.0530330904, 0.271889902, 0.718677748, 0.730854783,  3.33889768,
      2.10644252,   1.22483045,  4.15337186,  1.89986067,   0.873279906,
      2.23016658,   0.992788907, 0.585955113, 2.17218293};
  expect_array_near(bn(x3), expected3, {2, 2, 2, 3}, 1e-5, 1e-5);
  expect_array_near(bn(x3), expected3, {2, 2, 2, 3}, 1e-5, 1e-5);
  expect_array_near(
      bn.param("running_mean"),
      {0.134764922, 0.143213656, 0.138663228},
      {3},
      1e-5,
      1e-6);
}

TEST(NormalizationTest, BatchNormWithoutRunningStatisticsUsesBatchInEval) {
  nn::BatchNorm bn(3, 1e-5f, 0.1f, true, false);
  EXPECT_EQ(keys_of(bn.parameters()), (Keys{"bias", "weight"}));
  set_batch_norm_affine(bn);
  bn.eval();
  // Same values as the first training step above (batch statistics).
  expect_array_near(
      bn(pattern({4, 3}, 0.8, 0.5, 1.0)),
      {-0.246787857,
       0.277071762,
       0.514911737,
       -0.168762788,
       -0.564670297,
       -3.62501066,
       -1.17501274,
       -0.107843801,
       1.36192659,
       1.59056339,
       0.795442336,
       0.948172339},
      {4, 3},
      1e-5,
      1e-5);

  nn::BatchNorm plain(3, 1e-5f, 0.1f, false, false);
  EXPECT_EQ(plain.parameters().num_leaves(), 0u);
}

TEST(NormalizationTest, BatchNormRunningStatisticsStayFrozen) {
  nn::BatchNorm bn(3);
  EXPECT_EQ(keys_of(bn.trainable_parameters()), (Keys{"bias", "weight"}));
  bn.unfreeze();
  EXPECT_EQ(keys_of(bn.trainable_parameters()), (Keys{"bias", "weight"}));
  bn.unfreeze(true, {"running_mean"});
  EXPECT_EQ(keys_of(bn.trainable_parameters()), (Keys{"bias", "weight"}));
  bn.freeze();
  EXPECT_EQ(keys_of(bn.trainable_parameters()), Keys{});
  bn.unfreeze(false, {"weight"});
  EXPECT_EQ(keys_of(bn.trainable_parameters()), (Keys{"weight"}));

  // Through a parent: unfreezing the model reaches the child's override.
  WithBatchNorm model;
  model.freeze();
  model.unfreeze();
  EXPECT_EQ(
      keys_of(model.trainable_parameters()), (Keys{"bn.bias", "bn.weight"}));
  EXPECT_TRUE(model.bn->is_frozen("running_var"));
}

TEST(NormalizationTest, BatchNormValueAndGradTrainsAffineAndUpdatesStats) {
  nn::BatchNorm bn(3);
  auto x = pattern({4, 3}, 0.8, 0.5, 1.0);
  auto c = pattern({4, 3}, 1.3, 0.2, 1.0);
  auto loss_fn = [&](const array& in) {
    return mx::sum(mx::multiply(bn(in), c));
  };
  auto [loss, grads] = nn::value_and_grad(bn, loss_fn)(x);
  EXPECT_EQ(keys_of(grads), (Keys{"bias", "weight"}));
  // d/db sum(y * c) = sum_n c; d/dw = sum_n xhat * c.
  auto c_sum = mx::sum(c, 0);
  auto xhat = mx::divide(
      mx::subtract(x, mx::mean(x, 0)),
      mx::sqrt(mx::add(mx::var(x, 0), array(1e-5f))));
  auto w_grad = mx::sum(mx::multiply(xhat, c), 0);
  expect_array_near(
      grads.at("bias").as_array(),
      mlx_test::to_doubles(c_sum),
      {3},
      1e-5,
      1e-5);
  expect_array_near(
      grads.at("weight").as_array(),
      mlx_test::to_doubles(w_grad),
      {3},
      1e-5,
      1e-5);
  // The statistics moved by one training step: 0.1 * batch mean.
  expect_array_near(
      bn.param("running_mean"),
      mlx_test::to_doubles(mx::multiply(mx::mean(x, 0), array(0.1f))),
      {3},
      1e-5,
      1e-6);
  EXPECT_FALSE(bn.param("running_mean").is_tracer());
}

TEST(NormalizationTest, HalfInputsFollowTypePromotion) {
  // Without parameters the input type is kept; float32 parameters promote
  // the result to float32, as MLX.
  auto x = mx::astype(pattern({2, 3, 4}, 0.7, 0.3, 2.0), mx::float16);
  nn::LayerNorm plain(4, 1e-5f, false);
  EXPECT_EQ(plain(x).dtype(), mx::float16);
  EXPECT_EQ(nn::LayerNorm(4)(x).dtype(), mx::float32);
  EXPECT_EQ(nn::GroupNorm(2, 4, 1e-5f, false)(x).dtype(), mx::float16);
  EXPECT_EQ(nn::InstanceNorm(4)(x).dtype(), mx::float16);
  auto xb = mx::astype(x, mx::bfloat16);
  EXPECT_EQ(
      nn::BatchNorm(4, 1e-5f, 0.1f, false, false)(xb).dtype(), mx::bfloat16);
  // Values agree with the float32 computation to half precision.
  auto y = plain(x);
  auto y32 = plain(mx::astype(x, mx::float32));
  expect_array_near(y, mlx_test::to_doubles(y32), {2, 3, 4}, 1e-2, 1e-2);
}

// ------------------------------------------------------------------ gradients

TEST(NormalizationTest, GradientsMatchFiniteDifferences) {
  using mlx_test::random_input;
  auto x = random_input({2, 3, 4}, 1, -2, 2);
  auto w = random_input({4}, 2, 0.5, 1.5);
  auto b = random_input({4}, 3);

  nn::LayerNorm ln(4);
  mlx_test::check_grads(
      "LayerNorm", with_params(ln, {"weight", "bias"}), {x, w, b});
  nn::RMSNorm rms(4);
  mlx_test::check_grads("RMSNorm", with_params(rms, {"weight"}), {x, w});

  auto x4 = random_input({2, 2, 3, 4}, 4, -2, 2);
  for (bool torch_groups : {false, true}) {
    nn::GroupNorm gn(2, 4, 1e-5f, true, torch_groups);
    mlx_test::check_grads(
        torch_groups ? "GroupNorm pytorch_compatible" : "GroupNorm",
        with_params(gn, {"weight", "bias"}),
        {x4, w, b});
  }
  nn::InstanceNorm in(4, 1e-5f, true);
  mlx_test::check_grads(
      "InstanceNorm", with_params(in, {"weight", "bias"}), {x4, w, b});

  nn::BatchNorm bn(4);
  mlx_test::check_grads(
      "BatchNorm training", with_params(bn, {"weight", "bias"}), {x4, w, b});
  bn.eval();
  bn.set_param("running_mean", random_input({4}, 5));
  bn.set_param("running_var", random_input({4}, 6, 0.5, 2));
  mlx_test::check_grads(
      "BatchNorm eval", with_params(bn, {"weight", "bias"}), {x4, w, b});
}

// --------------------------------------------------------------------- errors

TEST(NormalizationTest, BadShapesThrowNamingTheLayer) {
  auto x = mx::zeros({2, 5});
  expect_throws_with_prefix(
      [&] { nn::LayerNorm(4)(x); }, "[LayerNorm]", "(2, 5)");
  expect_throws_with_prefix(
      [&] { nn::LayerNorm(4)(array(1.0f)); }, "[LayerNorm]");
  expect_throws_with_prefix([&] { nn::RMSNorm(4)(x); }, "[RMSNorm]", "(2, 5)");
  expect_throws_with_prefix(
      [&] { nn::GroupNorm(2, 4)(x); }, "[GroupNorm]", "(2, 5)");
  expect_throws_with_prefix(
      [&] { nn::GroupNorm(2, 4)(mx::zeros({4})); }, "[GroupNorm]", "(4,)");
  expect_throws_with_prefix(
      [&] { nn::GroupNorm(3, 4); }, "[GroupNorm]", "num_groups (3)");
  expect_throws_with_prefix(
      [&] { nn::InstanceNorm(5)(x); }, "[InstanceNorm]", "(2, 5)");
  expect_throws_with_prefix(
      [&] {
        nn::InstanceNorm(4, 1e-5f, true)(mx::zeros({2, 3, 5}));
      },
      "[InstanceNorm]",
      "(2, 3, 5)");
  expect_throws_with_prefix(
      [&] { nn::BatchNorm(4)(x); }, "[BatchNorm]", "(2, 5)");
  expect_throws_with_prefix(
      [&] { nn::BatchNorm(5)(mx::zeros({5})); }, "[BatchNorm]", "(5,)");
  expect_throws_with_prefix(
      [&] {
        nn::BatchNorm(5)(mx::zeros({1, 2, 2, 2, 5}));
      },
      "[BatchNorm]",
      "(1, 2, 2, 2, 5)");
  expect_throws_with_prefix([&] { nn::LayerNorm(0); }, "[LayerNorm]");
  expect_throws_with_prefix([&] { nn::BatchNorm(-1); }, "[BatchNorm]");
}
