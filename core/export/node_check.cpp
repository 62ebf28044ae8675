// The shape check of import_function: every node of a file is rebuilt
// through the public op that makes its primitive, on value-less stand-ins
// of its inputs. The op validates the parameters (axes, bounds, dtypes)
// and gives the true output shapes and dtypes; the node must be exactly
// what the op makes (same primitive, same parameters, inputs of the same
// shapes and dtypes, outputs as declared), since the kernels trust all of
// that. A primitive without a rebuild cannot be imported.
#include <functional>
#include <sstream>
#include <unordered_map>

#include "mlx/export/export_impl.h"
#include "mlx/fast.h"
#include "mlx/fft.h"
#include "mlx/linalg.h"
#include "mlx/ops.h"
#include "mlx/primitives/compiled.h"
#include "mlx/primitives/primitives.h"
#include "mlx/random.h"

namespace mlx::core::export_detail {

namespace {

using Inputs = std::vector<array>;
// The node rebuilt by the op from the file's primitive and input stand-ins.
// `declared` is the node's output dtype (Arange's only source of it).
using Rebuild = std::function<array(
    const Primitive&, const Inputs&, Dtype declared, StreamOrDevice)>;

// Raises unless the node has `n` inputs (the rebuilds index them).
void need(const Inputs& in, size_t n) {
  if (in.size() != n) {
    throw_error("takes ", n, " inputs, the node has ", in.size());
  }
}

// `out` with its primitive replaced by `p`: for primitives whose op makes
// a sibling (NaNEqual from equal, RoPE's backward form from its forward).
array with_primitive(const array& out, std::shared_ptr<Primitive> p) {
  return array(out.shape(), out.dtype(), std::move(p), out.inputs());
}

// The elements [offset, offset + span] an AsStrided view reads must lie in
// its input (the op, as MLX's, trusts its caller here).
void check_strided_bounds(const AsStrided& p, const array& in) {
  int64_t lo = static_cast<int64_t>(p.offset());
  int64_t hi = lo;
  for (size_t d = 0; d < p.shape().size(); ++d) {
    if (p.shape()[d] == 0) {
      return; // reads nothing
    }
    int64_t reach = static_cast<int64_t>(p.shape()[d] - 1) * p.strides()[d];
    (reach < 0 ? lo : hi) += reach;
  }
  if (lo < 0 || hi >= static_cast<int64_t>(in.size())) {
    throw_error(
        "[as_strided] shape ",
        p.shape(),
        ", strides ",
        p.strides(),
        " and offset ",
        p.offset(),
        " read outside the input's ",
        in.size(),
        " elements");
  }
}

using UnaryFn = array (*)(const array&, StreamOrDevice);
using BinaryFn = array (*)(const array&, const array&, StreamOrDevice);
using ReduceFn =
    array (*)(const array&, const std::vector<int>&, bool, StreamOrDevice);
using ArgReduceFn = array (*)(const array&, int, bool, StreamOrDevice);
using ScanFn = array (*)(const array&, int, bool, bool, StreamOrDevice);
using FftFn = array (*)(
    const array&,
    const Shape&,
    const std::vector<int>&,
    fft::FFTNorm,
    StreamOrDevice);

class Rebuilds {
public:
  Rebuilds();
  const Rebuild* find(const std::string& name) const {
    auto it = table_.find(name);
    return it == table_.end() ? nullptr : &it->second;
  }

private:
  // The primitive named `name`, of class P (its op's parameters).
  template <typename P, typename F> void add(const char* name, F rebuild) {
    add(name, [rebuild](auto& p, auto& in, Dtype, StreamOrDevice s) {
      return rebuild(static_cast<const P&>(p), in, s);
    });
  }
  void add(const std::string& name, Rebuild rebuild) {
    table_.emplace(name, std::move(rebuild));
  }
  // Family members are made only to learn their names.
  inline static const Stream kProbe{0, Device::cpu};
  std::unordered_map<std::string, Rebuild> table_;
};

Rebuilds::Rebuilds() {
  const std::pair<UnaryOp, UnaryFn> unary[] = {
      {UnaryOp::Abs, abs},
      {UnaryOp::Negative, negative},
      {UnaryOp::Sign, sign},
      {UnaryOp::Square, square},
      {UnaryOp::Sqrt, sqrt},
      {UnaryOp::Rsqrt, rsqrt},
      {UnaryOp::Exp, exp},
      {UnaryOp::Expm1, expm1},
      {UnaryOp::Log, log},
      {UnaryOp::Log2, log2},
      {UnaryOp::Log10, log10},
      {UnaryOp::Log1p, log1p},
      {UnaryOp::Sin, sin},
      {UnaryOp::Cos, cos},
      {UnaryOp::Tan, tan},
      {UnaryOp::ArcSin, arcsin},
      {UnaryOp::ArcCos, arccos},
      {UnaryOp::ArcTan, arctan},
      {UnaryOp::Sinh, sinh},
      {UnaryOp::Cosh, cosh},
      {UnaryOp::Tanh, tanh},
      {UnaryOp::ArcSinh, arcsinh},
      {UnaryOp::ArcCosh, arccosh},
      {UnaryOp::ArcTanh, arctanh},
      {UnaryOp::Floor, floor},
      {UnaryOp::Ceil, ceil},
      {UnaryOp::Round, round},
      {UnaryOp::Erf, erf},
      {UnaryOp::ErfInv, erfinv},
      {UnaryOp::Sigmoid, sigmoid},
      {UnaryOp::LogicalNot, logical_not},
      {UnaryOp::BitwiseInvert, bitwise_invert},
      {UnaryOp::Conjugate, conjugate},
      {UnaryOp::Real, real},
      {UnaryOp::Imag, imag}};
  for (auto [op, fn] : unary) {
    add(Unary(kProbe, op).name(),
        [fn = fn](auto&, auto& in, Dtype, StreamOrDevice s) {
          need(in, 1);
          return fn(in[0], s);
        });
  }
  const std::pair<BinaryOp, BinaryFn> binary[] = {
      {BinaryOp::Add, core::add},
      {BinaryOp::Subtract, subtract},
      {BinaryOp::Multiply, multiply},
      {BinaryOp::Divide, divide},
      {BinaryOp::Remainder, remainder},
      {BinaryOp::FloorDivide, floor_divide},
      {BinaryOp::Maximum, maximum},
      {BinaryOp::Minimum, minimum},
      {BinaryOp::Power, power},
      {BinaryOp::ArcTan2, arctan2},
      {BinaryOp::LogAddExp, logaddexp},
      {BinaryOp::Equal, equal},
      {BinaryOp::NotEqual, not_equal},
      {BinaryOp::Less, less},
      {BinaryOp::LessEqual, less_equal},
      {BinaryOp::Greater, greater},
      {BinaryOp::GreaterEqual, greater_equal},
      {BinaryOp::LogicalAnd, logical_and},
      {BinaryOp::LogicalOr, logical_or},
      {BinaryOp::BitwiseAnd, bitwise_and},
      {BinaryOp::BitwiseOr, bitwise_or},
      {BinaryOp::BitwiseXor, bitwise_xor},
      {BinaryOp::LeftShift, left_shift},
      {BinaryOp::RightShift, right_shift}};
  for (auto [op, fn] : binary) {
    add(Binary(kProbe, op).name(),
        [fn = fn](auto&, auto& in, Dtype, StreamOrDevice s) {
          need(in, 2);
          return fn(in[0], in[1], s);
        });
  }
  // array_equal's NaN-aware equality has the inputs and output of equal.
  add("NaNEqual", [](auto& p, auto& in, Dtype, StreamOrDevice s) {
    need(in, 2);
    return with_primitive(
        equal(in[0], in[1], s),
        std::make_shared<Binary>(p.stream(), BinaryOp::NaNEqual));
  });
  const std::pair<ReduceOp, ReduceFn> reduce[] = {
      {ReduceOp::And, all},
      {ReduceOp::Or, any},
      {ReduceOp::Sum, sum},
      {ReduceOp::Prod, prod},
      {ReduceOp::Min, min},
      {ReduceOp::Max, max}};
  for (auto [op, fn] : reduce) {
    add(Reduce(kProbe, op, {}).name(),
        [fn = fn](auto& p, auto& in, Dtype, StreamOrDevice s) {
          need(in, 1);
          return fn(in[0], static_cast<const Reduce&>(p).axes(), true, s);
        });
  }
  const std::pair<ArgReduceOp, ArgReduceFn> arg_reduce[] = {
      {ArgReduceOp::ArgMin, argmin}, {ArgReduceOp::ArgMax, argmax}};
  for (auto [op, fn] : arg_reduce) {
    add(ArgReduce(kProbe, op, 0).name(),
        [fn = fn](auto& p, auto& in, Dtype, StreamOrDevice s) {
          need(in, 1);
          return fn(in[0], static_cast<const ArgReduce&>(p).axis(), true, s);
        });
  }
  const std::pair<ScanOp, ScanFn> scan[] = {
      {ScanOp::Sum, cumsum},
      {ScanOp::Prod, cumprod},
      {ScanOp::Max, cummax},
      {ScanOp::Min, cummin},
      {ScanOp::LogAddExp, logcumsumexp}};
  for (auto [op, fn] : scan) {
    add(Scan(kProbe, op, 0, false, true).name(),
        [fn = fn](auto& prim, auto& in, Dtype, StreamOrDevice s) {
          auto& p = static_cast<const Scan&>(prim);
          need(in, 1);
          return fn(in[0], p.axis(), p.reverse(), p.inclusive(), s);
        });
  }

  add<Select>("Select", [](auto&, auto& in, auto s) {
    need(in, 3);
    return where(in[0], in[1], in[2], s);
  });
  add<AsType>("AsType", [](auto& p, auto& in, auto s) {
    need(in, 1);
    return astype(in[0], p.dtype(), s);
  });
  add<Reshape>("Reshape", [](auto& p, auto& in, auto s) {
    need(in, 1);
    return reshape(in[0], p.shape(), s);
  });
  add<Transpose>("Transpose", [](auto& p, auto& in, auto s) {
    need(in, 1);
    return transpose(in[0], p.axes(), s);
  });
  add<Broadcast>("Broadcast", [](auto& p, auto& in, auto s) {
    need(in, 1);
    return broadcast_to(in[0], p.shape(), s);
  });
  add<Slice>("Slice", [](auto& p, auto& in, auto s) {
    need(in, 1);
    return slice(in[0], p.start(), p.stop(), p.strides(), s);
  });
  add<AsStrided>("AsStrided", [](auto& p, auto& in, auto s) {
    need(in, 1);
    check_strided_bounds(p, in[0]);
    return as_strided(in[0], p.shape(), p.strides(), p.offset(), s);
  });
  add<View>("View", [](auto& p, auto& in, auto s) {
    need(in, 1);
    return view(in[0], p.dtype(), s);
  });
  add<Contiguous>("Contiguous", [](auto& p, auto& in, auto s) {
    need(in, 1);
    return contiguous(in[0], p.allow_col_major(), s);
  });
  add<StopGradient>("StopGradient", [](auto&, auto& in, auto s) {
    need(in, 1);
    return stop_gradient(in[0], s);
  });
  add<Full>("Full", [](auto& p, auto& in, auto s) {
    need(in, 1);
    return full(p.shape(), in[0], in[0].dtype(), s);
  });
  add("Arange", [](auto& prim, auto& in, Dtype declared, StreamOrDevice s) {
    auto& p = static_cast<const Arange&>(prim);
    need(in, 0);
    return arange(p.start(), p.stop(), p.step(), declared, s);
  });
  add<Concatenate>("Concatenate", [](auto& p, auto& in, auto s) {
    return concatenate(in, p.axis(), s);
  });
  add<Sort>("Sort", [](auto& p, auto& in, auto s) {
    need(in, 1);
    return sort(in[0], p.axis(), s);
  });
  add<ArgSort>("ArgSort", [](auto& p, auto& in, auto s) {
    need(in, 1);
    return argsort(in[0], p.axis(), s);
  });
  add<Partition>("Partition", [](auto& p, auto& in, auto s) {
    need(in, 1);
    return partition(in[0], p.kth(), p.axis(), s);
  });
  add<ArgPartition>("ArgPartition", [](auto& p, auto& in, auto s) {
    need(in, 1);
    return argpartition(in[0], p.kth(), p.axis(), s);
  });
  add<Matmul>("Matmul", [](auto&, auto& in, auto s) {
    need(in, 2);
    return matmul(in[0], in[1], s);
  });
  add<GatherMM>("GatherMM", [](auto&, auto& in, auto s) {
    need(in, 4);
    return gather_mm(in[0], in[1], in[2], in[3], false, s);
  });
  add<GatherMMScatterAdd>("GatherMMScatterAdd", [](auto& p, auto& in, auto s) {
    need(in, 5);
    return detail::gather_mm_scatter_add(
        in[0], in[1], in[2], in[3], in[4], p.out_batch(), s);
  });
  add<AddMM>("AddMM", [](auto& p, auto& in, auto s) {
    need(in, 3);
    return addmm(in[0], in[1], in[2], p.alpha(), p.beta(), s);
  });
  add<Inverse>("Inverse", [](auto& p, auto& in, auto s) {
    need(in, 1);
    if (p.kind() == Inverse::Kind::general) {
      return linalg::inv(in[0], s);
    }
    return linalg::tri_inv(in[0], p.kind() == Inverse::Kind::upper, s);
  });
  add<Solve>("Solve", [](auto&, auto& in, auto s) {
    need(in, 2);
    if (in[1].ndim() < 2) {
      throw_error("[linalg::solve] the node's b must be a matrix");
    }
    return linalg::solve(in[0], in[1], s);
  });
  add<Cholesky>("Cholesky", [](auto& p, auto& in, auto s) {
    need(in, 1);
    return linalg::cholesky(in[0], p.upper(), s);
  });
  // Several outputs: the rebuild returns the first, check_node compares
  // all of them.
  add<LUF>("LUF", [](auto& p, auto& in, auto s) {
    need(in, 1);
    return linalg::detail::lu_factorization(in[0], p.of_transpose(), s)[0];
  });
  add<QRF>("QRF", [](auto&, auto& in, auto s) {
    need(in, 1);
    return linalg::qr(in[0], s).first;
  });
  add<SVD>("SVD", [](auto& p, auto& in, auto s) {
    need(in, 1);
    return linalg::svd(in[0], p.compute_uv(), s)[0];
  });
  add<Eig>("Eig", [](auto& p, auto& in, auto s) {
    need(in, 1);
    return p.compute_vectors() ? linalg::eig(in[0], s).first
                               : linalg::eigvals(in[0], s);
  });
  add<Eigh>("Eigh", [](auto& p, auto& in, auto s) {
    need(in, 1);
    return linalg::eigh(in[0], std::string(1, p.uplo()), s).first;
  });
  add<Quantize>("Quantize", [](auto& p, auto& in, auto s) {
    need(in, 1);
    auto& q = p.params();
    return quantize(
        in[0], q.group_size, q.bits, quantization_mode_to_string(q.mode), s)[0];
  });
  // Packed weight, scales and (affine) biases after x.
  // The packed weight is input `at`, then the scales and (affine) the
  // biases, then `after` more inputs: checks the count, gives the biases.
  auto quantized_weight = [](const QuantParams& q,
                             const Inputs& in,
                             size_t at,
                             size_t after = 0) -> std::optional<array> {
    bool affine = q.mode == QuantizationMode::Affine;
    need(in, at + (affine ? 3 : 2) + after);
    if (affine) {
      return in[at + 2];
    }
    return std::nullopt;
  };
  add("Dequantize",
      [quantized_weight](
          const Primitive& p, const Inputs& in, Dtype declared, auto s) {
        auto& q = static_cast<const Dequantize&>(p).params();
        auto biases = quantized_weight(q, in, 0);
        return dequantize(
            in[0],
            in[1],
            biases,
            q.group_size,
            q.bits,
            quantization_mode_to_string(q.mode),
            declared,
            s);
      });
  add<QuantizedMatmul>(
      "QuantizedMatmul", [quantized_weight](auto& p, auto& in, auto s) {
        auto& q = p.params();
        auto biases = quantized_weight(q, in, 1);
        return quantized_matmul(
            in[0],
            in[1],
            in[2],
            biases,
            p.transpose(),
            q.group_size,
            q.bits,
            quantization_mode_to_string(q.mode),
            s);
      });
  add<GatherQMM>("GatherQMM", [quantized_weight](auto& p, auto& in, auto s) {
    auto& q = p.params();
    auto biases = quantized_weight(q, in, 1, 2);
    size_t n = in.size(); // the indices are the last two
    return gather_qmm(
        in[0],
        in[1],
        in[2],
        biases,
        in[n - 2],
        in[n - 1],
        p.transpose(),
        q.group_size,
        q.bits,
        quantization_mode_to_string(q.mode),
        false,
        s);
  });
  add<Convolution>("Convolution", [](auto& p, auto& in, auto s) {
    need(in, 2);
    return conv_general(
        in[0],
        in[1],
        p.stride(),
        p.padding_lo(),
        p.padding_hi(),
        p.kernel_dilation(),
        p.input_dilation(),
        p.groups(),
        p.flip(),
        s);
  });
  add<Take>("Take", [](auto& p, auto& in, auto s) {
    need(in, 2);
    return take(in[0], in[1], p.axis(), s);
  });
  add<TakeAlongAxis>("TakeAlongAxis", [](auto& p, auto& in, auto s) {
    need(in, 2);
    return take_along_axis(in[0], in[1], p.axis(), s);
  });
  add<PutAlongAxis>("PutAlongAxis", [](auto& p, auto& in, auto s) {
    need(in, 3);
    return put_along_axis(in[0], in[1], in[2], p.axis(), s);
  });
  add<ScatterAddAxis>("ScatterAddAxis", [](auto& p, auto& in, auto s) {
    need(in, 3);
    return scatter_add_axis(in[0], in[1], in[2], p.axis(), s);
  });
  add<Scatter>("Scatter", [](auto& p, auto& in, auto s) {
    // scatter_flat trusts its caller: 1-D data, integer indices and as
    // many updates of the data's dtype.
    need(in, 3);
    const array& a = in[0];
    const array& idx = in[1];
    const array& upd = in[2];
    if (a.ndim() != 1 || idx.ndim() != 1 || upd.ndim() != 1 ||
        !issubdtype(idx.dtype(), integer) || upd.dtype() != a.dtype() ||
        upd.size() != idx.size()) {
      throw_error(
          "[scatter] needs 1-D data, integer indices and as many updates of "
          "the data's dtype, got ",
          a.dtype(),
          a.shape(),
          ", ",
          idx.dtype(),
          idx.shape(),
          " and ",
          upd.dtype(),
          upd.shape());
    }
    return scatter_flat(a, idx, upd, p.reduce_type(), s);
  });
  add<SliceUpdate>("SliceUpdate", [](auto& p, auto& in, auto s) {
    need(in, 2);
    // The slice the update fills: its stop follows from the update's shape.
    Shape stop = p.start();
    if (p.start().size() != in[1].ndim()) {
      throw_error(
          "[slice_update] start ", p.start(), " for update ", in[1].shape());
    }
    for (size_t d = 0; d < stop.size(); ++d) {
      int n = in[1].shape(d);
      int step = d < p.strides().size() ? p.strides()[d] : 1;
      stop[d] += n == 0 ? 0 : (n - 1) * step + (step > 0 ? 1 : -1);
    }
    return slice_update(in[0], in[1], p.start(), stop, p.strides(), s);
  });
  add<Diagonal>("Diagonal", [](auto& p, auto& in, auto s) {
    need(in, 1);
    return diagonal(in[0], p.offset(), p.axis1(), p.axis2(), s);
  });
  add<RandomBits>("RandomBits", [](auto& p, auto& in, auto s) {
    need(in, 1);
    return random::bits(p.shape(), p.width(), in[0], s);
  });
  add<FFT>("FFT", [](auto& p, auto& in, auto s) {
    need(in, 1);
    // The lengths n are the input's over the axes (irfft's last: the
    // output's); the op's normalization, a scale on top, is peeled off.
    Shape n;
    for (int ax : p.axes()) {
      if (ax < 0 || ax >= static_cast<int>(in[0].ndim())) {
        throw_error("[fft] axis ", ax, " for shape ", in[0].shape());
      }
      n.push_back(in[0].shape(ax));
    }
    if (p.real() && p.inverse() && !n.empty()) {
      n.back() = p.real_length();
    }
    FftFn op = p.real() ? (p.inverse() ? FftFn(fft::irfftn) : FftFn(fft::rfftn))
                        : (p.inverse() ? FftFn(fft::ifftn) : FftFn(fft::fftn));
    array out = op(in[0], n, p.axes(), fft::FFTNorm::Backward, s);
    bool scaled = out.has_primitive() && !out.inputs().empty() &&
                  std::string(out.primitive().name()) == "Multiply";
    return scaled ? out.inputs()[0] : out;
  });
  add<Softmax>("Softmax", [](auto& p, auto& in, auto s) {
    need(in, 1);
    return softmax(in[0], std::vector<int>{-1}, p.precise(), s);
  });
  add<fast::RMSNorm>("RMSNorm", [](auto& p, auto& in, auto s) {
    if (in.empty() || in.size() > 2) {
      need(in, 2);
    }
    auto weight = in.size() == 2 ? std::optional<array>(in[1]) : std::nullopt;
    return fast::rms_norm(in[0], weight, p.eps(), s);
  });
  add<fast::LayerNorm>("LayerNorm", [](auto& p, auto& in, auto s) {
    need(in, 1 + p.has_weight() + p.has_bias());
    std::optional<array> weight, bias;
    if (p.has_weight()) {
      weight = in[1];
    }
    if (p.has_bias()) {
      bias = in.back();
    }
    return fast::layer_norm(in[0], weight, bias, p.eps(), s);
  });
  add<fast::RoPE>("RoPE", [](auto& p, auto& in, auto s) {
    // Inputs x, offset and, without a base, freqs.
    if (in.size() < 2 || in.size() > 3) {
      need(in, 3);
    }
    bool has_freqs = in.size() == 3;
    auto base = has_freqs ? std::nullopt : std::optional<float>(p.base());
    auto freqs = has_freqs ? std::optional<array>(in[2]) : std::nullopt;
    array out = fast::rope(
        in[0], p.dims(), p.traditional(), base, p.scale(), in[1], freqs, s);
    return with_primitive(
        out,
        std::make_shared<fast::RoPE>(
            p.stream(),
            p.dims(),
            p.traditional(),
            p.base(),
            p.scale(),
            p.forward()));
  });
  add<fast::ScaledDotProductAttention>(
      "ScaledDotProductAttention", [](auto& p, auto& in, auto s) {
        need(in, 3 + p.has_mask() + p.has_sinks());
        std::optional<array> mask, sinks;
        if (p.has_mask()) {
          mask = in[3];
        }
        if (p.has_sinks()) {
          sinks = in.back();
        }
        return fast::scaled_dot_product_attention(
            in[0],
            in[1],
            in[2],
            p.scale(),
            p.causal() ? "causal" : (mask ? "array" : ""),
            mask,
            sinks,
            s);
      });
}

const Rebuilds& rebuilds() {
  static const Rebuilds r;
  return r;
}

std::string params_of(const Primitive& p) {
  FieldWriter w;
  write_primitive(p, w);
  return w.bytes();
}

} // namespace

bool can_check(const std::string& name) {
  return rebuilds().find(name) != nullptr;
}

void check_node(
    FieldReader& in, size_t index, const detail::CompileTape& tape) {
  auto& node = tape.nodes[index];
  std::string name = node.primitive->name();
  auto fail = [&](const auto&... parts) {
    in.fail("node ", index, " (", name, "): ", parts...);
  };
  auto* rebuild = rebuilds().find(name);
  if (!rebuild) {
    fail("no shape check exists for this primitive, so it is not imported");
  }
  // Value-less stand-ins of the inputs: the ops build, never evaluate.
  Stream cpu = default_stream(Device::cpu);
  Inputs inputs;
  for (int v : node.inputs) {
    auto& value = tape.values[v];
    inputs.emplace_back(
        value.shape,
        value.dtype,
        std::make_shared<CompileTracer>(cpu),
        Inputs{});
  }
  std::optional<array> out;
  try {
    out = (*rebuild)(
        *node.primitive, inputs, tape.values[node.outputs[0]].dtype, cpu);
  } catch (const std::exception& e) {
    fail(e.what());
  }
  // Every output, as declared (the rebuild gives the first; its siblings
  // are the others).
  std::vector<array> outs = out->outputs();
  bool as_declared = outs.size() == node.outputs.size();
  for (size_t k = 0; as_declared && k < outs.size(); ++k) {
    auto& v = tape.values[node.outputs[k]];
    as_declared = outs[k].shape() == v.shape && outs[k].dtype() == v.dtype;
  }
  if (!as_declared) {
    std::ostringstream declared, made;
    for (size_t k = 0; k < node.outputs.size(); ++k) {
      auto& v = tape.values[node.outputs[k]];
      declared << (k ? ", " : "") << v.dtype << v.shape;
    }
    for (size_t k = 0; k < outs.size(); ++k) {
      made << (k ? ", " : "") << outs[k].dtype() << outs[k].shape();
    }
    fail(
        "declared shape ", declared.str(), " but the inputs give ", made.str());
  }
  // The kernels also trust the parameters and their inputs' shapes and
  // dtypes: the op must have made this very primitive on these inputs.
  bool same = out->has_primitive() &&
              std::string(out->primitive().name()) == name &&
              params_of(out->primitive()) == params_of(*node.primitive) &&
              out->inputs().size() == inputs.size();
  for (size_t k = 0; same && k < inputs.size(); ++k) {
    same = out->inputs()[k].shape() == inputs[k].shape() &&
           out->inputs()[k].dtype() == inputs[k].dtype();
  }
  if (!same) {
    std::ostringstream in_desc;
    for (size_t k = 0; k < inputs.size(); ++k) {
      in_desc << (k ? ", " : "") << inputs[k].dtype() << inputs[k].shape();
    }
    fail(
        "its parameters or inputs (",
        in_desc.str(),
        ") are not those its op makes from these inputs");
  }
}

} // namespace mlx::core::export_detail
