// The optimizers layer: `#include "mlx/optimizers.h"`, namespace
// mlx::optimizers.
#pragma once

#include "mlx/optimizers/adadelta.h"
#include "mlx/optimizers/adafactor.h"
#include "mlx/optimizers/adagrad.h"
#include "mlx/optimizers/adam.h"
#include "mlx/optimizers/adamax.h"
#include "mlx/optimizers/clip_grad_norm.h"
#include "mlx/optimizers/lion.h"
#include "mlx/optimizers/multi_optimizer.h"
#include "mlx/optimizers/muon.h"
#include "mlx/optimizers/optimizer.h"
#include "mlx/optimizers/rmsprop.h"
#include "mlx/optimizers/schedulers.h"
#include "mlx/optimizers/sgd.h"
