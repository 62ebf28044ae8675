# PyTorch CUDA's figures for the lines of vulkan_gpu_bench (same shapes,
# same medians; TF32 off so that sgemm is true fp32; eager mode).
import time
import torch

torch.backends.cuda.matmul.allow_tf32 = False
torch.backends.cudnn.allow_tf32 = False
dev = "cuda"


def median_seconds(reps, f):
    f()
    torch.cuda.synchronize()
    t = []
    for _ in range(reps):
        start = time.perf_counter()
        f()
        torch.cuda.synchronize()
        t.append(time.perf_counter() - start)
    t.sort()
    return t[len(t) // 2]


print("device", torch.cuda.get_device_name())
for n in (1024, 2048, 4096, 8192):
    a = torch.randn(n, n, device=dev)
    b = torch.randn(n, n, device=dev)
    s = median_seconds(5 if n >= 8192 else 10, lambda: a @ b)
    print(f"sgemm {n} {2.0 * n**3 / s / 1e12:.2f} TFLOP/s")

count = (256 << 20) // 4
x = torch.rand(count, device=dev)
y = torch.rand(count, device=dev)
s = median_seconds(20, lambda: x + y)
print(f"add 256MiB {3.0 * count * 4 / s / 1e9:.0f} GB/s")
s = median_seconds(20, lambda: torch.exp(x))
print(f"exp 256MiB {2.0 * count * 4 / s / 1e9:.0f} GB/s")
m = x.reshape(count // 4096, 4096)
s = median_seconds(20, lambda: m.sum(-1))
print(f"sum_last_axis 256MiB {1.0 * count * 4 / s / 1e9:.0f} GB/s")

small = torch.rand(1024, device=dev)


def chain():
    z = small
    for i in range(1000):
        z = z * 0.999 if i % 2 else z + small
    return z


s = median_seconds(10, chain)
print(f"chain1000 {s / 1000 * 1e6:.2f} us/op")

s = median_seconds(200, lambda: small + small)
print(f"roundtrip {s * 1e6:.1f} us")
for mib in (64, 256, 1024):
    n = (mib << 20) // 4
    u = torch.rand(n, device=dev)
    v = torch.rand(n, device=dev)
    s = median_seconds(20, lambda: u + v)
    print(f"add {mib}MiB {3.0 * n * 4 / s / 1e9:.0f} GB/s")
    del u, v

torch.manual_seed(0)
model = torch.nn.Sequential(
    torch.nn.Linear(784, 512), torch.nn.ReLU(),
    torch.nn.Linear(512, 512), torch.nn.ReLU(),
    torch.nn.Linear(512, 10)).to(dev)
opt = torch.optim.Adam(model.parameters(), lr=1e-3)
xb = torch.rand(256, 784, device=dev)
yb = torch.randint(0, 10, (256,), device=dev)


def step():
    opt.zero_grad()
    loss = torch.nn.functional.cross_entropy(model(xb), yb)
    loss.backward()
    opt.step()
    loss.item()


s = median_seconds(50, step)
print(f"mlp_step {s * 1e3:.3f} ms")
