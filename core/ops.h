// All ops of mlx::core.
#pragma once

#include "mlx/ops/conv.h"
#include "mlx/ops/creation.h"
#include "mlx/ops/elementwise.h"
#include "mlx/ops/indexing.h"
#include "mlx/ops/join.h"
#include "mlx/ops/matmul.h"
#include "mlx/ops/quantized.h"
#include "mlx/ops/reduce.h"
#include "mlx/ops/scan.h"
#include "mlx/ops/scatter.h"
#include "mlx/ops/shape.h"
#include "mlx/ops/sort.h"
