// All primitive families.
#pragma once

#include "mlx/primitives/elementwise.h"
#include "mlx/primitives/reduce.h"
#include "mlx/primitives/shape.h"
