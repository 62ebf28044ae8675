// CPU kernel of Compiled: the fused region runs block by block. Each block
// of the output is computed step after step in small per-thread scratch
// buffers (reused as values die), so intermediate values never reach main
// memory and no intermediate array is allocated.
#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <memory>

#include "mlx/backend/cpu/compiled_steps.h"
#include "mlx/backend/cpu/copy.h"
#include "mlx/backend/cpu/strided.h"
#include "mlx/primitives/compiled.h"

namespace mlx::core {

namespace {

// Elements per block. A value of 8-byte elements then takes 8 KiB, so the
// few values a region keeps live at once stay in L1/L2; the per-block cost
// of dispatching each step (one indirect call) is amortized over 1024
// elements.
constexpr size_t kBlock = 1024;
// Slots lie this far apart: a block of the largest (8-byte) elements, plus
// five cache lines so that slots do not share their addresses modulo 4 KiB
// (loads from one slot would wait on stores to another: "4K aliasing").
constexpr size_t kSlotBytes = kBlock * 8 + 5 * 64;

enum class InputKind { contiguous, scalar, strided };

// How a block of an input is read: straight from its buffer, from a
// scratch slot filled with its one value, or gathered through its strides
// (broadcast or any other layout) into a slot.
struct InputPlan {
  InputKind kind;
  const char* data;
  size_t itemsize;
  Shape shape;     // strided: collapsed output shape
  Strides strides; // strided: the input's strides over `shape`
};

InputPlan plan_input(const array& in, const array& out) {
  InputPlan p{InputKind::contiguous, in.data<char>(), in.itemsize(), {}, {}};
  if (in.data_size() == 1) {
    p.kind = InputKind::scalar;
  } else if (
      !in.flags().row_contiguous || in.size() != out.size() ||
      in.data_size() != in.size()) {
    p.kind = InputKind::strided;
    // Strides of `in` broadcast to the output shape (aligned right).
    size_t lead = out.ndim() - in.ndim();
    Strides strides(out.ndim(), 0);
    for (size_t d = 0; d < in.ndim(); ++d) {
      strides[lead + d] = in.shape(d) == 1 ? 0 : in.strides()[d];
    }
    std::array<Strides, 2> both{strides, row_major_strides(out.shape())};
    p.shape = out.shape();
    cpu::collapse_dims(p.shape, both);
    p.strides = std::move(both[0]);
  }
  return p;
}

// Copies the elements [start, start + n) (row-major order of the output)
// of a strided input into dst.
template <typename U>
void gather(
    const InputPlan& p,
    size_t start,
    size_t n,
    U* dst,
    std::vector<int32_t>& index) {
  const U* src = reinterpret_cast<const U*>(p.data);
  int nd = static_cast<int>(p.shape.size());
  index.assign(nd, 0);
  int64_t loc = 0;
  size_t rem = start;
  for (int d = nd - 1; d >= 0; --d) {
    index[d] = static_cast<int32_t>(rem % p.shape[d]);
    rem /= p.shape[d];
    loc += index[d] * p.strides[d];
  }
  const int32_t inner = p.shape[nd - 1];
  const int64_t step = p.strides[nd - 1];
  for (size_t done = 0; done < n;) {
    size_t run = std::min<size_t>(inner - index[nd - 1], n - done);
    const U* s = src + loc;
    if (step == 0) {
      std::fill_n(dst + done, run, s[0]);
    } else if (step == 1) {
      std::memcpy(dst + done, s, run * sizeof(U));
    } else {
      for (size_t k = 0; k < run; ++k) {
        dst[done + k] = s[static_cast<int64_t>(k) * step];
      }
    }
    done += run;
    loc += static_cast<int64_t>(run) * step;
    index[nd - 1] += static_cast<int32_t>(run);
    if (index[nd - 1] < inner) {
      continue;
    }
    // Next row: carry into the outer dims.
    loc -= static_cast<int64_t>(inner) * step;
    index[nd - 1] = 0;
    for (int d = nd - 2; d >= 0; --d) {
      loc += p.strides[d];
      if (++index[d] < p.shape[d]) {
        break;
      }
      loc -= p.strides[d] * p.shape[d];
      index[d] = 0;
    }
  }
}

// Scratch slots for the values of one region: slot_of[v] = -1 for values
// read in place (contiguous inputs), aliases (broadcasts) and the output.
struct SlotPlan {
  std::vector<int> slot_of;
  int num_slots = 0;
};

SlotPlan plan_slots(
    const Compiled& c,
    const std::vector<InputPlan>& inputs,
    const std::vector<Dtype>& dtypes) {
  const auto& steps = c.steps();
  int ni = c.num_inputs();
  int nv = ni + static_cast<int>(steps.size());
  // A broadcast step is its argument: reads of it extend its source's life.
  std::vector<int> source(nv);
  for (int v = 0; v < nv; ++v) {
    source[v] = v;
    if (v >= ni && steps[v - ni].kind == FusedStep::Kind::broadcast) {
      source[v] = source[steps[v - ni].args[0]];
    }
  }
  std::vector<int> last_use(nv, -1);
  for (int k = 0; k < static_cast<int>(steps.size()); ++k) {
    for (int a : steps[k].args) {
      last_use[source[a]] = std::max(last_use[source[a]], k);
    }
  }
  SlotPlan plan;
  plan.slot_of.assign(nv, -1);
  std::vector<int> free_slots;
  auto take_free = [&]() {
    if (free_slots.empty()) {
      return plan.num_slots++;
    }
    int s = free_slots.back();
    free_slots.pop_back();
    return s;
  };
  // (slot, value) pairs by the step that reads the value last.
  std::vector<std::vector<std::pair<int, int>>> dies_at(steps.size() + 1);
  for (int i = 0; i < ni; ++i) {
    if (inputs[i].kind != InputKind::contiguous && last_use[i] >= 0) {
      plan.slot_of[i] = take_free();
      // Scalar slots are filled once per thread: never reused.
      if (inputs[i].kind == InputKind::strided) {
        dies_at[last_use[i]].emplace_back(plan.slot_of[i], i);
      }
    }
  }
  int last = static_cast<int>(steps.size()) - 1;
  for (int k = 0; k < last; ++k) {
    auto& dying = dies_at[k];
    if (steps[k].kind != FusedStep::Kind::broadcast) {
      // The result may overwrite an argument read last here if the
      // elements have the same size (each is read, then written).
      size_t size = size_of(dtypes[ni + k]);
      auto same = std::find_if(dying.begin(), dying.end(), [&](auto& d) {
        return size_of(dtypes[d.second]) == size;
      });
      int slot;
      if (same != dying.end()) {
        slot = same->first;
        dying.erase(same);
      } else {
        slot = take_free();
      }
      plan.slot_of[ni + k] = slot;
      // An unread result (not made by compile's fusion) dies right away.
      dies_at[std::max(last_use[ni + k], k + 1)].emplace_back(slot, ni + k);
    }
    for (auto& d : dying) {
      free_slots.push_back(d.first);
    }
  }
  return plan;
}

struct AlignedFree {
  void operator()(char* p) const { std::free(p); }
};

} // namespace

void Compiled::eval_cpu(const std::vector<array>& raw_inputs, array& out) {
  if (out.size() == 0) {
    out.set_data(allocator::malloc(0));
    return;
  }
  const int ni = num_inputs();
  const auto& steps = this->steps();
  const int nsteps = static_cast<int>(steps.size());
  std::vector<InputPlan> inputs;
  for (auto& in : raw_inputs) {
    inputs.push_back(plan_input(in, out));
  }
  // The element loops, resolved once (this is where unsupported dtypes
  // raise, as they do in the unfused kernels).
  std::vector<Dtype> dtypes;
  for (auto& in : raw_inputs) {
    dtypes.push_back(in.dtype());
  }
  std::vector<cpu::StepFn> fns(nsteps);
  for (int k = 0; k < nsteps; ++k) {
    std::vector<Dtype> arg_dtypes;
    for (int a : steps[k].args) {
      arg_dtypes.push_back(dtypes[a]);
    }
    fns[k] = cpu::step_function(steps[k], arg_dtypes);
    dtypes.push_back(steps[k].dtype);
  }
  SlotPlan slots = plan_slots(*this, inputs, dtypes);

  // The output may take over the buffer of a row-contiguous input that
  // nothing else refers to: the last step reads each element of it before
  // writing the same element.
  bool donated = false;
  for (int i = 0; i < ni && !donated; ++i) {
    auto& in = raw_inputs[i];
    if (inputs[i].kind == InputKind::contiguous &&
        in.itemsize() == out.itemsize() && in.is_donatable()) {
      out.copy_shared_buffer(in);
      donated = true;
    }
  }
  if (!donated) {
    out.set_data(allocator::malloc(out.nbytes()));
  }
  char* out_data = out.data<char>();
  const size_t out_itemsize = out.itemsize();
  const size_t total = out.size();
  const size_t num_blocks = (total + kBlock - 1) / kBlock;

  auto run_blocks = [&](size_t first, size_t last) {
    std::unique_ptr<char, AlignedFree> scratch(static_cast<char*>(
        std::aligned_alloc(64, std::max(1, slots.num_slots) * kSlotBytes)));
    auto slot = [&](int v) {
      return scratch.get() + slots.slot_of[v] * kSlotBytes;
    };
    std::vector<const char*> ptr(ni + nsteps, nullptr);
    std::vector<int32_t> index;
    for (int i = 0; i < ni; ++i) {
      if (inputs[i].kind == InputKind::scalar && slots.slot_of[i] >= 0) {
        cpu::dispatch_bits(inputs[i].itemsize, [&](auto tag) {
          using U = decltype(tag);
          U value;
          std::memcpy(&value, inputs[i].data, sizeof(U));
          std::fill_n(reinterpret_cast<U*>(slot(i)), kBlock, value);
        });
        ptr[i] = slot(i);
      }
    }
    const void* args[3];
    for (size_t b = first; b < last; ++b) {
      size_t start = b * kBlock;
      size_t n = std::min(kBlock, total - start);
      for (int i = 0; i < ni; ++i) {
        auto& p = inputs[i];
        if (p.kind == InputKind::contiguous) {
          ptr[i] = p.data + start * p.itemsize;
        } else if (p.kind == InputKind::strided && slots.slot_of[i] >= 0) {
          char* dst = slot(i);
          cpu::dispatch_bits(p.itemsize, [&](auto tag) {
            using U = decltype(tag);
            gather(p, start, n, reinterpret_cast<U*>(dst), index);
          });
          ptr[i] = dst;
        }
      }
      for (int k = 0; k < nsteps; ++k) {
        auto& step = steps[k];
        if (step.kind == FusedStep::Kind::broadcast) {
          ptr[ni + k] = ptr[step.args[0]];
          continue;
        }
        for (size_t a = 0; a < step.args.size(); ++a) {
          args[a] = ptr[step.args[a]];
        }
        char* dst =
            k == nsteps - 1 ? out_data + start * out_itemsize : slot(ni + k);
        fns[k](args, dst, n);
        ptr[ni + k] = dst;
      }
    }
  };
  // Split as the element-wise kernels do (kElementwiseGrain elements).
  cpu::parallel_for(
      num_blocks,
      std::max<size_t>(1, cpu::kElementwiseGrain / kBlock),
      run_blocks);
}

} // namespace mlx::core
