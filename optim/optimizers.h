// The optimizers layer: `#include "mlx/optimizers.h"`, namespace
// mlx::optimizers.
#pragma once

#include "mlx/optimizers/adafactor.h"
#include "mlx/optimizers/clip_grad_norm.h"
#include "mlx/optimizers/common.h"
#include "mlx/optimizers/multi_optimizer.h"
#include "mlx/optimizers/muon.h"
#include "mlx/optimizers/optimizer.h"
#include "mlx/optimizers/schedulers.h"
