#include "mlx/distributed/mpi/mpi_types.h"

#include <stdexcept>

#include "mlx/distributed/distributed_impl.h"

namespace mlx::core::distributed::mpi {

namespace {

MPI_Datatype float16_type = MPI_DATATYPE_NULL;
MPI_Datatype bfloat16_type = MPI_DATATYPE_NULL;
MPI_Op user_ops[3] = {MPI_OP_NULL, MPI_OP_NULL, MPI_OP_NULL};

Dtype dtype_of(MPI_Datatype type) {
  if (type == float16_type) {
    return float16;
  }
  if (type == bfloat16_type) {
    return bfloat16;
  }
  if (type == MPI_FLOAT) {
    return float32;
  }
  if (type == MPI_DOUBLE) {
    return float64;
  }
  if (type == MPI_C_FLOAT_COMPLEX) {
    return complex64;
  }
  // Only the types above are ever passed with a user-defined op.
  throw std::logic_error("[mpi] Unexpected datatype in a user-defined op.");
}

template <detail::ReduceOp Op>
void reduce_function(void* in, void* inout, int* len, MPI_Datatype* type) {
  detail::reduce_into(
      Op, dtype_of(*type), in, inout, static_cast<size_t>(*len));
}

} // namespace

void create_types_and_ops() {
  MPI_Type_contiguous(2, MPI_BYTE, &float16_type);
  MPI_Type_commit(&float16_type);
  MPI_Type_contiguous(2, MPI_BYTE, &bfloat16_type);
  MPI_Type_commit(&bfloat16_type);
  // All three are commutative, which lets MPI pick any reduction order.
  MPI_Op_create(
      &reduce_function<detail::ReduceOp::Sum>,
      1,
      &user_ops[static_cast<int>(detail::ReduceOp::Sum)]);
  MPI_Op_create(
      &reduce_function<detail::ReduceOp::Max>,
      1,
      &user_ops[static_cast<int>(detail::ReduceOp::Max)]);
  MPI_Op_create(
      &reduce_function<detail::ReduceOp::Min>,
      1,
      &user_ops[static_cast<int>(detail::ReduceOp::Min)]);
}

MPI_Datatype datatype(Dtype dtype) {
  switch (dtype.val()) {
  case Dtype::Val::bool_:
    return MPI_C_BOOL;
  case Dtype::Val::uint8:
    return MPI_UINT8_T;
  case Dtype::Val::uint16:
    return MPI_UINT16_T;
  case Dtype::Val::uint32:
    return MPI_UINT32_T;
  case Dtype::Val::uint64:
    return MPI_UINT64_T;
  case Dtype::Val::int8:
    return MPI_INT8_T;
  case Dtype::Val::int16:
    return MPI_INT16_T;
  case Dtype::Val::int32:
    return MPI_INT32_T;
  case Dtype::Val::int64:
    return MPI_INT64_T;
  case Dtype::Val::float16:
    return float16_type;
  case Dtype::Val::float32:
    return MPI_FLOAT;
  case Dtype::Val::float64:
    return MPI_DOUBLE;
  case Dtype::Val::bfloat16:
    return bfloat16_type;
  case Dtype::Val::complex64:
    return MPI_C_FLOAT_COMPLEX;
  }
  throw std::invalid_argument("[mpi] Unknown dtype.");
}

MPI_Op reduce_op(detail::ReduceOp op, Dtype dtype) {
  if (dtype == bool_) {
    return op == detail::ReduceOp::Min ? MPI_LAND : MPI_LOR;
  }
  bool is_half = dtype == float16 || dtype == bfloat16;
  bool is_float = issubdtype(dtype, inexact);
  if (op == detail::ReduceOp::Sum) {
    return is_half ? user_ops[static_cast<int>(op)] : MPI_SUM;
  }
  // MPI's max/min of floats need not propagate NaN; the core's do.
  if (is_float) {
    return user_ops[static_cast<int>(op)];
  }
  return op == detail::ReduceOp::Max ? MPI_MAX : MPI_MIN;
}

} // namespace mlx::core::distributed::mpi
