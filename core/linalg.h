// MLX's public header "mlx/linalg.h": the linear algebra ops live in
// ops/linalg.h, next to the other op families.
#pragma once

#include "mlx/ops/linalg.h"
