// The primitives export_function can write, each with the writer and the
// reader of its parameters, in one table (docs/ops.md lists them). A
// primitive is identified in the file by its name(); the families whose op
// is an enum (Unary, Binary, Reduce, Scan, ArgReduce) have one name per op.
#include <algorithm>
#include <functional>
#include <typeindex>
#include <unordered_map>

#include "mlx/export/export_impl.h"
#include "mlx/primitives/primitives.h"

namespace mlx::core::export_detail {

namespace {

using Writer = std::function<void(const Primitive&, FieldWriter&)>;
using Reader =
    std::function<std::shared_ptr<Primitive>(FieldReader&, const Stream&)>;

class Registry {
public:
  Registry();

  const Writer* writer(const Primitive& p) const {
    auto it = writers_.find(typeid(p));
    return it == writers_.end() ? nullptr : &it->second;
  }
  const Reader* reader(const std::string& name) const {
    auto it = readers_.find(name);
    return it == readers_.end() ? nullptr : &it->second;
  }
  std::vector<std::string> names() const {
    std::vector<std::string> out;
    for (auto& [name, _] : readers_) {
      out.push_back(name);
    }
    std::sort(out.begin(), out.end());
    return out;
  }

private:
  // A primitive whose parameters `write` writes and `read` reads back.
  template <typename P, typename W, typename R> void add(W write, R read) {
    writers_[typeid(P)] = [write](const Primitive& p, FieldWriter& out) {
      write(static_cast<const P&>(p), out);
    };
    add_reader(
        read(nullptr, kProbe)->name(),
        [read](FieldReader& in, const Stream& s) {
          return std::shared_ptr<Primitive>(read(&in, s));
        });
  }

  // A primitive without parameters.
  template <typename P> void add_plain() {
    add<P>(
        [](const P&, FieldWriter&) {},
        [](FieldReader*, const Stream& s) { return std::make_shared<P>(s); });
  }

  // A family whose op (an enum from 0 to `last`) its name tells.
  template <typename P, typename Op, typename W, typename R>
  void add_family(Op last, W write, R read) {
    writers_[typeid(P)] = [write](const Primitive& p, FieldWriter& out) {
      write(static_cast<const P&>(p), out);
    };
    for (int op = 0; op <= static_cast<int>(last); ++op) {
      auto probe = read(nullptr, kProbe, Op(op));
      add_reader(probe->name(), [read, op](FieldReader& in, const Stream& s) {
        return std::shared_ptr<Primitive>(read(&in, s, Op(op)));
      });
    }
  }

  void add_reader(const std::string& name, Reader read) {
    if (!readers_.emplace(name, std::move(read)).second) {
      throw std::logic_error("[export_function] two primitives named " + name);
    }
  }

  // Readers called with no input make a primitive only to learn its name.
  inline static const Stream kProbe{0, Device::cpu};

  std::unordered_map<std::type_index, Writer> writers_;
  std::unordered_map<std::string, Reader> readers_;
};

void write_quant_params(const QuantParams& p, FieldWriter& out) {
  out.i32(p.group_size);
  out.i32(p.bits);
  out.u8(static_cast<uint8_t>(p.mode));
}

// Any values here; the node check runs the op, which validates them.
QuantParams read_quant_params(FieldReader* in) {
  if (!in) {
    return {64, 4, QuantizationMode::Affine};
  }
  int group_size = in->i32();
  int bits = in->i32();
  uint8_t mode = in->u8();
  if (mode > static_cast<uint8_t>(QuantizationMode::Mxfp4)) {
    in->fail("unknown quantization mode ", int(mode));
  }
  return {group_size, bits, QuantizationMode(mode)};
}

// Parameters a reader called without input (a probe) gets: any value.
int int_or(FieldReader* in) {
  return in ? in->i32() : 0;
}
bool bool_or(FieldReader* in) {
  return in ? in->boolean() : false;
}
float f32_or(FieldReader* in) {
  return in ? in->f32() : 0.0f;
}
double f64_or(FieldReader* in) {
  return in ? in->f64() : 0.0;
}
Dtype dtype_or(FieldReader* in) {
  return in ? in->dtype() : float32;
}
std::vector<int> ints_or(FieldReader* in, const char* what) {
  return in ? in->ints(what) : std::vector<int>{};
}

Registry::Registry() {
  // Element-wise.
  add_family<Unary>(
      UnaryOp::Imag,
      [](const Unary&, FieldWriter&) {},
      [](FieldReader*, const Stream& s, UnaryOp op) {
        return std::make_shared<Unary>(s, op);
      });
  add_family<Binary>(
      BinaryOp::RightShift,
      [](const Binary&, FieldWriter&) {},
      [](FieldReader*, const Stream& s, BinaryOp op) {
        return std::make_shared<Binary>(s, op);
      });
  add_plain<Select>();
  add<AsType>(
      [](const AsType& p, FieldWriter& out) { out.dtype(p.dtype()); },
      [](FieldReader* in, const Stream& s) {
        return std::make_shared<AsType>(s, dtype_or(in));
      });

  // Layout.
  add<Reshape>(
      [](const Reshape& p, FieldWriter& out) { out.ints(p.shape()); },
      [](FieldReader* in, const Stream& s) {
        return std::make_shared<Reshape>(s, ints_or(in, "shape"));
      });
  add<Transpose>(
      [](const Transpose& p, FieldWriter& out) { out.ints(p.axes()); },
      [](FieldReader* in, const Stream& s) {
        return std::make_shared<Transpose>(s, ints_or(in, "axes"));
      });
  add<Broadcast>(
      [](const Broadcast& p, FieldWriter& out) { out.ints(p.shape()); },
      [](FieldReader* in, const Stream& s) {
        return std::make_shared<Broadcast>(s, ints_or(in, "shape"));
      });
  add<Slice>(
      [](const Slice& p, FieldWriter& out) {
        out.ints(p.start());
        out.ints(p.stop());
        out.ints(p.strides());
      },
      [](FieldReader* in, const Stream& s) {
        auto start = ints_or(in, "start");
        auto stop = ints_or(in, "stop");
        return std::make_shared<Slice>(
            s, std::move(start), std::move(stop), ints_or(in, "strides"));
      });
  add<AsStrided>(
      [](const AsStrided& p, FieldWriter& out) {
        out.ints(p.shape());
        out.longs(p.strides());
        out.u64(p.offset());
      },
      [](FieldReader* in, const Stream& s) {
        auto shape = ints_or(in, "shape");
        auto strides = in ? in->longs("strides") : Strides{};
        size_t offset = in ? in->u64() : 0;
        return std::make_shared<AsStrided>(
            s, std::move(shape), std::move(strides), offset);
      });
  add<View>(
      [](const View& p, FieldWriter& out) { out.dtype(p.dtype()); },
      [](FieldReader* in, const Stream& s) {
        return std::make_shared<View>(s, dtype_or(in));
      });
  add<Contiguous>(
      [](const Contiguous& p, FieldWriter& out) {
        out.boolean(p.allow_col_major());
      },
      [](FieldReader* in, const Stream& s) {
        return std::make_shared<Contiguous>(s, bool_or(in));
      });
  add_plain<StopGradient>();
  add<Full>(
      [](const Full& p, FieldWriter& out) { out.ints(p.shape()); },
      [](FieldReader* in, const Stream& s) {
        return std::make_shared<Full>(s, ints_or(in, "shape"));
      });
  add<Arange>(
      [](const Arange& p, FieldWriter& out) {
        out.f64(p.start());
        out.f64(p.stop());
        out.f64(p.step());
      },
      [](FieldReader* in, const Stream& s) {
        double start = f64_or(in);
        double stop = f64_or(in);
        return std::make_shared<Arange>(s, start, stop, f64_or(in));
      });
  add<Concatenate>(
      [](const Concatenate& p, FieldWriter& out) { out.i32(p.axis()); },
      [](FieldReader* in, const Stream& s) {
        return std::make_shared<Concatenate>(s, int_or(in));
      });

  // Reductions, scans and sorts.
  add_family<Reduce>(
      ReduceOp::Max,
      [](const Reduce& p, FieldWriter& out) { out.ints(p.axes()); },
      [](FieldReader* in, const Stream& s, ReduceOp op) {
        return std::make_shared<Reduce>(s, op, ints_or(in, "axes"));
      });
  add_family<ArgReduce>(
      ArgReduceOp::ArgMax,
      [](const ArgReduce& p, FieldWriter& out) { out.i32(p.axis()); },
      [](FieldReader* in, const Stream& s, ArgReduceOp op) {
        return std::make_shared<ArgReduce>(s, op, int_or(in));
      });
  add_family<Scan>(
      ScanOp::LogAddExp,
      [](const Scan& p, FieldWriter& out) {
        out.i32(p.axis());
        out.boolean(p.reverse());
        out.boolean(p.inclusive());
      },
      [](FieldReader* in, const Stream& s, ScanOp op) {
        int axis = int_or(in);
        bool reverse = bool_or(in);
        return std::make_shared<Scan>(s, op, axis, reverse, bool_or(in));
      });
  add<Sort>(
      [](const Sort& p, FieldWriter& out) { out.i32(p.axis()); },
      [](FieldReader* in, const Stream& s) {
        return std::make_shared<Sort>(s, int_or(in));
      });
  add<ArgSort>(
      [](const ArgSort& p, FieldWriter& out) { out.i32(p.axis()); },
      [](FieldReader* in, const Stream& s) {
        return std::make_shared<ArgSort>(s, int_or(in));
      });
  add<Partition>(
      [](const Partition& p, FieldWriter& out) {
        out.i32(p.kth());
        out.i32(p.axis());
      },
      [](FieldReader* in, const Stream& s) {
        int kth = int_or(in);
        return std::make_shared<Partition>(s, kth, int_or(in));
      });
  add<ArgPartition>(
      [](const ArgPartition& p, FieldWriter& out) {
        out.i32(p.kth());
        out.i32(p.axis());
      },
      [](FieldReader* in, const Stream& s) {
        int kth = int_or(in);
        return std::make_shared<ArgPartition>(s, kth, int_or(in));
      });

  // Matrix products and convolution.
  add_plain<Matmul>();
  add_plain<GatherMM>();
  add<GatherMMScatterAdd>(
      [](const GatherMMScatterAdd& p, FieldWriter& out) {
        out.ints(p.out_batch());
      },
      [](FieldReader* in, const Stream& s) {
        return std::make_shared<GatherMMScatterAdd>(
            s, ints_or(in, "out batch"));
      });
  add<AddMM>(
      [](const AddMM& p, FieldWriter& out) {
        out.f32(p.alpha());
        out.f32(p.beta());
      },
      [](FieldReader* in, const Stream& s) {
        float alpha = f32_or(in);
        return std::make_shared<AddMM>(s, alpha, f32_or(in));
      });
  // Linear algebra (CPU kernels through LAPACK). The op named in an
  // Inverse's errors follows from its kind: inv or tri_inv.
  add<Inverse>(
      [](const Inverse& p, FieldWriter& out) {
        out.u8(static_cast<uint8_t>(p.kind()));
      },
      [](FieldReader* in, const Stream& s) {
        uint8_t kind = in ? in->u8() : 0;
        if (kind > static_cast<uint8_t>(Inverse::Kind::upper)) {
          in->fail("unknown inverse kind ", int(kind));
        }
        return std::make_shared<Inverse>(
            s,
            Inverse::Kind(kind),
            kind == 0 ? "linalg::inv" : "linalg::tri_inv");
      });
  add_plain<Solve>();
  add<Cholesky>(
      [](const Cholesky& p, FieldWriter& out) { out.boolean(p.upper()); },
      [](FieldReader* in, const Stream& s) {
        return std::make_shared<Cholesky>(s, bool_or(in));
      });

  add<LUF>(
      [](const LUF& p, FieldWriter& out) { out.boolean(p.of_transpose()); },
      [](FieldReader* in, const Stream& s) {
        return std::make_shared<LUF>(s, bool_or(in));
      });
  add_plain<QRF>();
  add<SVD>(
      [](const SVD& p, FieldWriter& out) { out.boolean(p.compute_uv()); },
      [](FieldReader* in, const Stream& s) {
        return std::make_shared<SVD>(s, bool_or(in));
      });
  add<Eig>(
      [](const Eig& p, FieldWriter& out) { out.boolean(p.compute_vectors()); },
      [](FieldReader* in, const Stream& s) {
        return std::make_shared<Eig>(s, bool_or(in));
      });
  add<Eigh>(
      [](const Eigh& p, FieldWriter& out) {
        out.u8(static_cast<uint8_t>(p.uplo()));
      },
      [](FieldReader* in, const Stream& s) {
        char uplo = in ? static_cast<char>(in->u8()) : 'L';
        if (uplo != 'L' && uplo != 'U') {
          in->fail("eigh's triangle must be 'L' or 'U', got ", int(uplo));
        }
        return std::make_shared<Eigh>(s, uplo);
      });

  // Quantization and quantized products on packed weights.
  add<Quantize>(
      [](const Quantize& p, FieldWriter& out) {
        write_quant_params(p.params(), out);
      },
      [](FieldReader* in, const Stream& s) {
        return std::make_shared<Quantize>(s, read_quant_params(in));
      });
  add<Dequantize>(
      [](const Dequantize& p, FieldWriter& out) {
        write_quant_params(p.params(), out);
      },
      [](FieldReader* in, const Stream& s) {
        return std::make_shared<Dequantize>(s, read_quant_params(in));
      });
  add<QuantizedMatmul>(
      [](const QuantizedMatmul& p, FieldWriter& out) {
        write_quant_params(p.params(), out);
        out.boolean(p.transpose());
      },
      [](FieldReader* in, const Stream& s) {
        QuantParams params = read_quant_params(in);
        return std::make_shared<QuantizedMatmul>(s, params, bool_or(in));
      });
  add<GatherQMM>(
      [](const GatherQMM& p, FieldWriter& out) {
        write_quant_params(p.params(), out);
        out.boolean(p.transpose());
      },
      [](FieldReader* in, const Stream& s) {
        QuantParams params = read_quant_params(in);
        return std::make_shared<GatherQMM>(s, params, bool_or(in));
      });
  add<Convolution>(
      [](const Convolution& p, FieldWriter& out) {
        out.ints(p.stride());
        out.ints(p.padding_lo());
        out.ints(p.padding_hi());
        out.ints(p.kernel_dilation());
        out.ints(p.input_dilation());
        out.i32(p.groups());
        out.boolean(p.flip());
      },
      [](FieldReader* in, const Stream& s) {
        auto stride = ints_or(in, "stride");
        auto lo = ints_or(in, "padding");
        auto hi = ints_or(in, "padding");
        auto kernel_dilation = ints_or(in, "kernel_dilation");
        auto input_dilation = ints_or(in, "input_dilation");
        int groups = int_or(in);
        return std::make_shared<Convolution>(
            s,
            std::move(stride),
            std::move(lo),
            std::move(hi),
            std::move(kernel_dilation),
            std::move(input_dilation),
            groups,
            bool_or(in));
      });

  // Indexing.
  add<Take>(
      [](const Take& p, FieldWriter& out) { out.i32(p.axis()); },
      [](FieldReader* in, const Stream& s) {
        return std::make_shared<Take>(s, int_or(in));
      });
  add<TakeAlongAxis>(
      [](const TakeAlongAxis& p, FieldWriter& out) { out.i32(p.axis()); },
      [](FieldReader* in, const Stream& s) {
        return std::make_shared<TakeAlongAxis>(s, int_or(in));
      });
  add<PutAlongAxis>(
      [](const PutAlongAxis& p, FieldWriter& out) { out.i32(p.axis()); },
      [](FieldReader* in, const Stream& s) {
        return std::make_shared<PutAlongAxis>(s, int_or(in));
      });
  add<ScatterAddAxis>(
      [](const ScatterAddAxis& p, FieldWriter& out) { out.i32(p.axis()); },
      [](FieldReader* in, const Stream& s) {
        return std::make_shared<ScatterAddAxis>(s, int_or(in));
      });
  add<Scatter>(
      [](const Scatter& p, FieldWriter& out) { out.u8(p.reduce_type()); },
      [](FieldReader* in, const Stream& s) {
        uint8_t reduce = in ? in->u8() : 0;
        if (reduce > Scatter::Min) {
          in->fail("unknown scatter reduction ", int(reduce));
        }
        return std::make_shared<Scatter>(s, Scatter::ReduceType(reduce));
      });
  add<SliceUpdate>(
      [](const SliceUpdate& p, FieldWriter& out) {
        out.ints(p.start());
        out.ints(p.strides());
      },
      [](FieldReader* in, const Stream& s) {
        auto start = ints_or(in, "start");
        return std::make_shared<SliceUpdate>(
            s, std::move(start), ints_or(in, "strides"));
      });
  add<Diagonal>(
      [](const Diagonal& p, FieldWriter& out) {
        out.i32(p.offset());
        out.i32(p.axis1());
        out.i32(p.axis2());
      },
      [](FieldReader* in, const Stream& s) {
        int offset = int_or(in);
        int axis1 = int_or(in);
        return std::make_shared<Diagonal>(s, offset, axis1, int_or(in));
      });

  // Random bits, FFT and the fused layers of mlx.core.fast.
  add<RandomBits>(
      [](const RandomBits& p, FieldWriter& out) {
        out.ints(p.shape());
        out.i32(p.width());
      },
      [](FieldReader* in, const Stream& s) {
        auto shape = ints_or(in, "shape");
        return std::make_shared<RandomBits>(s, std::move(shape), int_or(in));
      });
  add<FFT>(
      [](const FFT& p, FieldWriter& out) {
        out.ints(p.axes());
        out.boolean(p.inverse());
        out.boolean(p.real());
        out.i32(p.real_length());
      },
      [](FieldReader* in, const Stream& s) {
        auto axes = ints_or(in, "axes");
        bool inverse = bool_or(in);
        bool real = bool_or(in);
        return std::make_shared<FFT>(
            s, std::move(axes), inverse, real, int_or(in));
      });
  add<Softmax>(
      [](const Softmax& p, FieldWriter& out) { out.boolean(p.precise()); },
      [](FieldReader* in, const Stream& s) {
        return std::make_shared<Softmax>(s, bool_or(in));
      });
  add<fast::RMSNorm>(
      [](const fast::RMSNorm& p, FieldWriter& out) { out.f32(p.eps()); },
      [](FieldReader* in, const Stream& s) {
        return std::make_shared<fast::RMSNorm>(s, f32_or(in));
      });
  add<fast::LayerNorm>(
      [](const fast::LayerNorm& p, FieldWriter& out) {
        out.f32(p.eps());
        out.boolean(p.has_weight());
        out.boolean(p.has_bias());
      },
      [](FieldReader* in, const Stream& s) {
        float eps = f32_or(in);
        bool has_weight = bool_or(in);
        return std::make_shared<fast::LayerNorm>(
            s, eps, has_weight, bool_or(in));
      });
  add<fast::RoPE>(
      [](const fast::RoPE& p, FieldWriter& out) {
        out.i32(p.dims());
        out.boolean(p.traditional());
        out.f32(p.base());
        out.f32(p.scale());
        out.boolean(p.forward());
      },
      [](FieldReader* in, const Stream& s) {
        int dims = int_or(in);
        bool traditional = bool_or(in);
        float base = f32_or(in);
        float scale = f32_or(in);
        return std::make_shared<fast::RoPE>(
            s, dims, traditional, base, scale, bool_or(in));
      });
  add<fast::ScaledDotProductAttention>(
      [](const fast::ScaledDotProductAttention& p, FieldWriter& out) {
        out.f32(p.scale());
        out.boolean(p.causal());
        out.boolean(p.has_mask());
        out.boolean(p.has_sinks());
      },
      [](FieldReader* in, const Stream& s) {
        float scale = f32_or(in);
        bool causal = bool_or(in);
        bool has_mask = bool_or(in);
        return std::make_shared<fast::ScaledDotProductAttention>(
            s, scale, causal, has_mask, bool_or(in));
      });
}

const Registry& registry() {
  static const Registry r;
  return r;
}

} // namespace

std::string write_primitive(const Primitive& p, FieldWriter& params) {
  auto* write = registry().writer(p);
  if (!write) {
    throw_error(
        "[export_function] primitive ", p.name(), " cannot be exported yet.");
  }
  (*write)(p, params);
  return p.name();
}

std::shared_ptr<Primitive>
read_primitive(const std::string& name, FieldReader& params, Stream s) {
  auto* read = registry().reader(name);
  if (!read) {
    params.fail("unknown primitive '", name, "'");
  }
  auto p = (*read)(params, s);
  params.expect_end("the parameters");
  return p;
}

std::vector<std::string> exportable_primitives() {
  return registry().names();
}

} // namespace mlx::core::export_detail
