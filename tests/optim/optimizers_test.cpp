// The common optimizers (SGD ... Lion) and Adafactor: the first three
// updates of a small parameter tree against a reference, their options,
// dtypes, laziness and errors.
#include <gtest/gtest.h>

#include <array>
#include <vector>

#include "mlx/optimizers.h"
#include "test_utils.h"

namespace mx = mlx::core;
namespace optim = mlx::optimizers;
using mlx::utils::Tree;

namespace {

// Parameters after an update: w (2x3, row-major) and b (3).
struct Values {
  std::vector<double> w;
  std::vector<double> b;
};
using Updates = std::array<Values, 3>;

// w0, b0 and the gradients of the three updates (the same numbers are in
// the NumPy reference that produced the tables below).
Tree initial_parameters() {
  return Tree{
      {"w", Tree(mx::array({1.0f, -2.0f, 3.0f, 0.5f, -0.25f, 2.0f}, {2, 3}))},
      {"b", Tree(mx::array({0.1f, -0.3f, 0.7f}))}};
}

Tree gradients(int t) {
  const float w[3][6] = {
      {0.5f, -1.0f, 0.25f, 2.0f, 0.1f, -0.3f},
      {-0.2f, 0.4f, 1.5f, 0.3f, -0.6f, 0.05f},
      {1.0f, 1.0f, -1.0f, -0.5f, 0.75f, 0.2f}};
  const float b[3][3] = {
      {0.3f, -0.2f, 0.1f}, {-0.1f, 0.5f, 0.25f}, {0.05f, -0.4f, 0.6f}};
  return Tree{
      {"w", Tree(mx::array(w[t], {2, 3}, mx::float32))},
      {"b", Tree(mx::array(b[t], {3}, mx::float32))}};
}

// Runs three updates through Optimizer::update on a plain tree and
// compares the parameters after each.
void expect_three_updates(
    optim::Optimizer& opt, const Updates& expected, double rtol = 1e-5) {
  Tree params = initial_parameters();
  for (int t = 0; t < 3; ++t) {
    opt.update(params, gradients(t));
    SCOPED_TRACE("update " + std::to_string(t + 1));
    expect_array_near(
        params["w"].as_array(), expected[t].w, {2, 3}, rtol, 1e-6);
    expect_array_near(params["b"].as_array(), expected[t].b, {3}, rtol, 1e-6);
  }
  EXPECT_EQ(opt.step().item<uint64_t>(), 3u);
}

// Expected parameters: tests/optim/optimizer_reference.py (NumPy, float32,
// the update formulas of the mlx.optimizers reference pages). Where PyTorch
// 1.13 uses the same rule (SGD without dampening, RMSprop, Adagrad,
// Adadelta, Adam/AdamW with bias correction) its optim classes agree with
// these numbers to 2.4e-7.
// clang-format off
const Updates kSGD = {{
    {{0.94999999, -1.9, 2.9749999, 0.30000001, -0.25999999, 2.03},
     {0.07, -0.28, 0.69}},
    {{0.96999997, -1.9399999, 2.8249998, 0.27000001, -0.19999999, 2.0249999},
     {0.079999998, -0.33000001, 0.66500002}},
    {{0.86999995, -2.04, 2.9249997, 0.32000002, -0.27499998, 2.0049999},
     {0.074999996, -0.29000002, 0.60500002}},
}};
const Updates kSGDMomentum = {{
    {{0.94999999, -1.9, 2.9749999, 0.30000001, -0.25999999, 2.03},
     {0.07, -0.28, 0.69}},
    {{0.92500001, -1.85, 2.8025, 0.090000018, -0.20899999, 2.052},
     {0.052999996, -0.31200001, 0.65600002}},
    {{0.80250001, -1.905, 2.7472501, -0.048999965, -0.23809999, 2.0518},
     {0.032699995, -0.3008, 0.5654}},
}};
const Updates kSGDWeightDecayDampening = {{
    {{0.95410001, -1.9082, 2.9748001, 0.31954998, -0.258775, 2.0251999},
     {0.072910003, -0.28173, 0.69036996}},
    {{0.92993134, -1.8598627, 2.8144429, 0.12985738, -0.2124396, 2.0415573},
     {0.057463385, -0.31003344, 0.65858161}},
    {{0.81734258, -1.9046851, 2.7575884, 0.0040171593, -0.23804654, 2.0364416},
     {0.039009713, -0.29922751, 0.57537937}},
}};
const Updates kSGDNesterov = {{
    {{0.90499997, -1.8099999, 2.9525001, 0.12, -0.26899999, 2.0569999},
     {0.042999994, -0.26200002, 0.68099999}},
    {{0.90249997, -1.8049999, 2.6472502, -0.098999977, -0.16309999, 2.0718},
     {0.037699994, -0.34080002, 0.62540001}},
    {{0.69224995, -1.9545, 2.6975253, -0.17409995, -0.26428998, 2.05162},
     {0.014429992, -0.29072002, 0.48386002}},
}};
const Updates kRMSprop = {{
    {{0.90000004, -1.9, 2.9000001, 0.40000001, -0.3499999, 2.0999999},
     {3.7252903e-08, -0.20000005, 0.60000008}},
    {{0.93730021, -1.9373002, 2.8013475, 0.38509288, -0.25134718, 2.0834794},
     {0.031766076, -0.2929118, 0.50708836}},
    {{0.84907115, -2.0056827, 2.8564897, 0.40931937, -0.32917291, 2.0281549},
     {0.01600262, -0.23306374, 0.41576704}},
}};
const Updates kRMSpropAlpha = {{
    {{0.96837741, -1.9683774, 2.9683776, 0.46837726, -0.28162178, 2.0316224},
     {0.068377554, -0.26837772, 0.66837823}},
    {{0.98066324, -1.9806632, 2.9371428, 0.46343863, -0.25038719, 2.0261507},
     {0.078860298, -0.29794317, 0.63881296}},
    {{0.95224804, -2.0032854, 2.9551744, 0.47180572, -0.27546245, 2.007513},
     {0.07341785, -0.27836457, 0.60968655}},
}};
const Updates kAdagrad = {{
    {{0.89999998, -1.9, 2.9000001, 0.40000001, -0.34999999, 2.0999999},
     {0, -0.20000002, 0.59999996}},
    {{0.93713903, -1.937139, 2.8013606, 0.38516596, -0.2513606, 2.08356},
     {0.031622779, -0.29284769, 0.50715232}},
    {{0.84909391, -2.0051804, 2.8563049, 0.40916672, -0.32902765, 2.0286157},
     {0.016005401, -0.23321921, 0.41591799}},
}};
const Updates kAdaDelta = {{
    {{0.99683779, -1.9968377, 2.9968381, 0.49683774, -0.25316069, 2.0031621},
     {0.096837901, -0.29683813, 0.69683927}},
    {{0.99857521, -1.9985752, 2.9924209, 0.49613932, -0.24874459, 2.0023885},
     {0.098320276, -0.30101901, 0.69265938}},
    {{0.99435878, -2.0019321, 2.9959593, 0.49730736, -0.25366426, 1.9997795},
     {0.097527951, -0.29727972, 0.68709767}},
}};
const Updates kAdam = {{
    {{0.96837723, -1.9683772, 2.9683774, 0.46837723, -0.28162268, 2.0316226},
     {0.068377256, -0.26837727, 0.66837734}},
    {{0.95369041, -1.9536904, 2.9325054, 0.43552461, -0.25510868, 2.0545082},
     {0.051369622, -0.28716961, 0.62844366}},
    {{0.91957647, -1.9655304, 2.9229023, 0.41440555, -0.26464009, 2.0543344},
     {0.031300135, -0.28188795, 0.58487481}},
}};
const Updates kAdamBiasCorrection = {{
    {{0.99000001, -1.99, 2.99, 0.49000001, -0.25999999, 2.01},
     {0.090000004, -0.29000002, 0.69}},
    {{0.98707676, -1.9870768, 2.9812376, 0.4826009, -0.25329939, 2.01492},
     {0.086514667, -0.29495147, 0.68038833}},
    {{0.97984797, -1.9903611, 2.9798355, 0.47911015, -0.25574735, 2.0139821},
     {0.082907282, -0.2935988, 0.67110014}},
}};
const Updates kAdamW = {{
    {{0.96827722, -1.9681772, 2.9680774, 0.46832722, -0.28159767, 2.0314226},
     {0.068367258, -0.26834726, 0.6683073}},
    {{0.95349354, -1.9532936, 2.9319086, 0.43542776, -0.25505552, 2.054105},
     {0.051352784, -0.28711274, 0.62830681}},
    {{0.91928422, -1.9649382, 2.9220123, 0.41426516, -0.26456141, 2.0537257},
     {0.031278156, -0.28180236, 0.58467513}},
}};
const Updates kAdamWBiasCorrection = {{
    {{0.98900008, -1.988, 2.987, 0.48950008, -0.25974995, 2.0079999},
     {0.089900069, -0.28970009, 0.68930006}},
    {{0.98455513, -1.9825561, 2.9755719, 0.48127988, -0.25325108, 2.0113773},
     {0.085808024, -0.29383248, 0.67921382}},
    {{0.97667921, -1.9829654, 2.9706564, 0.47653234, -0.25492325, 2.009331},
     {0.081667975, -0.29247171, 0.66973329}},
}};
const Updates kAdamax = {{
    {{0.99900001, -1.999, 2.9990001, 0.49900001, -0.25099999, 2.0009999},
     {0.098999999, -0.29900002, 0.699}},
    {{0.99849951, -1.9984994, 2.9978502, 0.49794897, -0.25015, 2.001734},
     {0.098432764, -0.29964003, 0.69764}},
    {{0.99727452, -1.9990494, 2.9974816, 0.49725258, -0.25053799, 2.0017273},
     {0.097754739, -0.2994158, 0.69612998}},
}};
const Updates kLion = {{
    {{0.99000001, -1.99, 2.99, 0.49000001, -0.25999999, 2.01},
     {0.090000004, -0.29000002, 0.69}},
    {{1, -2, 2.98, 0.48000002, -0.24999999, 2},
     {0.1, -0.30000001, 0.68000001}},
    {{0.99000001, -2.01, 2.99, 0.49000001, -0.25999999, 1.99},
     {0.090000004, -0.29000002, 0.67000002}},
}};
const Updates kLionWeightDecay = {{
    {{0.98900002, -1.988, 2.987, 0.48950002, -0.25975001, 2.0080001},
     {0.089900002, -0.28970003, 0.6893}},
    {{0.99801105, -1.9960121, 2.9740131, 0.47901052, -0.24949025, 1.9959922},
     {0.099810101, -0.29941031, 0.67861074}},
    {{0.98701304, -2.0040162, 2.981039, 0.4885315, -0.25924075, 1.9839963},
     {0.089710295, -0.28911093, 0.66793215}},
}};
const Updates kAdafactor = {{
    {{0.99257165, -1.969524, 2.9803925, 0.48318833, -0.2517243, 2.0133126},
     {0.095565289, -0.29556531, 0.69556528}},
    {{0.99616855, -1.9810911, 2.9486279, 0.47784603, -0.23454419, 2.0122643},
     {0.097551227, -0.3007656, 0.69036496}},
    {{0.97878593, -2.002435, 2.9686103, 0.48873326, -0.25459656, 2.0072582},
     {0.096249089, -0.29650715, 0.68421453}},
}};
const Updates kAdafactorOptions = {{
    {{0.99857479, -1.9962555, 2.9958777, 0.49853769, -0.24984871, 1.998762},
     {0.098899998, -0.29870003, 0.6983}},
    {{0.99740064, -1.9933553, 2.9900427, 0.49686548, -0.24869846, 1.9973887},
     {0.098352641, -0.29868373, 0.69551927}},
    {{0.99524003, -1.9917827, 2.9856529, 0.49594185, -0.24879894, 1.9956648},
     {0.097553656, -0.29766783, 0.69154668}},
}};
const Updates kAdafactorWarmup = {{
    {{0.99999964, -1.9999985, 2.999999, 0.49999917, -0.25000009, 2.0000007},
     {0.099999778, -0.2999998, 0.69999975}},
    {{1, -1.9999998, 2.9999955, 0.49999857, -0.24999818, 2.0000007},
     {0.099999979, -0.30000034, 0.69999921}},
    {{0.99999732, -2.0000031, 2.9999986, 0.50000024, -0.25000131, 1.9999999},
     {0.099999778, -0.29999968, 0.69999826}},
}};
// clang-format on

} // namespace

TEST(OptimizersTest, SGD) {
  optim::SGD plain(0.1);
  expect_three_updates(plain, kSGD);
  optim::SGD momentum(0.1, 0.9);
  expect_three_updates(momentum, kSGDMomentum);
  // MLX dampens from the first step (PyTorch does not).
  optim::SGD decay(0.1, 0.9, 0.01, 0.1);
  expect_three_updates(decay, kSGDWeightDecayDampening);
  optim::SGD nesterov(0.1, 0.9, 0.0, 0.0, true);
  expect_three_updates(nesterov, kSGDNesterov);
}

TEST(OptimizersTest, RMSprop) {
  optim::RMSprop defaults(0.01);
  expect_three_updates(defaults, kRMSprop);
  optim::RMSprop options(0.01, 0.9, 1e-6);
  expect_three_updates(options, kRMSpropAlpha);
}

TEST(OptimizersTest, AdagradAndAdaDelta) {
  optim::Adagrad adagrad(0.1);
  expect_three_updates(adagrad, kAdagrad);
  optim::AdaDelta adadelta(1.0);
  expect_three_updates(adadelta, kAdaDelta);
  // u after three updates of b (same reference script).
  expect_array_near(
      adadelta.state()["b"]["u"].as_array(),
      {1.07045764e-06, 3.78121354e-06, 5.47484524e-06},
      {3},
      1e-5,
      1e-12);
}

TEST(OptimizersTest, Adam) {
  optim::Adam adam(0.01);
  expect_three_updates(adam, kAdam);
  // m and v of w after three updates (same reference script).
  auto state = adam.state();
  expect_array_near(
      state["w"]["m"].as_array(),
      {0.122500002,
       0.0550000072,
       0.0552499965,
       0.138999999,
       0.0291000009,
       0.000200001523},
      {2, 3},
      1e-5,
      1e-9);
  expect_array_near(
      state["w"]["v"].as_array(),
      {0.00128946034,
       0.00215784111,
       0.00331012486,
       0.00433191424,
       0.00093212002,
       0.000132317597},
      {2, 3},
      1e-5,
      1e-12);
  optim::Adam corrected(0.01, {0.8, 0.99}, 1e-8, true);
  expect_three_updates(corrected, kAdamBiasCorrection);
}

TEST(OptimizersTest, AdamW) {
  optim::AdamW defaults(0.01); // weight_decay = 0.01
  expect_three_updates(defaults, kAdamW);
  optim::AdamW corrected(0.01, {0.9, 0.999}, 1e-8, 0.1, true);
  expect_three_updates(corrected, kAdamWBiasCorrection);
}

TEST(OptimizersTest, AdamaxAndLion) {
  optim::Adamax adamax(0.01);
  expect_three_updates(adamax, kAdamax);
  optim::Lion lion(0.01);
  expect_three_updates(lion, kLion);
  optim::Lion decayed(0.01, {0.9, 0.99}, 0.1);
  expect_three_updates(decayed, kLionWeightDecay);
}

TEST(OptimizersTest, Adafactor) {
  optim::Adafactor defaults;
  expect_three_updates(defaults, kAdafactor);
  // Factored state of w, full state of b (same reference script).
  auto state = defaults.state();
  EXPECT_FALSE(state["w"].contains("exp_avg_sq"));
  EXPECT_FALSE(state["w"].contains("exp_avg"));
  expect_array_near(
      state["w"]["exp_avg_sq_row"].as_array(),
      {0.798419297, 0.50882256},
      {2},
      1e-5);
  expect_array_near(
      state["w"]["exp_avg_sq_col"].as_array(),
      {0.810274601, 0.53742671, 0.613161445},
      {3},
      1e-5);
  expect_array_near(
      state["b"]["exp_avg_sq"].as_array(),
      {0.0267978366, 0.160358652, 0.172967613},
      {3},
      1e-5);

  optim::Adafactor options(
      0.01, {1e-30, 1e-3}, 1.0, -0.8, 0.9, 0.1, false, false, false);
  expect_three_updates(options, kAdafactorOptions);
  EXPECT_TRUE(options.state()["w"].contains("exp_avg"));
  optim::Adafactor warmup(
      std::nullopt,
      {1e-30, 1e-3},
      0.5,
      -0.8,
      std::nullopt,
      0.0,
      true,
      true,
      true);
  expect_three_updates(warmup, kAdafactorWarmup);
  // Without a learning rate there is none in the state.
  EXPECT_FALSE(warmup.state().contains("learning_rate"));
}

TEST(OptimizersTest, AdafactorFactorsBatchedParameters) {
  // A 3-D parameter: the row state drops the last dim, the column state
  // the one before it; the update keeps the parameter's shape.
  optim::Adafactor opt;
  Tree params{{"w", Tree(mx::ones({2, 3, 4}, mx::float32))}};
  Tree grads{{"w", Tree(mx::full({2, 3, 4}, 0.5f, mx::float32))}};
  opt.update(params, grads);
  auto state = opt.state();
  EXPECT_EQ(state["w"]["exp_avg_sq_row"].as_array().shape(), mx::Shape({2, 3}));
  EXPECT_EQ(state["w"]["exp_avg_sq_col"].as_array().shape(), mx::Shape({2, 4}));
  // Uniform gradient: the factored estimate is exact, u = sign(g) = 1,
  // RMS(u) = 1, lr = 1e-2 max(1e-3, RMS(w) = 1): w = 1 - 0.01.
  expect_array_near(
      params["w"].as_array(), std::vector<double>(24, 0.99), {2, 3, 4}, 1e-6);
}

TEST(OptimizersTest, NegativeLearningRateAscends) {
  // MLX accepts any learning rate; a negative one climbs the gradient.
  optim::SGD opt(-0.1);
  Tree params = initial_parameters();
  opt.update(params, gradients(0));
  expect_array_near(
      params["b"].as_array(), {0.13, -0.32, 0.71}, {3}, 1e-6, 1e-7);
}

TEST(OptimizersTest, HalfPrecisionParametersStayHalf) {
  optim::Adam opt(0.01);
  Tree params{
      {"w",
       Tree(mx::astype(initial_parameters()["w"].as_array(), mx::float16))}};
  Tree grads{
      {"w", Tree(mx::astype(gradients(0)["w"].as_array(), mx::float16))}};
  opt.update(params, grads);
  auto& w = params["w"].as_array();
  EXPECT_EQ(w.dtype(), mx::float16);
  EXPECT_EQ(opt.state()["w"]["m"].as_array().dtype(), mx::float16);
  // NumPy float16 arithmetic of the first Adam update.
  expect_array_near(
      w,
      {0.968261719, -1.96875, 2.96875, 0.468261719, -0.281494141, 2.03125},
      {2, 3},
      2e-3,
      2e-3);
}

TEST(OptimizersTest, UpdatesAreLazy) {
  optim::Adam opt(0.01);
  Tree params = initial_parameters();
  mx::eval(params["w"].as_array(), params["b"].as_array());
  opt.update(params, gradients(0));
  auto w = params["w"].as_array();
  auto m = opt.state()["w"]["m"].as_array();
  EXPECT_FALSE(w.is_available());
  EXPECT_FALSE(m.is_available());
  EXPECT_FALSE(opt.step().is_available());
  mx::eval(w, m, opt.step());
  EXPECT_TRUE(w.is_available());
  expect_array_near(w, kAdam[0].w, {2, 3}, 1e-5, 1e-6);
}

TEST(OptimizersTest, BadSettingsRaise) {
  expect_throws_with_prefix(
      [] { optim::SGD(0.1, 0.0, 0.0, 0.0, true); }, "[SGD]", "Nesterov");
  expect_throws_with_prefix(
      [] { optim::SGD(0.1, 0.9, 0.0, 0.5, true); }, "[SGD]", "dampening=0.5");
  expect_throws_with_prefix(
      [] { optim::RMSprop(0.1, -0.5); }, "[RMSprop]", "alpha");
  expect_throws_with_prefix(
      [] { optim::RMSprop(0.1, 0.9, -1e-8); }, "[RMSprop]", "eps");
  expect_throws_with_prefix(
      [] { optim::Adagrad(0.1, -1.0); }, "[Adagrad]", "-1");
  expect_throws_with_prefix(
      [] { optim::AdaDelta(0.1, -0.1); }, "[AdaDelta]", "rho");
  expect_throws_with_prefix(
      [] {
        optim::Adam(0.1, {1.0, 0.999});
      },
      "[Adam]",
      "(1, 0.999)");
  expect_throws_with_prefix(
      [] {
        optim::AdamW(0.1, {0.9, -0.1});
      },
      "[AdamW]",
      "betas");
  expect_throws_with_prefix(
      [] {
        optim::Adamax(0.1, {0.9, 0.999}, -1.0);
      },
      "[Adamax]",
      "eps");
  expect_throws_with_prefix(
      [] {
        optim::Lion(0.1, {0.9, 1.5});
      },
      "[Lion]",
      "1.5");
  expect_throws_with_prefix(
      [] {
        optim::Adafactor(
            std::nullopt,
            {1e-30, 1e-3},
            1.0,
            -0.8,
            std::nullopt,
            0.0,
            true,
            false);
      },
      "[Adafactor]",
      "relative_step");
  expect_throws_with_prefix(
      [] {
        optim::Adafactor(std::nullopt, {1e-30, 1e-3}, 0.0);
      },
      "[Adafactor]",
      "clip_threshold");
}

TEST(OptimizersTest, MismatchedTreesRaise) {
  optim::Adam opt(0.01);
  auto params = initial_parameters();
  // A gradient without a parameter.
  Tree extra = gradients(0);
  extra["c"] = Tree(mx::zeros({3}, mx::float32));
  expect_throws_with_prefix(
      [&] { opt.apply_gradients(extra, params); }, "[Adam", "\"c\"");
  // A gradient of another shape.
  Tree wrong{{"w", Tree(mx::zeros({3, 2}, mx::float32))}};
  expect_throws_with_prefix(
      [&] { opt.apply_gradients(wrong, params); }, "[Adam", "(3, 2)");
  // A leaf where the parameters hold a dict.
  Tree nested{{"w", Tree{{"x", Tree(mx::zeros({2}, mx::float32))}}}};
  expect_throws_with_prefix(
      [&] { opt.apply_gradients(nested, params); }, "[Adam", "w");
  // A list longer than the parameters'.
  Tree list_params{{"layers", Tree(Tree::List{Tree(mx::zeros({2}))})}};
  Tree list_grads{
      {"layers", Tree(Tree::List{Tree(mx::zeros({2})), Tree(mx::zeros({2}))})}};
  expect_throws_with_prefix(
      [&] { opt.apply_gradients(list_grads, list_params); }, "[Adam", "layers");
}
