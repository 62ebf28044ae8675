#include "mlx/backend/cpu/compiled_steps.h"

#include "mlx/backend/cpu/binary_ops.h"
#include "mlx/backend/cpu/copy.h"
#include "mlx/backend/cpu/unary_ops.h"

namespace mlx::core::cpu {

namespace {

// Calls body(i) for i in [0, n): in pieces of a fixed length, which GCC
// vectorizes even under -O2's cheap cost model, then the rest. The loops
// have no loop-carried dependencies even when dst is one of the arguments
// (same index read, then written): ivdep lets GCC vectorize them without
// runtime alias checks.
template <typename Body> inline void for_each_element(size_t n, Body body) {
  constexpr size_t kPiece = 16; // a multiple of every vector width
  size_t i = 0;
#pragma GCC ivdep
  for (; i + kPiece <= n; i += kPiece) {
#pragma GCC ivdep
    for (size_t j = 0; j < kPiece; ++j) {
      body(i + j);
    }
  }
#pragma GCC ivdep
  for (; i < n; ++i) {
    body(i);
  }
}

// On x86-64 the arithmetic loops are built
// for AVX2 (x86-64-v3) and the baseline, as the float32 exp kernel is; the
// file is compiled without FP contraction, so both clones round alike.
#if defined(__x86_64__) && defined(__GNUC__) && !defined(MLX_NO_VECTOR_CLONES)
#define MLX_VECTOR_CLONES                                                      \
  __attribute__((target_clones("arch=x86-64-v3", "default")))
#else
#define MLX_VECTOR_CLONES
#endif

template <typename In, typename Out, typename Fn>
MLX_VECTOR_CLONES void
unary_loop(const void* const* args, void* dst, size_t n) {
  const In* x = static_cast<const In*>(args[0]);
  Out* d = static_cast<Out*>(dst);
  Fn fn{};
  for_each_element(n, [&](size_t i) { d[i] = fn(x[i]); });
}

template <typename In, typename Out, typename Fn>
MLX_VECTOR_CLONES void
binary_loop(const void* const* args, void* dst, size_t n) {
  const In* x = static_cast<const In*>(args[0]);
  const In* y = static_cast<const In*>(args[1]);
  Out* d = static_cast<Out*>(dst);
  Fn fn{};
  for_each_element(n, [&](size_t i) { d[i] = fn(x[i], y[i]); });
}

// Select only moves elements: one loop per element size.
template <typename U>
void select_loop(const void* const* args, void* dst, size_t n) {
  const bool* c = static_cast<const bool*>(args[0]);
  const U* x = static_cast<const U*>(args[1]);
  const U* y = static_cast<const U*>(args[2]);
  U* d = static_cast<U*>(dst);
  for_each_element(n, [&](size_t i) { d[i] = c[i] ? x[i] : y[i]; });
}

template <typename In, typename Out>
void convert_loop(const void* const* args, void* dst, size_t n) {
  const In* x = static_cast<const In*>(args[0]);
  Out* d = static_cast<Out*>(dst);
  for_each_element(
      n, [&](size_t i) { d[i] = detail::convert_scalar<Out>(x[i]); });
}

} // namespace

StepFn
step_function(const FusedStep& step, const std::vector<Dtype>& arg_dtypes) {
  StepFn fn = nullptr;
  const char* name = step.primitive->name();
  switch (step.kind) {
  case FusedStep::Kind::unary:
    if (static_cast<UnaryOp>(step.op) == UnaryOp::Exp &&
        arg_dtypes[0] == float32) {
      // The same (vectorized) loop as the unfused float32 exp.
      return [](const void* const* args, void* dst, size_t n) {
        exp_float_contiguous(
            static_cast<const float*>(args[0]), static_cast<float*>(dst), n);
      };
    }
    dispatch_unary(
        static_cast<UnaryOp>(step.op),
        arg_dtypes[0],
        name,
        [&](auto f, auto in_tag, auto out_tag) {
          fn = &unary_loop<decltype(in_tag), decltype(out_tag), decltype(f)>;
        });
    break;
  case FusedStep::Kind::binary:
    dispatch_binary(
        static_cast<BinaryOp>(step.op),
        arg_dtypes[0],
        name,
        [&](auto f, auto in_tag, auto out_tag) {
          fn = &binary_loop<decltype(in_tag), decltype(out_tag), decltype(f)>;
        });
    break;
  case FusedStep::Kind::select:
    dispatch_bits(size_of(step.dtype), [&](auto tag) {
      fn = &select_loop<decltype(tag)>;
    });
    break;
  case FusedStep::Kind::astype:
    detail::dispatch_dtype(arg_dtypes[0], [&](auto in_tag) {
      detail::dispatch_dtype(step.dtype, [&](auto out_tag) {
        fn = &convert_loop<decltype(in_tag), decltype(out_tag)>;
      });
    });
    break;
  case FusedStep::Kind::broadcast:
    break; // an alias of its argument: no loop
  }
  return fn;
}

} // namespace mlx::core::cpu
