# NumPy float32 reference of the mlx.optimizers update rules (as the
# reference pages and MLX define them). Prints the expected parameters of
# tests/optim/optimizers_test.cpp: /usr/bin/python3 optimizer_reference.py
# and those of muon_test.cpp (the "muon" section).
import numpy as np

f = np.float32
W0 = np.array([[1.0, -2.0, 3.0], [0.5, -0.25, 2.0]], f)
B0 = np.array([0.1, -0.3, 0.7], f)
GW = [np.array(x, f) for x in ([[0.5, -1.0, 0.25], [2.0, 0.1, -0.3]],
                               [[-0.2, 0.4, 1.5], [0.3, -0.6, 0.05]],
                               [[1.0, 1.0, -1.0], [-0.5, 0.75, 0.2]])]
GB = [np.array(x, f) for x in ([0.3, -0.2, 0.1], [-0.1, 0.5, 0.25], [0.05, -0.4, 0.6])]

def run(step_fn, init_fn, steps=3, params=None, grads=None):
    params = params or {"w": W0.copy(), "b": B0.copy()}
    grads = grads or [{"w": GW[i], "b": GB[i]} for i in range(3)]
    state = {k: init_fn(v) for k, v in params.items()}
    out = []
    for t in range(1, steps + 1):
        for k in params:
            params[k] = step_fn(grads[t-1][k], params[k], state[k], t)
        out.append({k: v.copy() for k, v in params.items()})
    return out, state

def sgd(lr, momentum=0.0, wd=0.0, damp=0.0, nesterov=False):
    def init(p): return {"v": np.zeros_like(p)}
    def step(g, p, s, t):
        if wd != 0: g = g + f(wd) * p
        if momentum <= 0: return p - f(lr) * g
        v = f(momentum) * s["v"]
        v = v + (f(1 - damp) * g if damp > 0 else g)
        upd = g + f(momentum) * v if nesterov else v
        s["v"] = v
        return p - f(lr) * upd
    return step, init

def rmsprop(lr, alpha=0.99, eps=1e-8):
    def init(p): return {"v": np.zeros_like(p)}
    def step(g, p, s, t):
        v = f(alpha) * s["v"] + f(1 - alpha) * g * g
        s["v"] = v
        return p - f(lr) * g / (np.sqrt(v) + f(eps))
    return step, init

def adagrad(lr, eps=1e-8):
    def init(p): return {"v": np.zeros_like(p)}
    def step(g, p, s, t):
        v = s["v"] + g * g
        s["v"] = v
        return p - f(lr) * g / (np.sqrt(v) + f(eps))
    return step, init

def adadelta(lr, rho=0.9, eps=1e-6):
    def init(p): return {"v": np.zeros_like(p), "u": np.zeros_like(p)}
    def step(g, p, s, t):
        v = f(rho) * s["v"] + f(1 - rho) * g * g
        d = np.sqrt(s["u"] + f(eps)) / np.sqrt(v + f(eps)) * g
        u = f(rho) * s["u"] + f(1 - rho) * d * d
        s["v"], s["u"] = v, u
        return p - f(lr) * d
    return step, init

def adam(lr, betas=(0.9, 0.999), eps=1e-8, bc=False, wd=None):
    b1, b2 = betas
    def init(p): return {"m": np.zeros_like(p), "v": np.zeros_like(p)}
    def step(g, p, s, t):
        if wd is not None: p = p * (f(1) - f(lr) * f(wd))
        m = f(b1) * s["m"] + f(1 - b1) * g
        v = f(b2) * s["v"] + f(1 - b2) * g * g
        s["m"], s["v"] = m, v
        if bc:
            c1 = f(1) - np.power(f(b1), f(t))
            c2 = np.sqrt(f(1) - np.power(f(b2), f(t)))
            return p - f(lr) / c1 * m / (np.sqrt(v) / c2 + f(eps))
        return p - f(lr) * m / (np.sqrt(v) + f(eps))
    return step, init

def adamax(lr, betas=(0.9, 0.999), eps=1e-8):
    b1, b2 = betas
    def init(p): return {"m": np.zeros_like(p), "v": np.zeros_like(p)}
    def step(g, p, s, t):
        m = f(b1) * s["m"] + f(1 - b1) * g
        v = np.maximum(f(b2) * s["v"], np.abs(g))
        s["m"], s["v"] = m, v
        return p - f(lr) * m / (v + f(eps))
    return step, init

def lion(lr, betas=(0.9, 0.99), wd=0.0):
    b1, b2 = betas
    def init(p): return {"m": np.zeros_like(p)}
    def step(g, p, s, t):
        c = f(b1) * s["m"] + f(1 - b1) * g
        s["m"] = f(b2) * s["m"] + f(1 - b2) * g
        if wd > 0: p = (f(1) - f(lr) * f(wd)) * p
        return p - f(lr) * np.sign(c)
    return step, init

def rms(x): return np.sqrt(np.mean(x * x, dtype=f)).astype(f)

def adafactor(lr=None, eps=(1e-30, 1e-3), clip=1.0, decay=-0.8, beta_1=None,
              wd=0.0, scale_parameter=True, relative_step=True, warmup_init=False):
    def init(p):
        s = {}
        if p.ndim >= 2:
            s["row"] = np.zeros(p.shape[:-1], f); s["col"] = np.zeros(p.shape[:-2] + p.shape[-1:], f)
        else:
            s["sq"] = np.zeros_like(p)
        if beta_1 is not None: s["avg"] = np.zeros_like(p)
        return s
    def step(g, p, s, t):
        tt = f(t)
        prms = rms(p)
        if relative_step:
            min_step = f(1e-6) * tt if warmup_init else f(1e-2)
            rel = np.minimum(min_step, f(1) / np.sqrt(tt))
        else:
            rel = f(lr)
        lrv = (np.maximum(f(eps[1]), prms) * rel) if scale_parameter else rel
        lrv = f(lrv)
        b2 = f(1) - np.power(tt, f(decay))
        upd = g * g + f(eps[0])
        if g.ndim >= 2:
            s["row"] = b2 * s["row"] + (f(1) - b2) * upd.mean(-1, dtype=f)
            s["col"] = b2 * s["col"] + (f(1) - b2) * upd.mean(-2, dtype=f)
            r = f(1) / np.sqrt(s["row"] / s["row"].mean(-1, keepdims=True, dtype=f))
            c = f(1) / np.sqrt(s["col"])
            upd = (r[..., :, None] * c[..., None, :]) * g
        else:
            s["sq"] = b2 * s["sq"] + (f(1) - b2) * upd
            upd = (f(1) / np.sqrt(s["sq"])) * g
        upd = upd / np.maximum(f(1), rms(upd) / f(clip))
        upd = lrv * upd
        if beta_1 is not None:
            s["avg"] = f(beta_1) * s["avg"] + f(1 - beta_1) * upd
            upd = s["avg"]
        if wd != 0:
            p = p + p * (f(-wd) * lrv)
        return (p - upd).astype(f)
    return step, init

def newton_schulz(x, steps):
    a, b, c = f(3.4445), f(-4.7750), f(2.0315)
    tr = x.shape[0] > x.shape[1]
    X = x.T if tr else x
    X = X / (np.sqrt((X * X).sum(dtype=f)) + f(1e-7))
    for _ in range(steps):
        A = X @ X.T
        B = b * A + c * (A @ A)
        X = a * X + B @ X
    return (X.T if tr else X).astype(f)

def muon(lr, momentum=0.95, wd=0.01, nesterov=True, ns_steps=5):
    def init(p): return {"v": np.zeros_like(p)}
    def step(g, p, s, t):
        if wd != 0: g = g + f(wd) * p
        v = f(momentum) * s["v"] + f(1 - momentum) * g
        s["v"] = v
        upd = g * f(1 - momentum) + v * f(momentum) if nesterov else v
        l = f(lr)
        if upd.ndim >= 2:
            shape = upd.shape
            upd = newton_schulz(upd.reshape(shape[0], -1), ns_steps).reshape(shape)
            l = l * f(max(1, shape[-2] / shape[-1]) ** 0.5)
        return p - l * upd
    return step, init

CASES = {
  "SGD": sgd(0.1),
  "SGDMomentum": sgd(0.1, momentum=0.9),
  "SGDWeightDecayDampening": sgd(0.1, momentum=0.9, wd=0.01, damp=0.1),
  "SGDNesterov": sgd(0.1, momentum=0.9, nesterov=True),
  "RMSprop": rmsprop(0.01),
  "RMSpropAlpha": rmsprop(0.01, alpha=0.9, eps=1e-6),
  "Adagrad": adagrad(0.1),
  "AdaDelta": adadelta(1.0),
  "Adam": adam(0.01),
  "AdamBiasCorrection": adam(0.01, betas=(0.8, 0.99), bc=True),
  "AdamW": adam(0.01, wd=0.01),
  "AdamWBiasCorrection": adam(0.01, betas=(0.9, 0.999), bc=True, wd=0.1),
  "Adamax": adamax(0.01),
  "Lion": lion(0.01),
  "LionWeightDecay": lion(0.01, wd=0.1),
  "Adafactor": adafactor(),
  "AdafactorOptions": adafactor(lr=0.01, relative_step=False, scale_parameter=False, beta_1=0.9, wd=0.1),
  "AdafactorWarmup": adafactor(warmup_init=True, clip=0.5),
  "Muon": muon(0.02),
  "MuonPlain": muon(0.02, momentum=0.9, wd=0.0, nesterov=False),
}

def fmt(xs):
    return ", ".join("%.9g" % x for x in xs)

# Muon's extra parameters: a tall 3x2 matrix (w transposed) and a 4x1x2
# tensor.
K0 = (np.arange(8, dtype=f).reshape(4, 1, 2) - 3.5) / 4
GK = [np.array(x, f).reshape(4, 1, 2) for x in (
    [0.3, -0.1, 0.2, 0.5, -0.4, 0.1, 0.05, 0.9],
    [-0.2, 0.6, 0.1, -0.3, 0.25, 0.4, -0.7, 0.15],
    [0.5, 0.5, -0.5, 0.2, 0.1, -0.9, 0.3, 0.0])]

def muon_params():
    return {"w": W0.copy(), "b": B0.copy(), "wt": W0.T.copy(), "k": K0.copy()}

MUON_GRADS = [{"w": GW[i], "b": GB[i], "wt": GW[i].T.copy(), "k": GK[i]}
              for i in range(3)]

if __name__ == "__main__":
    for name, (step, init) in CASES.items():
        if name.startswith("Muon"):
            out, _ = run(step, init, params=muon_params(), grads=MUON_GRADS)
            keys = ["w", "b", "wt", "k"]
        else:
            out, _ = run(step, init)
            keys = ["w", "b"]
        print("// %s: parameters after each update (%s)" % (name, ", ".join(keys)))
        for o in out:
            print("{" + ", ".join("{%s}" % fmt(o[k].ravel()) for k in keys) + "},")
    print("// newton_schulz(GW[0], 5)")
    print(fmt(newton_schulz(GW[0], 5).ravel()))
