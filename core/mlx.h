// The public API: `#include "mlx/mlx.h"` and `namespace mx = mlx::core;`.
#pragma once

#include "mlx/array.h"
#include "mlx/compile.h"
#include "mlx/device.h"
#include "mlx/distributed/distributed.h"
#include "mlx/distributed/ops.h"
#include "mlx/dtype.h"
#include "mlx/fast.h"
#include "mlx/graph_utils.h"
#include "mlx/io.h"
#include "mlx/memory.h"
#include "mlx/ops.h"
#include "mlx/random.h"
#include "mlx/stream.h"
#include "mlx/transforms.h"
#include "mlx/tree.h"
#include "mlx/utils.h"
