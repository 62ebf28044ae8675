// All primitive families.
#pragma once

#include "mlx/primitives/compiled.h"
#include "mlx/primitives/conv.h"
#include "mlx/primitives/elementwise.h"
#include "mlx/primitives/fast.h"
#include "mlx/primitives/fft.h"
#include "mlx/primitives/indexing.h"
#include "mlx/primitives/join.h"
#include "mlx/primitives/linalg.h"
#include "mlx/primitives/matmul.h"
#include "mlx/primitives/quantized.h"
#include "mlx/primitives/random.h"
#include "mlx/primitives/reduce.h"
#include "mlx/primitives/scan.h"
#include "mlx/primitives/scatter.h"
#include "mlx/primitives/shape.h"
#include "mlx/primitives/sort.h"
