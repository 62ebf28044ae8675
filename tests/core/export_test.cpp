// export_function / exporter / import_function: functions exported here
// are imported in a second process (export_runner), whose outputs must be
// bit-identical to calling the function here; corrupt and truncated files
// raise; unsupported primitives and shape mismatches raise clearly.
#include <cstdlib>
#include <optional>
#include <random>
#include <set>

#include "io_test_utils.h"
#include "mlx/export/export_impl.h"
#include "mlx/io/zip.h"
#include "mlx/mlx.h"
#include "mlx/primitives/primitives.h"

using namespace io_test;

namespace {

// Deterministic values in [-1, 1] without the random module.
mx::array wave(const mx::Shape& shape, float phase) {
  int n = static_cast<int>(mx::shape_size(shape));
  auto a = mx::reshape(
      mx::sin(mx::add(
          mx::multiply(mx::arange(n, mx::float32), mx::array(0.7f)),
          mx::array(phase))),
      shape);
  a.eval();
  return a;
}

class ExportTest : public IoTest {
protected:
  // Runs export_runner on `file` with the inputs (saved as .npy; a
  // non-empty name makes a keyword input) and returns its outputs.
  std::vector<mx::array> run_in_other_process(
      const std::string& file,
      const std::vector<std::pair<std::string, mx::array>>& inputs,
      size_t num_outputs) {
    std::string cmd = std::string("timeout 60 ") + MLX_EXPORT_RUNNER + " " +
                      file + " " + dir_.string();
    for (size_t i = 0; i < inputs.size(); ++i) {
      std::string npy = path("in" + std::to_string(i) + ".npy");
      mx::save(npy, inputs[i].second);
      cmd += " " + (inputs[i].first.empty() ? "" : inputs[i].first + "=") + npy;
    }
    cmd += " > " + path("runner.log") + " 2>&1";
    int status = std::system(cmd.c_str());
    auto log = read_bytes(path("runner.log"));
    EXPECT_EQ(status, 0) << std::string(log.begin(), log.end());
    std::vector<mx::array> outputs;
    for (size_t k = 0; k < num_outputs; ++k) {
      outputs.push_back(mx::load(path("out" + std::to_string(k) + ".npy")));
    }
    return outputs;
  }
};

// Linear(8 -> 16) + relu + Linear(16 -> 4), the weights captured.
std::vector<mx::array> mlp(const mx::Args& args) {
  static const mx::array w1 = wave({16, 8}, 0.1f);
  static const mx::array b1 = wave({16}, 0.2f);
  static const mx::array w2 = wave({4, 16}, 0.3f);
  static const mx::array b2 = wave({4}, 0.4f);
  auto h = mx::addmm(b1, args[0], mx::transpose(w1));
  h = mx::maximum(h, mx::array(0.0f));
  return {mx::addmm(b2, h, mx::transpose(w2))};
}

// Every output bit-identical to the expected one, in order; `where` names
// the side in failures.
void expect_outputs_same(
    const std::vector<mx::array>& got,
    const std::vector<mx::array>& want,
    const std::string& where = "output ") {
  ASSERT_EQ(got.size(), want.size());
  for (size_t k = 0; k < got.size(); ++k) {
    SCOPED_TRACE(where + std::to_string(k));
    expect_same(got[k], want[k]);
  }
}

// A compiled (fused) function: its Compiled primitive cannot be exported.
std::vector<mx::array> fused_exp_plus_one(const mx::Args& a) {
  static auto fused = mx::compile([](const mx::Args& x) {
    return std::vector<mx::array>{
        mx::add(mx::exp(mx::multiply(x[0], x[0])), mx::array(1.0f))};
  });
  return fused(a);
}

} // namespace

TEST_F(ExportTest, MlpForwardIsBitIdenticalInAnotherProcess) {
  auto x = wave({5, 8}, 1.0f);
  auto file = path("mlp.mlxfn");
  mx::export_function(file, mlp, {x});
  auto got = run_in_other_process(file, {{"", x}}, 1);
  expect_same(got[0], mlp({x})[0]);
  // And imported here.
  expect_same(mx::import_function(file)({x})[0], mlp({x})[0]);
}

TEST_F(ExportTest, SeveralOutputsComeBackInOrder) {
  auto fun = [](const mx::Args& a) -> std::vector<mx::array> {
    return {mx::add(a[0], a[1]), mx::multiply(a[0], a[1]), mx::sum(a[0])};
  };
  auto file = path("three.mlxfn");
  mx::array x({1.0f, 2.0f, 3.0f});
  mx::array y({10.0f, 20.0f, 30.0f});
  mx::export_function(file, fun, {x, y});
  auto got = run_in_other_process(file, {{"", x}, {"", y}}, 3);
  // Closed forms: x + y, x * y, 1 + 2 + 3.
  expect_same(got[0], mx::array({11.0f, 22.0f, 33.0f}));
  expect_same(got[1], mx::array({10.0f, 40.0f, 90.0f}));
  expect_same(got[2], mx::array(6.0f));
}

TEST_F(ExportTest, KeywordInputsAreMatchedByName) {
  auto fun = [](const mx::Args& a, const mx::Kwargs& k) {
    return std::vector<mx::array>{
        mx::add(mx::multiply(a[0], k.at("scale")), k.at("bias"))};
  };
  auto file = path("kwargs.mlxfn");
  mx::array x({1, 2, 3});
  mx::array scale({2, 2, 2});
  mx::array bias({0, 10, 100});
  mx::export_function(file, fun, {x}, {{"scale", scale}, {"bias", bias}});
  // Given in another order: names, not positions, decide.
  auto got = run_in_other_process(
      file, {{"", x}, {"bias", bias}, {"scale", scale}}, 1);
  expect_same(got[0], mx::array({2, 14, 106}));
  auto imported = mx::import_function(file);
  expect_error<std::invalid_argument>(
      [&] {
        imported({x}, {{"scale", scale}});
      },
      "[import_function]",
      "keyword inputs (scale)");
}

TEST_F(ExportTest, ExporterKeepsOneTracePerShape) {
  auto file = path("two_shapes.mlxfn");
  {
    auto e = mx::exporter(file, mlp, false, "two traces");
    e({wave({2, 8}, 0.5f)});
    e({wave({7, 8}, 0.6f)});
    e.close();
  }
  auto x2 = wave({2, 8}, 2.0f);
  auto x7 = wave({7, 8}, 3.0f);
  expect_same(run_in_other_process(file, {{"", x2}}, 1)[0], mlp({x2})[0]);
  expect_same(run_in_other_process(file, {{"", x7}}, 1)[0], mlp({x7})[0]);
  auto imported = mx::import_function(file);
  EXPECT_EQ(imported.metadata(), "two traces");
  expect_error<std::invalid_argument>(
      [&] {
        imported({wave({3, 8}, 0.0f)});
      },
      "[import_function] No trace",
      "float32(3, 8)");
}

TEST_F(ExportTest, TracesShareTheirConstants) {
  // A captured 128 x 128 float32 weight (64 KiB), far larger than a graph.
  auto w = wave({128, 128}, 0.5f);
  size_t weight_bytes = 128 * 128 * 4;
  auto fun = [w](const mx::Args& a) -> std::vector<mx::array> {
    return {mx::matmul(a[0], w)};
  };
  auto one = path("one.mlxfn"), three = path("three.mlxfn");
  mx::export_function(one, fun, {wave({2, 128}, 0.5f)});
  {
    auto e = mx::exporter(three, fun);
    for (int rows : {2, 5, 7}) {
      e({wave({rows, 128}, 0.5f)});
    }
  }
  size_t one_size = read_bytes(one).size();
  size_t three_size = read_bytes(three).size();
  EXPECT_GE(one_size, weight_bytes);
  // Two more traces add their graphs, not the weight again.
  EXPECT_LT(three_size - one_size, weight_bytes / 16);
  auto imported = mx::import_function(three);
  for (int rows : {2, 5, 7}) {
    auto x = wave({rows, 128}, 1.5f);
    expect_same(imported({x})[0], fun({x})[0]);
  }
}

TEST_F(ExportTest, CallbackReportsEachTrace) {
  auto w = wave({3, 4}, 0.1f);
  auto b = wave({4}, 0.2f);
  auto fun = [w, b](const mx::Args& a, const mx::Kwargs& k) {
    auto y = mx::addmm(b, a[0], w, 2.0f, 0.5f);
    return std::vector<mx::array>{mx::reshape(mx::add(y, k.at("z")), {-1})};
  };
  std::vector<mx::ExportCallbackInput> events;
  {
    auto e = mx::exporter(
        [&](const mx::ExportCallbackInput& in) { events.push_back(in); }, fun);
    e({wave({2, 3}, 0.0f)}, {{"z", wave({2, 4}, 0.3f)}});
    e({wave({5, 3}, 0.0f)}, {{"z", wave({5, 4}, 0.3f)}});
  }
  using Values = std::vector<std::tuple<std::string, mx::Shape, mx::Dtype>>;
  using Named = std::vector<std::pair<std::string, std::string>>;
  using Constants = std::vector<std::pair<std::string, mx::array>>;
  auto type = [&](size_t i) {
    return std::get<std::string>(events[i].at("type"));
  };
  // Per trace: inputs, keyword_inputs, outputs, constants, then the five
  // nodes: Reshape and Broadcast (addmm's bias), AddMM, Add, Reshape.
  std::string nodes;
  for (auto& e : events) {
    if (e.count("name")) {
      nodes += std::get<std::string>(e.at("name")) + " ";
    }
  }
  ASSERT_EQ(events.size(), 18u) << nodes;
  EXPECT_EQ(
      nodes,
      "Reshape Broadcast AddMM Add Reshape Reshape Broadcast AddMM Add "
      "Reshape ");
  std::vector<std::string> first_types = {
      "inputs", "keyword_inputs", "outputs", "constants"};
  for (size_t i = 0; i < events.size(); ++i) {
    EXPECT_EQ(type(i), i % 9 < 4 ? first_types[i % 9] : "primitive") << i;
  }
  auto inputs = std::get<Values>(events[0].at("inputs"));
  ASSERT_EQ(inputs.size(), 2u);
  EXPECT_EQ(std::get<0>(inputs[0]), "x0");
  EXPECT_EQ(std::get<1>(inputs[0]), mx::Shape({2, 3}));
  EXPECT_EQ(std::get<1>(inputs[1]), mx::Shape({2, 4}));
  EXPECT_EQ(std::get<2>(inputs[1]), mx::float32);
  EXPECT_EQ(std::get<Named>(events[1].at("keywords")), Named({{"z", "x1"}}));
  auto outputs = std::get<Values>(events[2].at("outputs"));
  ASSERT_EQ(outputs.size(), 1u);
  EXPECT_EQ(std::get<1>(outputs[0]), mx::Shape({8}));
  // The weights come with the first trace only; both traces name them alike.
  auto constants = std::get<Constants>(events[3].at("constants"));
  ASSERT_EQ(constants.size(), 2u);
  EXPECT_TRUE(std::get<Constants>(events[12].at("constants")).empty());
  std::set<std::string> constant_names;
  for (auto& [name, value] : constants) {
    constant_names.insert(name);
    EXPECT_TRUE(
        mx::array_equal(value, w).item<bool>() ||
        mx::array_equal(value, b).item<bool>());
  }
  EXPECT_EQ(constant_names, std::set<std::string>({"c0", "c1"}));
  // AddMM(b, x0, w) with its alpha and beta; Reshape with its shape.
  auto& addmm = events[6];
  EXPECT_EQ(std::get<std::string>(addmm.at("name")), "AddMM");
  auto addmm_inputs = std::get<Values>(addmm.at("inputs"));
  ASSERT_EQ(addmm_inputs.size(), 3u);
  EXPECT_EQ(std::get<0>(addmm_inputs[1]), "x0");
  // The bias comes broadcast (a node's output), the weight as it was.
  EXPECT_EQ(std::get<0>(addmm_inputs[0])[0], 'v');
  EXPECT_TRUE(constant_names.count(std::get<0>(addmm_inputs[2])));
  auto args = std::get<std::vector<mx::StateT>>(addmm.at("arguments"));
  ASSERT_EQ(args.size(), 2u);
  EXPECT_EQ(std::get<float>(args[0]), 2.0f);
  EXPECT_EQ(std::get<float>(args[1]), 0.5f);
  auto& reshape = events[17];
  EXPECT_EQ(std::get<std::string>(reshape.at("name")), "Reshape");
  auto shape_args = std::get<std::vector<mx::StateT>>(reshape.at("arguments"));
  ASSERT_EQ(shape_args.size(), 1u);
  ASSERT_EQ(shape_args[0].index(), 6u); // Shape
  EXPECT_EQ(std::get<6>(shape_args[0]), mx::Shape({20}));
  EXPECT_EQ(
      std::get<1>(std::get<Values>(reshape.at("outputs"))[0]), mx::Shape({20}));
  // Unexportable primitives raise as with a file; an empty callback too.
  expect_error<std::invalid_argument>(
      [&] {
        mx::export_function(
            [](const mx::ExportCallbackInput&) {},
            [](const mx::Args& a) { return fused_exp_plus_one(a); },
            {mx::eye(2)});
      },
      "[export_function]",
      "cannot be exported yet");
  expect_error<std::invalid_argument>(
      [&] { mx::exporter(mx::ExportCallback{}, fun); },
      "[export_function]",
      "callback is empty");
}

TEST_F(ExportTest, QuantizedModelsRoundTrip) {
  // A 4-bit affine linear layer, an mxfp4 one, a dequantized weight and a
  // mixture-of-experts product on packed experts, weights captured packed.
  auto w = wave({32, 64}, 0.1f);
  auto q4 = mx::quantize(w, 32, 4);
  auto qfp4 = mx::quantize(w, 32, 4, "mxfp4");
  auto experts = mx::quantize(wave({3, 16, 64}, 0.2f), 64, 8);
  mx::eval(q4);
  mx::eval(qfp4);
  mx::eval(experts);
  auto fun = [&](const mx::Args& a) -> std::vector<mx::array> {
    auto x = a[0]; // (4, 64)
    auto y = mx::quantized_matmul(x, q4[0], q4[1], q4[2], true, 32, 4);
    auto z = mx::quantized_matmul(
        x, qfp4[0], qfp4[1], std::nullopt, true, 32, 4, "mxfp4");
    auto d = mx::dequantize(q4[0], q4[1], q4[2], 32, 4);
    auto e = mx::gather_qmm(
        mx::expand_dims(x, 1),
        experts[0],
        experts[1],
        experts[2],
        std::nullopt,
        a[1],
        true,
        64,
        8);
    return {y, z, mx::sum(d, 1), e};
  };
  auto x = wave({4, 64}, 0.7f);
  mx::array idx({2u, 0u, 1u, 2u}, mx::uint32);
  auto file = path("quantized.mlxfn");
  mx::export_function(file, fun, {x, idx});
  auto want = fun({x, idx});
  auto got = mx::import_function(file)({x, idx});
  expect_outputs_same(got, want);
  auto other = run_in_other_process(file, {{"", x}, {"", idx}}, 4);
  expect_outputs_same(other, want, "other process, output ");
}

TEST_F(ExportTest, VersionOneFilesStillLoad) {
  // Version 1 of the format (docs/export_format.md) held each trace's
  // constants inline. A file of f(x) = x + c, c = [0.5, -2], laid out by
  // hand.
  mx::export_detail::FieldWriter body;
  body.str("v1");
  body.boolean(false);
  body.count(1); // traces
  body.count(1); // positional inputs
  body.count(0); // keyword inputs
  body.count(3); // values: x, c, x + c
  for (int v = 0; v < 3; ++v) {
    body.dtype(mx::float32);
    body.ints({2});
  }
  body.count(1); // constants
  body.u32(1);
  body.u64(8);
  body.f32(0.5f);
  body.f32(-2.0f);
  body.count(1); // nodes
  body.str("Add");
  body.ints({0, 1});
  body.ints({2});
  body.str("");
  body.ints({2}); // outputs
  mx::export_detail::FieldWriter file;
  file.raw("MLXFN\r\n\0", 8);
  file.u32(1);
  file.u64(body.bytes().size());
  file.u32(mx::io::crc32_update(0, body.bytes().data(), body.bytes().size()));
  file.raw(body.bytes().data(), body.bytes().size());
  const std::string& bytes = file.bytes();
  auto name = put("v1.mlxfn", Bytes(bytes.begin(), bytes.end()));
  auto imported = mx::import_function(name);
  EXPECT_EQ(imported.metadata(), "v1");
  auto got = imported({mx::array({1.0f, 3.0f})})[0];
  expect_same(got, mx::array({1.5f, 1.0f}));
}

TEST_F(ExportTest, TransformerBlockRoundTrips) {
  // Embedding, RMS norm, causal attention, a GELU MLP, layer norm, softmax.
  auto block = [](const mx::Args& a) -> std::vector<mx::array> {
    static const mx::array table = wave({11, 8}, 0.9f);
    static const mx::array w = wave({8, 8}, 1.1f);
    auto h = mx::take(table, a[0], 0); // [T, 8]
    h = mx::fast::rms_norm(h, std::nullopt, 1e-5f);
    auto q = mx::reshape(mx::matmul(h, w), {1, 2, 3, 4}); // [1, heads, T, 4]
    q = mx::fast::rope(q, 4, false, 10000.0f, 1.0f, 0);
    auto att = mx::fast::scaled_dot_product_attention(q, q, q, 0.5f, "causal");
    h = mx::reshape(mx::transpose(att, {0, 2, 1, 3}), {3, 8});
    auto g = mx::multiply(
        h, mx::add(mx::array(1.0f), mx::erf(mx::multiply(h, mx::array(0.7f)))));
    g = mx::fast::layer_norm(g, std::nullopt, std::nullopt, 1e-5f);
    auto cat = mx::concatenate({g, mx::slice(h, {0, 0}, {3, 2})}, 1);
    return {mx::softmax(cat, -1), mx::argmax(cat, 1), mx::cumsum(cat, 0)};
  };
  mx::array tokens({3, 1, 4}, mx::int32);
  auto file = path("block.mlxfn");
  mx::export_function(file, block, {tokens});
  auto want = block({tokens});
  auto got = run_in_other_process(file, {{"", tokens}}, 3);
  for (int k = 0; k < 3; ++k) {
    expect_same(got[k], want[k]);
  }
}

TEST_F(ExportTest, GatherMMRoundTrips) {
  // A mixture-of-experts product: each token through its chosen expert.
  auto moe = [](const mx::Args& a) -> std::vector<mx::array> {
    static const mx::array experts = wave({4, 8, 5}, 1.3f);
    return {mx::gather_mm(a[0], experts, std::nullopt, a[1])};
  };
  auto x = wave({6, 1, 8}, 0.2f);
  mx::array choice({0, 3, 1, 1, 2, 0}, mx::int32);
  auto file = path("moe.mlxfn");
  mx::export_function(file, moe, {x, choice});
  expect_same(
      run_in_other_process(file, {{"", x}, {"", choice}}, 1)[0],
      moe({x, choice})[0]);
  // Its gradients (GatherMMScatterAdd) too.
  auto grads = [&](const mx::Args& a) {
    auto [out, g] = mx::vjp(
        [&](const std::vector<mx::array>& p) {
          return moe({p[0], a[1]});
        },
        {a[0]},
        {mx::ones({6, 1, 5})});
    return g;
  };
  auto grad_file = path("moe_grad.mlxfn");
  mx::export_function(grad_file, grads, {x, choice});
  expect_same(
      run_in_other_process(grad_file, {{"", x}, {"", choice}}, 1)[0],
      grads({x, choice})[0]);
}

TEST_F(ExportTest, ShapelessElementwiseTakesOtherShapes) {
  auto fun = [](const mx::Args& a) {
    return std::vector<mx::array>{mx::multiply(mx::exp(a[0]), a[1])};
  };
  auto file = path("shapeless.mlxfn");
  mx::export_function(
      file, fun, {wave({2, 3}, 0.0f), wave({2, 3}, 1.0f)}, true);
  auto x = wave({4, 5}, 2.0f);
  auto y = wave({4, 5}, 3.0f);
  auto got = run_in_other_process(file, {{"", x}, {"", y}}, 1);
  expect_same(got[0], fun({x, y})[0]);
  // The rank and dtypes still have to match.
  expect_error<std::invalid_argument>(
      [&] {
        mx::import_function(file)({wave({6}, 0.0f), wave({6}, 0.0f)});
      },
      "[import_function] No trace",
      "float32(6,)");
  // Matmul cannot infer its output shape: no shapeless export.
  expect_error<std::invalid_argument>(
      [&] {
        mx::export_function(path("mm.mlxfn"), mlp, {wave({2, 8}, 0)}, true);
      },
      "[export_function] A shapeless export",
      "shapeless = false");
}

TEST_F(ExportTest, UnsupportedPrimitiveIsNamed) {
  auto fun = [](const mx::Args& a) { return fused_exp_plus_one(a); };
  auto file = path("fused.mlxfn");
  expect_error<std::invalid_argument>(
      [&] { mx::export_function(file, fun, {mx::eye(3)}); },
      "[export_function] primitive Compiled",
      "cannot be exported yet");
  EXPECT_FALSE(fs::exists(file));
}

TEST_F(ExportTest, EveryExportablePrimitiveHasADistinctName) {
  auto names = mx::export_detail::exportable_primitives();
  // Closed form: 35 unary ops + 25 binary + 6 reductions + 2 arg-reductions +
  // 5 scans + 48 other primitives.
  EXPECT_EQ(names.size(), 35u + 25u + 6u + 2u + 5u + 48u)
      << "update docs/ops.md's list when this changes";
}

// ---------------------------------------------------------------------------
// Damaged files: every truncation and byte flip raises, never crashes.

namespace {

constexpr size_t kHeaderBytes = 24; // magic, version, length, CRC-32

// The CRC-32 in the header made to match the (altered) body again, as a
// crafted file would have it.
void fix_checksum(Bytes& bytes) {
  uint32_t crc = mx::io::crc32_update(
      0, bytes.data() + kHeaderBytes, bytes.size() - kHeaderBytes);
  mx::io::put_u32(bytes.data() + 20, crc);
}

} // namespace

TEST_F(ExportTest, TruncatedFilesRaise) {
  auto file = path("mlp.mlxfn");
  mx::export_function(file, mlp, {wave({2, 8}, 0.0f)});
  auto bytes = read_bytes(file);
  std::string cut = path("cut.mlxfn");
  size_t step = std::max<size_t>(1, bytes.size() / 300);
  for (size_t n = 0; n < bytes.size(); n += step) {
    put("cut.mlxfn", Bytes(bytes.begin(), bytes.begin() + n));
    expect_error<std::runtime_error>(
        [&] { mx::import_function(cut); }, "[import_function] " + cut, "");
  }
}

TEST_F(ExportTest, FlippedBytesRaise) {
  auto file = path("mlp.mlxfn");
  mx::export_function(file, mlp, {wave({2, 8}, 0.0f)});
  auto bytes = read_bytes(file);
  std::mt19937 rng(1234);
  std::string bad = path("bad.mlxfn");
  for (int trial = 0; trial < 300; ++trial) {
    Bytes b = bytes;
    size_t at = rng() % b.size();
    b[at] ^= static_cast<uint8_t>(1 + rng() % 255);
    put("bad.mlxfn", b);
    expect_error<std::runtime_error>(
        [&] { mx::import_function(bad); }, "[import_function] " + bad, "");
  }
}

TEST_F(ExportTest, CraftedFieldsWithAValidChecksumRaiseOrLoad) {
  // Flips the checksum does not catch reach the field checks: every count,
  // index and length is bounded, so the reader raises or builds a table
  // and never reads past its buffer.
  auto file = path("mlp.mlxfn");
  auto x = wave({2, 8}, 0.0f);
  mx::export_function(file, mlp, {x});
  auto bytes = read_bytes(file);
  std::mt19937 rng(99);
  std::string bad = path("crafted.mlxfn");
  int raised = 0;
  for (int trial = 0; trial < 300; ++trial) {
    Bytes b = bytes;
    size_t at = kHeaderBytes + rng() % (b.size() - kHeaderBytes);
    b[at] ^= static_cast<uint8_t>(1 + rng() % 255);
    fix_checksum(b);
    put("crafted.mlxfn", b);
    std::optional<mx::ImportedFunction> imported;
    try {
      imported = mx::import_function(bad);
    } catch (const std::runtime_error& e) {
      EXPECT_EQ(std::string(e.what()).rfind("[import_function] " + bad, 0), 0u)
          << e.what();
      ++raised;
      continue;
    }
    // What loads passed the shape check: calling it returns or raises.
    SCOPED_TRACE("trial " + std::to_string(trial));
    try {
      (*imported)({x}).at(0).eval();
    } catch (const std::exception&) {
    }
  }
  // Most flips land in the weights' bytes (which any value may hold); the
  // rest must mostly be caught.
  EXPECT_GT(raised, 0);
}

TEST_F(ExportTest, WrongMagicVersionAndLengthAreNamed) {
  auto file = path("f.mlxfn");
  mx::export_function(file, mlp, {wave({2, 8}, 0.0f)});
  auto bytes = read_bytes(file);
  Bytes b = bytes;
  b[0] = 'X';
  expect_error<std::runtime_error>(
      [&] { mx::import_function(put("magic.mlxfn", b)); },
      "[import_function]",
      "bad magic");
  b = bytes;
  b[8] = 7;
  expect_error<std::runtime_error>(
      [&] { mx::import_function(put("version.mlxfn", b)); },
      "[import_function]",
      "unsupported format version 7");
  b = bytes;
  b.push_back(0);
  expect_error<std::runtime_error>(
      [&] { mx::import_function(put("long.mlxfn", b)); },
      "[import_function]",
      "truncated or corrupt");
  expect_error<std::runtime_error>(
      [&] { mx::import_function(path("missing.mlxfn")); },
      "[import_function]",
      "cannot open");
}

// ---------------------------------------------------------------------------
// The shape check: each node must be what its op makes of its inputs.

TEST_F(ExportTest, EveryExportablePrimitiveHasAShapeCheck) {
  for (auto& name : mx::export_detail::exportable_primitives()) {
    EXPECT_TRUE(mx::export_detail::can_check(name)) << name;
  }
}

TEST_F(ExportTest, ManyPrimitivesPassTheShapeCheck) {
  // Files the library writes import: the check accepts what the ops make.
  auto fun = [](const mx::Args& a) -> std::vector<mx::array> {
    auto x = a[0];   // float32 (4, 4)
    auto idx = a[1]; // int32 (2,)
    auto img = mx::reshape(x, {1, 4, 4, 1});
    auto conv = mx::conv2d(img, mx::ones({2, 3, 3, 1}), {1, 1}, {1, 1});
    auto spec = mx::fft::irfft(mx::fft::rfft(x, 1), 4, 1);
    auto sorted =
        mx::add(mx::sort(x, 0), mx::astype(mx::argsort(x, 1), mx::float32));
    auto part = mx::partition(x, 1, 1);
    auto upd = mx::slice_update(x, mx::zeros({2, 2}), {1, 1}, {3, 3});
    auto put = mx::put_along_axis(
        x,
        mx::reshape(mx::concatenate({idx, idx}), {4, 1}),
        mx::array(5.0f),
        1);
    auto scat = mx::scatter_add(x, idx, mx::ones({2, 1, 4}), 0);
    auto strided = mx::as_strided(x, {3, 2}, {4, 1}, 1);
    auto diag = mx::diagonal(x, 1);
    auto ar = mx::arange(0, 3, 1); // int32
    auto same = mx::array_equal(x, x, true);
    auto sel =
        mx::where(mx::greater(x, mx::array(0.0f)), x, mx::full({4, 4}, 2.0f));
    auto padded = mx::pad(x, 1);
    auto bits = mx::view(x, mx::int32);
    return {
        conv,
        spec,
        sorted,
        part,
        upd,
        put,
        scat,
        strided,
        mx::add(diag, mx::astype(ar, mx::float32)),
        same,
        sel,
        mx::cumprod(padded, 0),
        mx::any(bits, 1)};
  };
  auto x = wave({4, 4}, 0.3f);
  mx::array idx({2, 0}, mx::int32);
  auto file = path("many.mlxfn");
  mx::export_function(file, fun, {x, idx});
  auto got = mx::import_function(file)({x, idx});
  auto want = fun({x, idx});
  expect_outputs_same(got, want);
}

namespace {

// A one-trace file of `fun` on `inputs`, its tape changed by `mutate`
// before it is written, as a crafted file would have it.
template <typename F>
std::string craft(
    const std::string& file,
    const std::function<std::vector<mx::array>(const mx::Args&)>& fun,
    const mx::Args& inputs,
    F mutate) {
  mx::FunctionTable table;
  mx::FunctionTable::Trace trace;
  trace.num_args = inputs.size();
  trace.tape = mx::detail::trace_tape(fun, inputs);
  mutate(trace.tape);
  table.traces.push_back(std::move(trace));
  mx::export_detail::write_table(table, file);
  return file;
}

// The node of `tape` whose primitive is called `name`.
mx::detail::CompileTape::Node&
node_named(mx::detail::CompileTape& tape, const std::string& name) {
  for (auto& node : tape.nodes) {
    if (node.primitive->name() == name) {
      return node;
    }
  }
  throw std::logic_error("no node " + name);
}

mx::Stream cpu() {
  return mx::default_stream(mx::Device::cpu);
}

} // namespace

TEST_F(ExportTest, ReshapeOfAnotherSizeIsRejected) {
  auto fun = [](const mx::Args& a) {
    return std::vector<mx::array>{mx::reshape(a[0], {2, 3})};
  };
  mx::Args x = {mx::zeros({6})};
  auto file = craft(path("reshape.mlxfn"), fun, x, [](auto& tape) {
    auto& node = node_named(tape, "Reshape");
    node.primitive = std::make_shared<mx::Reshape>(cpu(), mx::Shape{4, 2});
    tape.values[node.outputs[0]].shape = {4, 2};
  });
  expect_error(
      [&] { mx::import_function(file); },
      "[import_function] " + file,
      "node 0 (Reshape): [reshape]");
  // The right parameters, a wrong declared shape.
  file = craft(path("reshape2.mlxfn"), fun, x, [](auto& tape) {
    tape.values[node_named(tape, "Reshape").outputs[0]].shape = {3, 2};
  });
  expect_error(
      [&] { mx::import_function(file); },
      "[import_function] " + file,
      "node 0 (Reshape): declared shape float32(3, 2) but the "
      "inputs give float32(2, 3)");
}

TEST_F(ExportTest, LinearAlgebraRoundTrips) {
  auto fun = [](const mx::Args& a) -> std::vector<mx::array> {
    auto m = a[0]; // (2, 3, 3), well conditioned
    auto spd = mx::add(
        mx::matmul(m, mx::swapaxes(m, -1, -2)),
        mx::multiply(mx::eye(3), mx::array(3.0f)));
    return {
        mx::linalg::inv(m),
        mx::linalg::solve(m, a[1]),
        mx::linalg::cholesky(spd, true),
        mx::linalg::tri_inv(m, false),
        mx::linalg::solve_triangular(m, a[1], true)};
  };
  auto m =
      mx::add(wave({2, 3, 3}, 0.4f), mx::multiply(mx::eye(3), mx::array(4.0f)));
  m.eval();
  auto b = wave({2, 3, 2}, 0.9f);
  auto file = path("linalg.mlxfn");
  mx::export_function(file, fun, {m, b});
  auto want = fun({m, b});
  auto got = mx::import_function(file)({m, b});
  expect_outputs_same(got, want);
  auto other = run_in_other_process(file, {{"", m}, {"", b}}, want.size());
  expect_outputs_same(other, want, "other process, output ");
}

TEST_F(ExportTest, FactorizationsWithSeveralOutputsRoundTrip) {
  auto fun = [](const mx::Args& a) -> std::vector<mx::array> {
    auto m = a[0]; // (2, 4, 4)
    auto sym = mx::add(m, mx::swapaxes(m, -1, -2));
    auto [q, r] = mx::linalg::qr(m);
    auto usv = mx::linalg::svd(m);
    auto [w, v] = mx::linalg::eigh(sym, "U");
    auto [lu, pivots] = mx::linalg::lu_factor(m);
    auto packed = mx::quantize(mx::reshape(m, {1, 32}), 32, 4);
    return {
        q,
        r,
        usv[0],
        usv[1],
        usv[2],
        mx::linalg::svd(m, false, {})[0],
        w,
        v,
        mx::linalg::eigvals(m),
        mx::linalg::eig(m).second,
        lu,
        pivots,
        mx::linalg::lu(m)[1],
        packed[0],
        packed[1],
        packed[2]};
  };
  auto m = wave({2, 4, 4}, 0.25f);
  auto file = path("factorizations.mlxfn");
  mx::export_function(file, fun, {m});
  auto want = fun({m});
  auto got = mx::import_function(file)({m});
  expect_outputs_same(got, want);
  // A declared output of the wrong shape is caught on every output.
  auto svd = [](const mx::Args& a) { return mx::linalg::svd(a[0]); };
  auto bad = craft(path("svd.mlxfn"), svd, {m}, [](auto& tape) {
    tape.values[node_named(tape, "SVD").outputs[2]].shape = {2, 4, 3};
  });
  expect_error(
      [&] { mx::import_function(bad); },
      "[import_function] " + bad,
      "node 0 (SVD): declared shape");
}

TEST_F(ExportTest, QuantizedParametersAreChecked) {
  auto q = mx::quantize(wave({8, 64}, 0.1f), 64, 4);
  mx::eval(q);
  auto fun = [q](const mx::Args& a) {
    return std::vector<mx::array>{
        mx::quantized_matmul(a[0], q[0], q[1], q[2], true, 64, 4)};
  };
  mx::Args x = {wave({2, 64}, 0.3f)};
  // 8 bits would read the 4-bit packing as twice as many values.
  auto file = craft(path("bits.mlxfn"), fun, x, [](auto& tape) {
    auto& node = node_named(tape, "QuantizedMatmul");
    node.primitive = std::make_shared<mx::QuantizedMatmul>(
        cpu(), mx::QuantParams{64, 8, mx::QuantizationMode::Affine}, true);
  });
  expect_error(
      [&] { mx::import_function(file); },
      "[import_function] " + file,
      "(QuantizedMatmul):");
  // A group size the op rejects.
  file = craft(path("group.mlxfn"), fun, x, [](auto& tape) {
    auto& node = node_named(tape, "QuantizedMatmul");
    node.primitive = std::make_shared<mx::QuantizedMatmul>(
        cpu(), mx::QuantParams{48, 4, mx::QuantizationMode::Affine}, true);
  });
  expect_error(
      [&] { mx::import_function(file); },
      "[import_function] " + file,
      "(QuantizedMatmul): [quantized_matmul]");
}

TEST_F(ExportTest, SliceOutOfRangeIsRejected) {
  auto fun = [](const mx::Args& a) {
    return std::vector<mx::array>{mx::slice(a[0], {1}, {4})};
  };
  mx::Args x = {mx::zeros({6})};
  // Bounds past the end: the op clips them, so the shapes disagree.
  auto file = craft(path("slice.mlxfn"), fun, x, [](auto& tape) {
    node_named(tape, "Slice").primitive = std::make_shared<mx::Slice>(
        cpu(), mx::Shape{100}, mx::Shape{103}, mx::Shape{1});
  });
  expect_error(
      [&] { mx::import_function(file); },
      "[import_function] " + file,
      "declared shape float32(3,) but the inputs give float32(0,)");
  // A start far before the beginning that the op clips to the declared
  // size: the kernel would read before the buffer; the parameters differ.
  file = craft(path("slice2.mlxfn"), fun, x, [](auto& tape) {
    node_named(tape, "Slice").primitive = std::make_shared<mx::Slice>(
        cpu(), mx::Shape{-1000}, mx::Shape{3}, mx::Shape{1});
  });
  expect_error(
      [&] { mx::import_function(file); },
      "[import_function] " + file,
      "not those its op makes");
}

TEST_F(ExportTest, MatmulOfWrongShapesIsRejected) {
  auto fun = [](const mx::Args& a) {
    return std::vector<mx::array>{mx::matmul(a[0], a[1])};
  };
  mx::Args ab = {mx::zeros({2, 3}), mx::zeros({3, 4})};
  auto file = craft(path("mm.mlxfn"), fun, ab, [](auto& tape) {
    tape.values[node_named(tape, "Matmul").outputs[0]].shape = {2, 5};
  });
  expect_error(
      [&] { mx::import_function(file); },
      "[import_function] " + file,
      "node 0 (Matmul): declared shape float32(2, 5) but the "
      "inputs give float32(2, 4)");
  file = craft(path("mm2.mlxfn"), fun, ab, [](auto& tape) {
    tape.values[1].shape = {5, 4}; // the second input
  });
  expect_error(
      [&] { mx::import_function(file); },
      "[import_function] " + file,
      "node 0 (Matmul): [matmul]");
}

TEST_F(ExportTest, GatherAxisOutOfRangeIsRejected) {
  auto fun = [](const mx::Args& a) {
    return std::vector<mx::array>{mx::take(a[0], a[1], 0)};
  };
  mx::Args in = {mx::zeros({4, 3}), mx::array({1, 2}, mx::int32)};
  auto file = craft(path("take.mlxfn"), fun, in, [](auto& tape) {
    node_named(tape, "Take").primitive = std::make_shared<mx::Take>(cpu(), 5);
  });
  expect_error(
      [&] { mx::import_function(file); },
      "[import_function] " + file,
      "node 0 (Take): [take]");
}

TEST_F(ExportTest, WrongInputCountsAndStridedReadsAreRejected) {
  auto add = [](const mx::Args& a) {
    return std::vector<mx::array>{mx::add(a[0], a[1])};
  };
  mx::Args xy = {mx::zeros({3}), mx::zeros({3})};
  auto file = craft(path("add.mlxfn"), add, xy, [](auto& tape) {
    node_named(tape, "Add").inputs.pop_back();
  });
  expect_error(
      [&] { mx::import_function(file); },
      "[import_function] " + file,
      "node 0 (Add): takes 2 inputs, the node has 1");
  auto view = [](const mx::Args& a) {
    return std::vector<mx::array>{mx::as_strided(a[0], {3}, {1}, 0)};
  };
  file = craft(path("strided.mlxfn"), view, {mx::zeros({6})}, [](auto& tape) {
    node_named(tape, "AsStrided").primitive =
        std::make_shared<mx::AsStrided>(cpu(), mx::Shape{3}, mx::Strides{1}, 5);
  });
  expect_error(
      [&] { mx::import_function(file); },
      "[import_function] " + file,
      "read outside the input's 6 elements");
}

TEST_F(ExportTest, CraftedLayoutGraphsRaiseOrRunWhenCalled) {
  // A graph of layout, indexing and matrix nodes with one small weight, so
  // that most flips land in its structure; every file that imports (a flip
  // in the weight's bytes, or one the check finds harmless) is called.
  auto fun = [](const mx::Args& a) -> std::vector<mx::array> {
    static const mx::array w = wave({4, 3}, 0.8f);
    auto t = mx::reshape(mx::multiply(mx::transpose(a[0]), w), {3, 4});
    auto g = mx::take(t, a[1], 0);               // (2, 4)
    auto m = mx::matmul(g, mx::transpose(a[0])); // (2, 3)
    auto c = mx::cumsum(mx::slice(m, {0, 1}, {2, 3}), 1);
    return {mx::sum(mx::concatenate({c, m}, 1), 0)};
  };
  auto x = wave({3, 4}, 0.2f);
  mx::array idx({2, 0}, mx::int32);
  auto file = path("layout.mlxfn");
  mx::export_function(file, fun, {x, idx});
  auto bytes = read_bytes(file);
  std::mt19937 rng(7);
  std::string bad = path("crafted_layout.mlxfn");
  int called = 0;
  for (int trial = 0; trial < 300; ++trial) {
    Bytes b = bytes;
    size_t at = kHeaderBytes + rng() % (b.size() - kHeaderBytes);
    b[at] ^= static_cast<uint8_t>(1 + rng() % 255);
    fix_checksum(b);
    put("crafted_layout.mlxfn", b);
    std::optional<mx::ImportedFunction> imported;
    try {
      imported = mx::import_function(bad);
    } catch (const std::runtime_error& e) {
      EXPECT_EQ(std::string(e.what()).rfind("[import_function] " + bad, 0), 0u)
          << e.what();
      continue;
    }
    SCOPED_TRACE("trial " + std::to_string(trial));
    ++called;
    try {
      for (auto& out : (*imported)({x, idx})) {
        out.eval();
      }
    } catch (const std::exception&) {
    }
  }
  EXPECT_GT(called, 0);
}
