"""Write tensorlib/testdata/rng.json: reference outputs of torch 1.13's CPU generator.

Run from the repository root with Debian's torch:

    /usr/bin/python3 tools/golden/rng.py

The file holds a list of cases. A case seeds a generator (an explicit
torch.Generator, or the default one through torch.manual_seed), runs a
sequence of ops on it and records every op's output. Ops are dicts
{kind, dtype, n, a, b}; tensorlib/rng_test.go maps each kind to the matching
Generator method:

    rand      torch.rand(n, dtype)                      uniform on [0, 1)
    randn     torch.randn(n, dtype)                     standard normal
    uniform   torch.empty(n, dtype).uniform_(a, b)
    normal    torch.empty(n, dtype).normal_(a, b)       mean a, std b
    randint   torch.randint(a, b, (n,))                 int64
    randperm  torch.randperm(n)                         int64

Floats are written with repr(): float64 values exactly, float32 values as the
shortest decimal that parses back (as float32) to the same value. NaN and
infinities (none are expected) are written as the strings "nan", "inf", "-inf".
Mixed sequences also record the generator state afterwards (get_state(),
base64) so the Go side can check State() byte for byte. DIGESTS cases are too
large to store: their ops record "digest", the SHA-256 of the output's
little-endian bytes, instead of "out".

To add coverage, append to SINGLE_OPS, EXTRA_OPS, MIXES or DIGESTS.
"""

import base64
import hashlib
import json
import math
import os
import struct

import torch

SEEDS = [0, 1, 42, 2**32 + 7, 123456789]
SIZES = [1, 2, 7, 15, 16, 17, 31, 100, 1000]
DTYPES = {"float32": torch.float32, "float64": torch.float64, "int64": torch.int64}
OUT = os.path.join("tensorlib", "testdata", "rng.json")


def op(kind, dtype, n=0, a=None, b=None):
    """Describe one call; n is filled in later for single-op cases."""
    return {"kind": kind, "dtype": dtype, "n": n, "a": a, "b": b}


# Ops run on a fresh generator for every seed and size.
SINGLE_OPS = [
    op("rand", "float32"),
    op("rand", "float64"),
    op("randn", "float32"),
    op("randn", "float64"),
    op("uniform", "float32", a=-0.3, b=0.7),
    op("normal", "float32", a=2.0, b=0.5),
    op("randint", "int64", a=-5, b=17),
    op("randint", "int64", a=0, b=2**40),
    op("randperm", "int64"),
]

# Like SINGLE_OPS but only for sizes up to EXTRA_MAX_N: parameters chosen so
# that fused and unfused multiply-add round differently, pinning torch's
# rounding.
EXTRA_OPS = [
    op("uniform", "float32", a=-1.3, b=2.9),
    op("uniform", "float64", a=-1.3, b=2.9),
    op("normal", "float32", a=0.3, b=1.7),
    op("normal", "float64", a=0.3, b=1.7),
]
EXTRA_MAX_N = 100

# Sequences on one generator: they exercise the cached spare normal (odd
# counts of small randn leave one behind; randn >= 16 neither uses nor clears
# it) and the stream position across kinds.
MIXES = [
    [op("randn", "float32", 3), op("randn", "float32", 100), op("randn", "float32", 1), op("rand", "float32", 5)],
    [op("randn", "float64", 1), op("randn", "float32", 17), op("randn", "float64", 2),
     op("randint", "int64", 3, -5, 17), op("normal", "float64", 5, 0.3, 1.7)],
    [op("randn", "float32", 15), op("randperm", "int64", 10), op("randn", "float32", 1),
     op("randint", "int64", 4, -(2**40), 2**40), op("randn", "float64", 33)],
    [op("randint", "int64", 6, 0, 2**32), op("randint", "int64", 6, 0, 2**32 - 1),
     op("normal", "float32", 1, 0.3, 1.7), op("uniform", "float32", 3, -1.3, 2.9)],
    [op("randperm", "int64", 3000), op("randn", "float32", 100), op("rand", "float64", 7)],
    [op("randn", "float32", 623), op("rand", "float32", 2), op("randn", "float64", 5)],
]

# (seed, op) pairs checked by digest. Millions of float32 normals are needed to
# catch rarely visible rounding differences in the AVX2 log/sincos port.
DIGESTS = [
    (42, op("randn", "float32", 1 << 22)),
    (0, op("normal", "float32", 1 << 20, 0.3, 1.7)),
    (1, op("uniform", "float32", 1 << 20, -1.3, 2.9)),
    (2, op("rand", "float64", 1 << 20)),
    (3, op("randint", "int64", 1 << 20, -(2**40), 2**40)),
    (4, op("randperm", "int64", 1 << 20)),
]


def run(o, g):
    """Run op o on generator g (None: the default generator); return its output tensor."""
    kw = {} if g is None else {"generator": g}
    kind, dt, n, a, b = o["kind"], DTYPES[o["dtype"]], o["n"], o["a"], o["b"]
    if kind == "rand":
        return torch.rand(n, dtype=dt, **kw)
    if kind == "randn":
        return torch.randn(n, dtype=dt, **kw)
    if kind == "uniform":
        return torch.empty(n, dtype=dt).uniform_(a, b, **kw)
    if kind == "normal":
        return torch.empty(n, dtype=dt).normal_(a, b, **kw)
    if kind == "randint":
        return torch.randint(a, b, (n,), dtype=dt, **kw)
    if kind == "randperm":
        return torch.randperm(n, dtype=dt, **kw)
    raise ValueError(kind)


def f32_shortest(x):
    """The shortest decimal that rounds to the float32 x (x is a Python float)."""
    for digits in range(1, 10):
        s = "%.*g" % (digits, x)
        if struct.unpack("<f", struct.pack("<f", float(s)))[0] == x:
            return float(s)  # repr() of this float prints s again
    raise AssertionError(x)


def encode(x, dtype):
    """JSON value for one element: ints as is, floats via repr (float32 in its
    shortest form, to be parsed as float32), non-finite as strings."""
    if isinstance(x, float) and not math.isfinite(x):
        return "nan" if math.isnan(x) else ("inf" if x > 0 else "-inf")
    return f32_shortest(x) if dtype == "float32" else x


def sha256_le(t):
    """SHA-256 (hex) of the tensor's elements as little-endian bytes."""
    a = t.numpy()
    return hashlib.sha256(a.astype(a.dtype.newbyteorder("<")).tobytes()).hexdigest()


def make_case(name, seed, ops, mode="explicit", with_state=False, digest=False):
    """Seed a generator, run ops in order and return the case dict."""
    if mode == "explicit":
        g = torch.Generator().manual_seed(seed)
    else:
        torch.manual_seed(seed)
        g = None
    outs = []
    for o in ops:
        t = run(o, g)
        assert t.dtype == DTYPES[o["dtype"]] and t.is_contiguous()
        if digest:
            outs.append(dict(o, digest=sha256_le(t)))
        else:
            outs.append(dict(o, out=[encode(x, o["dtype"]) for x in t.tolist()]))
    gen = g if g is not None else torch.default_generator
    case = {"name": name, "seed": seed, "generator": mode, "initial_seed": gen.initial_seed(), "ops": outs}
    if with_state:
        case["state"] = base64.b64encode(bytes(gen.get_state().tolist())).decode()
    return case


def op_name(o):
    args = "" if o["a"] is None else "(%r,%r)" % (o["a"], o["b"])
    return "%s%s/%s/n=%d" % (o["kind"], args, o["dtype"], o["n"])


def cases():
    out = []
    for seed in SEEDS:
        for n in SIZES:
            for o in SINGLE_OPS + (EXTRA_OPS if n <= EXTRA_MAX_N else []):
                o = dict(o, n=n)
                out.append(make_case("seed=%d/%s" % (seed, op_name(o)), seed, [o]))
    # The default generator must give the same streams as an explicit one.
    for seed in (42, 123456789):
        for n in (7, 100):
            for kind, dtype in (("rand", "float32"), ("randn", "float32"), ("randperm", "int64")):
                o = op(kind, dtype, n)
                out.append(make_case("default/seed=%d/%s" % (seed, op_name(o)), seed, [o], mode="default"))
    for i, ops in enumerate(MIXES):
        for seed in SEEDS:
            out.append(make_case("mix%d/seed=%d" % (i, seed), seed, ops, with_state=seed in (0, 42)))
        out.append(make_case("mix%d/default/seed=42" % i, 42, ops, mode="default", with_state=True))
    for seed, o in DIGESTS:
        out.append(make_case("digest/seed=%d/%s" % (seed, op_name(o)), seed, [o], digest=True))
    return out


def main():
    torch.set_num_threads(1)
    all_cases = cases()
    with open(OUT, "w") as f:
        f.write('{"torch": %s, "cases": [\n' % json.dumps(torch.__version__))
        f.write(",\n".join(json.dumps(c, separators=(",", ":")) for c in all_cases))
        f.write("\n]}\n")
    print("wrote %d cases to %s" % (len(all_cases), OUT))


if __name__ == "__main__":
    main()
