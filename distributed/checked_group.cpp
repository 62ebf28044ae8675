// The debug decorator (MLX_DIST_DEBUG=1): before each operation the ranks
// exchange what they are about to do, so that a rank calling a different
// collective, or the same one with another size or dtype, fails loudly with
// the ranks and values instead of corrupting data or hanging.
#include <cstdint>
#include <sstream>
#include <stdexcept>
#include <vector>

#include "mlx/distributed/distributed_impl.h"

namespace mlx::core::distributed::detail {

namespace {

enum class Operation : int32_t {
  AllSum,
  AllMax,
  AllMin,
  AllGather,
  SumScatter,
  Broadcast,
  Barrier,
  Split,
  Send,
  Recv,
};

const char* operation_name(Operation op) {
  static const char* names[] = {
      "all_sum",
      "all_max",
      "all_min",
      "all_gather",
      "sum_scatter",
      "broadcast",
      "barrier",
      "split",
      "send",
      "recv"};
  return names[static_cast<int32_t>(op)];
}

Operation reduce_operation(ReduceOp op) {
  switch (op) {
  case ReduceOp::Sum:
    return Operation::AllSum;
  case ReduceOp::Max:
    return Operation::AllMax;
  case ReduceOp::Min:
    return Operation::AllMin;
  }
  return Operation::AllSum;
}

constexpr int32_t kRawBytes = -1;

// What one rank is about to do. Plain data of fixed size: it travels as
// bytes between ranks.
struct Signature {
  int32_t op;
  int32_t dtype; // Dtype::Val, or kRawBytes when `count` counts bytes
  int64_t count;
  int32_t root; // broadcast root; -1 when the operation has none
  int32_t padding;

  bool operator==(const Signature& o) const {
    return op == o.op && dtype == o.dtype && count == o.count && root == o.root;
  }
};

std::string describe(const Signature& s) {
  std::ostringstream os;
  os << operation_name(static_cast<Operation>(s.op));
  if (s.dtype == kRawBytes) {
    os << " of " << s.count << " bytes";
  } else {
    os << " of " << s.count << " elements of ";
    static const Dtype dtypes[] = {
        bool_,
        uint8,
        uint16,
        uint32,
        uint64,
        int8,
        int16,
        int32,
        int64,
        float16,
        float32,
        float64,
        bfloat16,
        complex64};
    for (auto& d : dtypes) {
      if (static_cast<int32_t>(d.val()) == s.dtype) {
        os << d;
      }
    }
  }
  if (s.root >= 0) {
    os << " from root " << s.root;
  }
  return os.str();
}

Signature signature(
    Operation op, size_t count, int32_t dtype = kRawBytes, int root = -1) {
  return Signature{
      static_cast<int32_t>(op), dtype, static_cast<int64_t>(count), root, 0};
}

int32_t dtype_code(Dtype d) {
  return static_cast<int32_t>(d.val());
}

class CheckedGroup : public GroupImpl {
public:
  explicit CheckedGroup(std::shared_ptr<GroupImpl> inner)
      : inner_(std::move(inner)) {}

  int rank() override { return inner_->rank(); }
  int size() override { return inner_->size(); }
  const char* backend() const override { return inner_->backend(); }

  std::shared_ptr<GroupImpl> split(int color, int key) override {
    check_collective(signature(Operation::Split, 0));
    return std::make_shared<CheckedGroup>(inner_->split(color, key));
  }

  void
  all_reduce(const void* in, void* out, size_t count, Dtype dtype, ReduceOp op)
      override {
    check_collective(signature(reduce_operation(op), count, dtype_code(dtype)));
    inner_->all_reduce(in, out, count, dtype, op);
  }

  void all_reduce_spans(
      const std::vector<Span>& spans,
      Dtype dtype,
      ReduceOp op,
      int divisor) override {
    check_collective(signature(
        reduce_operation(op), span_elements(spans), dtype_code(dtype)));
    inner_->all_reduce_spans(spans, dtype, op, divisor);
  }

  void all_gather(const void* in, void* out, size_t bytes) override {
    check_collective(signature(Operation::AllGather, bytes));
    inner_->all_gather(in, out, bytes);
  }

  void reduce_scatter(
      const void* in,
      void* out,
      size_t count,
      Dtype dtype,
      ReduceOp op) override {
    check_collective(
        signature(Operation::SumScatter, count, dtype_code(dtype)));
    inner_->reduce_scatter(in, out, count, dtype, op);
  }

  // The sender announces its message; the receiver compares it with what
  // it expects (only the receiver can tell).
  void send(const void* data, size_t bytes, int dst) override {
    auto mine = signature(Operation::Send, bytes);
    inner_->send(&mine, sizeof(mine), dst);
    inner_->send(data, bytes, dst);
  }

  void recv(void* data, size_t bytes, int src) override {
    Signature theirs;
    inner_->recv(&theirs, sizeof(theirs), src);
    if (!(theirs == signature(Operation::Send, bytes))) {
      std::ostringstream msg;
      msg << "[recv] Rank " << src << " does not match this receive of "
          << bytes << " bytes on rank " << rank() << " (MLX_DIST_DEBUG): rank "
          << src << " called " << describe(theirs) << ".";
      throw std::runtime_error(msg.str());
    }
    inner_->recv(data, bytes, src);
  }

  void broadcast(void* data, size_t bytes, int root) override {
    check_collective(signature(Operation::Broadcast, bytes, kRawBytes, root));
    inner_->broadcast(data, bytes, root);
  }

  void barrier() override {
    check_collective(signature(Operation::Barrier, 0));
    inner_->barrier();
  }

private:
  // Every rank sees every rank's signature, so all of them raise the same
  // error together and none is left waiting in the real operation.
  void check_collective(const Signature& mine) {
    int n = size();
    std::vector<Signature> all(n);
    inner_->all_gather(&mine, all.data(), sizeof(Signature));
    std::vector<int> differing;
    for (int r = 1; r < n; ++r) {
      if (!(all[r] == all[0])) {
        differing.push_back(r);
      }
    }
    if (differing.empty()) {
      return;
    }
    std::ostringstream msg;
    msg << "[" << operation_name(static_cast<Operation>(mine.op))
        << "] The ranks disagree on the operation (MLX_DIST_DEBUG): rank";
    msg << (differing.size() > 1 ? "s " : " ");
    for (size_t i = 0; i < differing.size(); ++i) {
      msg << (i > 0 ? ", " : "") << differing[i];
    }
    msg << " differ from rank 0. Calls:";
    for (int r = 0; r < n; ++r) {
      msg << " rank " << r << ": " << describe(all[r]) << ";";
    }
    throw std::runtime_error(msg.str());
  }

  std::shared_ptr<GroupImpl> inner_;
};

} // namespace

std::shared_ptr<GroupImpl>
make_checked_group(std::shared_ptr<GroupImpl> inner) {
  return std::make_shared<CheckedGroup>(std::move(inner));
}

} // namespace mlx::core::distributed::detail
