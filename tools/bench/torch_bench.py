#!/usr/bin/python3
"""PyTorch side of `make bench` (tools/bench/main.go starts it).

Run it with Debian's /usr/bin/python3 (the python3 on PATH lacks torch). It
serves timing requests, one JSON object per line on stdin, and answers each
with one JSON line on stdout, so that the Go harness can interleave gt and
torch measurements of the same workload (the machine is shared and noisy).

The first line it prints says whether torch is usable:
    {"ok": true, "torch": "1.13.0", "blas": "...", ...}
    {"ok": false, "error": "..."}
A request names a workload, a thread count and a minimum measuring time:
    {"workload": "mm", "m": 128, "k": 784, "n": 256, "ta": false,
     "tb": false, "threads": 1, "mintime": 0.2}
    {"workload": "add" | "mul" | "exp" | "tanh" | "sum", "size": 16777216, ...}
    {"workload": "walk" | "mlp" | "cnn" | "layernorm" | "batchnorm" | "conv", ...}
and the answer is the time of one operation in seconds: {"sec": 0.0012}.
The training workloads are the programs of tools/bench/train.go: the seed
walkthrough (100 epochs of Linear(1, 1), MSELoss, SGD), 200 Adam steps of an
MLP 784-256-10 with batch 128, and one SGD step of a small CNN on a batch of
64 28x28 images.
With "warm": true it calls the operation once, untimed (the first call of a
workload at a thread count), and answers {"sec": 0}.
"""

import ctypes
import json
import re
import sys
import time


def loaded_blas():
    """Paths of the BLAS libraries this process has loaded."""
    libs = set()
    try:
        with open("/proc/self/maps") as f:
            for line in f:
                path = line.split()[-1]
                if re.search(r"blas|mkl", path):
                    libs.add(path)
    except OSError:
        pass
    return sorted(libs)


class BlasThreads:
    """Sets the BLAS library's own thread count where it has one.

    Debian's torch is built against the generic BLAS interface, so
    torch.set_num_threads does not reach OpenBLAS (which otherwise uses every
    core); openblas_set_num_threads does.
    """

    def __init__(self, libs):
        self.setters = []
        for path in libs:
            try:
                lib = ctypes.CDLL(path)
            except OSError:
                continue
            for name in ("openblas_set_num_threads", "MKL_Set_Num_Threads"):
                fn = getattr(lib, name, None)
                if fn is not None:
                    self.setters.append(fn)

    def set(self, n):
        for fn in self.setters:
            fn(ctypes.c_int(n))


def operands(torch, req, cache):
    """The tensors of a workload, made once and reused."""
    key = json.dumps({k: v for k, v in req.items() if k not in ("threads", "mintime")}, sort_keys=True)
    if key in cache:
        return cache[key]
    g = torch.Generator().manual_seed(1)
    w = req["workload"]
    if w == "mm":
        m, k, n = req["m"], req["k"], req["n"]
        # A transposed operand is the transpose of a contiguous tensor, as
        # autograd produces (Xᵀ for a weight gradient, Wᵀ for an input one).
        a = torch.randn(k, m, generator=g).t() if req["ta"] else torch.randn(m, k, generator=g)
        b = torch.randn(n, k, generator=g).t() if req["tb"] else torch.randn(k, n, generator=g)
        if req.get("batch"):
            a = torch.randn(req["batch"], m, k, generator=g)
            b = torch.randn(req["batch"], k, n, generator=g)
        ops = (a, b)
    elif w in TRAINING:
        ops = (TRAINING[w](torch), None)
    else:
        ops = (torch.randn(req["size"], generator=g), torch.randn(req["size"], generator=g))
    cache.clear()
    cache[key] = ops
    return ops


WALK_EPOCHS, MLP_STEPS, MLP_BATCH, CNN_BATCH = 100, 200, 128, 64


def batches(torch, n, batch, sample):
    """n random input batches and their labels (10 classes)."""
    xs = [torch.randn(batch, *sample) for _ in range(n)]
    ys = [torch.randint(0, 10, (batch,)) for _ in range(n)]
    return xs, ys


def walkthrough(torch):
    """The seed walkthrough's data, model and 100 training epochs."""
    nn = torch.nn

    def run():
        torch.manual_seed(42)
        x = torch.randn(100, 1) * 10
        y = 2 * x + 1 + torch.randn(100, 1) * 2
        model = nn.Linear(1, 1)
        criterion = nn.MSELoss()
        opt = torch.optim.SGD(model.parameters(), lr=0.01)
        for _ in range(WALK_EPOCHS):
            loss = criterion(model(x), y)
            loss.item()
            loss.backward()
            opt.step()
            opt.zero_grad()
    return run


def mlp(torch):
    """200 Adam steps of an MLP 784-256-10 (ReLU, cross-entropy), batch 128."""
    nn = torch.nn
    torch.manual_seed(1)
    model = nn.Sequential(nn.Linear(784, 256), nn.ReLU(), nn.Linear(256, 10))
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    xs, ys = batches(torch, 4, MLP_BATCH, (784,))

    def run():
        for s in range(MLP_STEPS):
            opt.zero_grad()
            loss = nn.functional.cross_entropy(model(xs[s % 4]), ys[s % 4])
            loss.backward()
            opt.step()
    return run


def cnn(torch):
    """One SGD step of Conv2d(1,16,3)-ReLU-MaxPool2d(2)-Linear, batch 64."""
    nn = torch.nn
    torch.manual_seed(1)
    model = nn.Sequential(nn.Conv2d(1, 16, 3), nn.ReLU(), nn.MaxPool2d(2), nn.Flatten(), nn.Linear(16 * 13 * 13, 10))
    opt = torch.optim.SGD(model.parameters(), lr=0.01)
    xs, ys = batches(torch, 4, CNN_BATCH, (1, 28, 28))
    step = [0]

    def run():
        s = step[0] % 4
        opt.zero_grad()
        loss = nn.functional.cross_entropy(model(xs[s]), ys[s])
        loss.backward()
        opt.step()
        step[0] += 1
    return run


def layernorm(torch):
    """LayerNorm(512) forward and backward over 2048 rows."""
    torch.manual_seed(1)
    ln = torch.nn.LayerNorm(512)
    x = torch.randn(2048, 512, requires_grad=True)
    g = torch.randn(2048, 512)

    def run():
        x.grad = None
        (ln(x) * g).sum().backward()
    return run


def batchnorm(torch):
    """BatchNorm2d(16) training forward and backward, input 64x16x26x26."""
    torch.manual_seed(1)
    bn = torch.nn.BatchNorm2d(16)
    x = torch.randn(64, 16, 26, 26, requires_grad=True)
    g = torch.randn(64, 16, 26, 26)

    def run():
        x.grad = None
        (bn(x) * g).sum().backward()
    return run


def conv(torch):
    """Conv2d(32, 64, 3, padding=1) forward and backward, input 64x32x14x14."""
    torch.manual_seed(1)
    c = torch.nn.Conv2d(32, 64, 3, padding=1)
    x = torch.randn(64, 32, 14, 14, requires_grad=True)
    g = torch.randn(64, 64, 14, 14)

    def run():
        x.grad = None
        c.weight.grad = None
        c.bias.grad = None
        (c(x) * g).sum().backward()
    return run


TRAINING = {"walk": walkthrough, "mlp": mlp, "cnn": cnn, "layernorm": layernorm, "batchnorm": batchnorm, "conv": conv}


def runner(torch, req, ops):
    w = req["workload"]
    a, b = ops
    if w in TRAINING:
        return a
    if w == "mm":
        return lambda: torch.matmul(a, b)
    if w == "add":
        return lambda: torch.add(a, b)
    if w == "mul":
        return lambda: torch.mul(a, b)
    if w == "exp":
        return lambda: torch.exp(a)
    if w == "tanh":
        return lambda: torch.tanh(a)
    if w == "sum":
        return lambda: torch.sum(a)
    raise ValueError("unknown workload %r" % w)


def measure(fn, mintime):
    """Seconds per call, calling fn until mintime has passed (at least once)."""
    n, start = 0, time.perf_counter()
    while True:
        fn()
        n += 1
        elapsed = time.perf_counter() - start
        if elapsed >= mintime:
            return elapsed / n


def main():
    try:
        import torch
    except Exception as e:  # torch missing or broken: gt numbers only
        print(json.dumps({"ok": False, "error": str(e)}), flush=True)
        return
    libs = loaded_blas()
    blas = BlasThreads(libs)
    print(json.dumps({
        "ok": True,
        "torch": torch.__version__,
        "blas": libs,
        "blas_threads_settable": bool(blas.setters),
        "capability": torch.backends.cpu.get_cpu_capability() if hasattr(torch.backends, "cpu") else "",
    }), flush=True)
    cache = {}
    for line in sys.stdin:
        line = line.strip()
        if not line:
            continue
        try:
            req = json.loads(line)
            torch.set_num_threads(req["threads"])
            blas.set(req["threads"])
            with torch.set_grad_enabled(req["workload"] in TRAINING):
                fn = runner(torch, req, operands(torch, req, cache))
                if req.get("warm"):
                    fn()
                    sec = 0.0
                else:
                    sec = measure(fn, req.get("mintime", 0.2))
            print(json.dumps({"sec": sec}), flush=True)
        except Exception as e:
            print(json.dumps({"error": repr(e)}), flush=True)


if __name__ == "__main__":
    main()
