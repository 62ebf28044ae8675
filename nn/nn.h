// The nn layer: `#include "mlx/nn.h"`, namespace mlx::nn.
#pragma once

#include "mlx/nn/module.h"
