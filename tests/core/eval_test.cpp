// Lazy evaluation, the scheduler, streams, and errors raised by kernels.
#include <gtest/gtest.h>

#include <atomic>
#include <thread>

#include "mlx/mlx.h"
#include "mlx/primitives/primitive.h"

namespace mx = mlx::core;

namespace {

// A primitive that counts its evaluations and can be told to fail.
class Probe : public mx::UnaryPrimitive {
public:
  Probe(mx::Stream s, std::atomic<int>* count, bool fail)
      : mx::UnaryPrimitive(s), count_(count), fail_(fail) {}

  void eval_cpu(const std::vector<mx::array>& inputs, mx::array& out) override {
    ++*count_;
    if (fail_) {
      throw std::runtime_error("[Probe] kernel failed on purpose");
    }
    out.set_data(mx::allocator::malloc(out.nbytes()));
    *out.data<float>() = *inputs[0].data<float>() + 1.0f;
  }
  void eval_gpu(const std::vector<mx::array>&, mx::array&) override {
    throw std::runtime_error("[Probe] no gpu");
  }
  const char* name() const override { return "Probe"; }

private:
  std::atomic<int>* count_;
  bool fail_;
};

mx::array probe(
    const mx::array& in,
    std::atomic<int>* count,
    bool fail = false,
    mx::StreamOrDevice s = {}) {
  return mx::array(
      {},
      mx::float32,
      std::make_shared<Probe>(mx::to_stream(s), count, fail),
      {in});
}

} // namespace

TEST(EvalTest, OpsAreLazyUntilEvaluated) {
  std::atomic<int> count{0};
  auto y = probe(mx::array(1.0f), &count);
  EXPECT_EQ(count, 0);
  EXPECT_EQ(y.status(), mx::array::Status::unscheduled);
  EXPECT_FLOAT_EQ(y.item<float>(), 2.0f);
  EXPECT_EQ(count, 1);
  // Evaluating again does not recompute.
  mx::eval(y);
  EXPECT_EQ(count, 1);
  EXPECT_FALSE(y.has_primitive()); // the graph above is released
}

TEST(EvalTest, SharedInputsEvaluateOnce) {
  std::atomic<int> count{0};
  auto x = probe(mx::array(1.0f), &count);
  auto a = x * 2.0f;
  auto b = x + 3.0f;
  mx::eval(a, b);
  EXPECT_EQ(count, 1);
  EXPECT_FLOAT_EQ(a.item<float>(), 4.0f);
  EXPECT_FLOAT_EQ(b.item<float>(), 5.0f);
}

TEST(EvalTest, AsyncEvalThenWait) {
  auto x = mx::arange(100.0f);
  auto y = mx::sum(mx::square(x));
  mx::async_eval(y);
  // 0^2 + ... + 99^2 = 99*100*199/6
  EXPECT_DOUBLE_EQ(y.item<double>(), 328350.0);
}

TEST(EvalTest, KernelErrorReachesCallerOfEval) {
  std::atomic<int> count{0};
  auto bad = probe(mx::array(1.0f), &count, true);
  auto downstream = bad + 1.0f;
  try {
    mx::eval(downstream);
    FAIL() << "expected an exception";
  } catch (const std::runtime_error& e) {
    EXPECT_STREQ(e.what(), "[Probe] kernel failed on purpose");
  }
  // The failed array keeps its error; it is not evaluated again.
  EXPECT_THROW(bad.item<float>(), std::runtime_error);
  EXPECT_EQ(count, 1);
  // The stream keeps working.
  EXPECT_FLOAT_EQ((mx::array(2.0f) * 3.0f).item<float>(), 6.0f);
}

TEST(EvalTest, KernelErrorAfterAsyncEvalReachesWaiter) {
  std::atomic<int> count{0};
  auto bad = probe(mx::array(1.0f), &count, true);
  mx::async_eval(bad);
  EXPECT_THROW(mx::eval(bad), std::runtime_error);
}

TEST(EvalTest, LongChainEvaluatesAndDestroysWithoutRecursion) {
  // 100k unevaluated nodes: destroying them must not overflow the stack.
  {
    auto x = mx::array(0.0f);
    for (int i = 0; i < 100000; ++i) {
      x = x + 1.0f;
    }
  }
  auto x = mx::array(0.0f);
  for (int i = 0; i < 10000; ++i) {
    x = x + 1.0f;
  }
  EXPECT_FLOAT_EQ(x.item<float>(), 10000.0f);
}

TEST(StreamTest, DefaultsAndNewStreams) {
  EXPECT_EQ(mx::default_device(), mx::Device(mx::Device::cpu));
  auto s0 = mx::default_stream(mx::Device::cpu);
  auto s1 = mx::new_stream(mx::Device::cpu);
  EXPECT_NE(s0, s1);
  EXPECT_EQ(s1.device, mx::Device(mx::Device::cpu));
  // Work on two streams with a dependency between them.
  auto a = mx::multiply(mx::arange(10.0f, s1), mx::array(2.0f), s1);
  auto b = mx::sum(a, s0);
  EXPECT_FLOAT_EQ(b.item<float>(), 90.0f);
  mx::synchronize(s1);
  mx::synchronize();
}

TEST(StreamTest, StreamContextSetsAndRestoresDefault) {
  auto before = mx::default_stream(mx::default_device());
  auto s = mx::new_stream(mx::Device::cpu);
  {
    mx::StreamContext ctx(s);
    EXPECT_EQ(mx::default_stream(mx::Device::cpu), s);
    auto y = mx::add(mx::array(1), mx::array(2));
    EXPECT_EQ(y.primitive().stream(), s);
    EXPECT_EQ(y.item<int>(), 3);
  }
  EXPECT_EQ(mx::default_stream(mx::default_device()), before);
}

TEST(StreamTest, GpuUnavailableIsAClearError) {
  EXPECT_FALSE(mx::is_available(mx::Device::gpu));
  try {
    mx::set_default_device(mx::Device::gpu);
    FAIL();
  } catch (const std::invalid_argument& e) {
    EXPECT_EQ(std::string(e.what()).rfind("[set_default_device]", 0), 0u);
  }
  EXPECT_THROW(mx::new_stream(mx::Device::gpu), std::invalid_argument);
}

TEST(StreamTest, ManyThreadsEvaluateConcurrently) {
  std::vector<std::thread> threads;
  std::atomic<int> ok{0};
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&ok, t] {
      auto x = mx::full({1000}, static_cast<float>(t));
      if (mx::sum(x).item<float>() == 1000.0f * t) {
        ++ok;
      }
    });
  }
  for (auto& th : threads) {
    th.join();
  }
  EXPECT_EQ(ok, 4);
}

TEST(GraphTest, ExportToDotNamesArraysAndPrimitives) {
  auto x = mx::array(1);
  auto y = mx::array(2);
  auto z = x + y;
  std::ostringstream os;
  mx::export_to_dot(os, {z}, {{x.id(), "x"}, {y.id(), "y"}});
  std::string dot = os.str();
  EXPECT_EQ(dot.rfind("digraph {", 0), 0u);
  EXPECT_NE(dot.find("[label=\"x\"]"), std::string::npos);
  EXPECT_NE(dot.find("[label=\"y\"]"), std::string::npos);
  EXPECT_NE(dot.find("[label=\"Add\", shape=box]"), std::string::npos);
  EXPECT_NE(dot.find("[label=\"() int32\"]"), std::string::npos);
  EXPECT_THROW(
      mx::export_to_dot("/nonexistent-dir/g.dot", {z}), std::runtime_error);
}

TEST(StreamTest, GpuStreamRaisesNotImplementedOnGpu) {
  // A primitive without a GPU kernel (none has one when no GPU backend is
  // built; Sort has none on Vulkan yet) raises from its eval_gpu slot, and
  // the error reaches the caller.
  mx::Stream gpu_stream(1000, mx::Device::gpu);
  auto y = mx::sort(mx::array({2.0f, 1.0f}), 0, gpu_stream);
  try {
    mx::eval(y);
    FAIL() << "expected an exception";
  } catch (const std::runtime_error& e) {
    EXPECT_EQ(
        std::string(e.what()).rfind("[Sort] Not implemented on GPU", 0), 0u)
        << e.what();
  }
}

TEST(StreamTest, SetDefaultStreamRoutesOps) {
  auto previous = mx::default_stream(mx::Device::cpu);
  auto s = mx::new_stream(mx::Device::cpu);
  mx::set_default_stream(s);
  auto y = mx::multiply(mx::array(3), mx::array(4));
  EXPECT_EQ(y.primitive().stream(), s);
  EXPECT_EQ(y.item<int>(), 12);
  mx::set_default_stream(previous);
  EXPECT_EQ(mx::default_stream(mx::Device::cpu), previous);
}

TEST(EvalTest, ThreadsEvaluatingOneGraphRunEachNodeOnce) {
  // Several threads evaluate the same unevaluated chain at once. Each node
  // must be scheduled by exactly one of them (it used to be run twice and
  // crash on the detached primitive).
  for (int iter = 0; iter < 300; ++iter) {
    std::atomic<int> count{0};
    auto x = mx::array(1.0f);
    for (int i = 0; i < 20; ++i) {
      x = probe(x, &count);
    }
    std::atomic<bool> go{false};
    std::atomic<int> wrong{0};
    std::vector<std::thread> threads;
    for (int t = 0; t < 4; ++t) {
      threads.emplace_back([&] {
        auto y = x;
        while (!go) {
        }
        if (y.item<float>() != 21.0f) {
          ++wrong;
        }
      });
    }
    go = true;
    for (auto& th : threads) {
      th.join();
    }
    ASSERT_EQ(count, 20) << "iteration " << iter;
    ASSERT_EQ(wrong, 0) << "iteration " << iter;
  }
}
