// How dtypes and reductions map onto MPI datatypes and ops.
#pragma once

#include <mpi.h>

#include "mlx/distributed/backend.h"

namespace mlx::core::distributed::mpi {

/** Creates the datatypes and user-defined ops below; once, after MPI_Init. */
void create_types_and_ops();

/** The MPI datatype of one element. float16 and bfloat16 are 2-byte
 * types of their own, so that the user-defined ops can tell them apart. */
MPI_Datatype datatype(Dtype dtype);

/** The MPI op: a predefined one where its semantics match the core
 * reductions (sums of ints/floats/complex, integer max/min, bool as
 * logical or/and), else a user-defined op over detail::reduce_into. */
MPI_Op reduce_op(detail::ReduceOp op, Dtype dtype);

} // namespace mlx::core::distributed::mpi
