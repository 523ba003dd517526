"""Write tensorlib/nn/testdata/nn_a.json: torch 1.13 reference values for
tensorlib/nn's basic layers, normalisation, losses and initialisers.

Run from the repository root with Debian's torch:

    /usr/bin/python3 tools/golden/nn_a.py

The file has five sections, read by tensorlib/nn/nn_a_test.go and
loss_test.go:

  init      a module built by spec (see build()) right after
            torch.manual_seed(seed): its state_dict, keys in order and values.
  init_fns  a torch.nn.init function applied to torch.empty(shape) right
            after torch.manual_seed(seed), and calculate_gain values.
  layers    a module built after torch.manual_seed(seed), converted to the
            case's dtype, with some parameters or buffers overwritten
            ("set"), then run for one or more steps. Each step sets
            training or evaluation mode, runs forward on explicit inputs,
            records the output and its grad_fn, backpropagates
            (out * w).sum() for a fixed random w, and records the inputs'
            gradients, the parameters' gradients (then zeroed) and the
            buffers afterwards. Forward runs right after construction, so a
            Dropout layer draws its mask from the seeded global generator.
  losses    a torch.nn.functional loss on explicit inputs with options;
            output, grad_fn and the gradients of (out * w).sum().
  errors    state_dict keys of composite models.

Floats are written with repr() so float32 values round-trip exactly; NaN and
infinities as the strings "nan", "inf", "-inf". Inputs come from a generator
seeded by the case name, never from the global generator.
"""

import json
import math
import os
import zlib

import torch
import torch.nn as nn
import torch.nn.functional as F

OUT = os.path.join("tensorlib", "nn", "testdata", "nn_a.json")
DTYPES = {"float32": torch.float32, "float64": torch.float64, "int64": torch.int64, "bool": torch.bool}
DTYPE_NAMES = {v: k for k, v in DTYPES.items()}


def encode(t):
    out = []
    for v in t.detach().reshape(-1).tolist():
        if isinstance(v, bool):
            out.append(v)
        elif isinstance(v, float):
            if math.isnan(v):
                out.append("nan")
            elif math.isinf(v):
                out.append("inf" if v > 0 else "-inf")
            else:
                out.append(v)
        else:
            out.append(v)
    return out


def tj(t):
    """A tensor as JSON."""
    if t is None:
        return None
    return {"values": encode(t), "shape": list(t.shape), "dtype": DTYPE_NAMES[t.dtype]}


def gen(name):
    return torch.Generator().manual_seed(zlib.crc32(name.encode()))


def rand(g, shape, lo=-2.0, hi=2.0, dtype="float32"):
    t = torch.rand(shape, generator=g, dtype=torch.float64) * (hi - lo) + lo
    return t.to(DTYPES[dtype])


def randint(g, shape, lo, hi):
    return torch.randint(lo, hi, shape, generator=g, dtype=torch.int64)


class Net(nn.Module):
    """The composite model of the state-dict tests; mirrored by netA in Go."""

    def __init__(self):
        super().__init__()
        self.fc1 = nn.Linear(6, 8)
        self.bn = nn.BatchNorm1d(8)
        self.act = nn.ReLU()
        self.drop = nn.Dropout(0.25)
        self.head = nn.Sequential(nn.Linear(8, 8), nn.LayerNorm(8), nn.GELU(), nn.Linear(8, 3))
        self.emb = nn.Embedding(5, 6)

    def forward(self, x, ids):
        h = x + self.emb(ids)
        return self.head(self.drop(self.act(self.bn(self.fc1(h)))))


def build(spec):
    """A module from a spec {"type": …, params}; tensorlib/nn's test has the
    same table."""
    t = spec["type"]
    if t == "linear":
        return nn.Linear(spec["in"], spec["out"], bias=spec.get("bias", True))
    if t == "seq_mlp":
        return nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Linear(8, 2))
    if t == "seq_deep":
        return nn.Sequential(nn.Linear(5, 16), nn.Tanh(), nn.Dropout(0.3), nn.Linear(16, 16), nn.SiLU(),
                             nn.Linear(16, 4), nn.LogSoftmax(dim=1))
    if t == "net":
        return Net()
    if t == "relu":
        return nn.ReLU()
    if t == "leaky_relu":
        return nn.LeakyReLU(spec["slope"]) if "slope" in spec else nn.LeakyReLU()
    if t == "gelu":
        return nn.GELU(approximate=spec.get("approximate", "none"))
    if t == "silu":
        return nn.SiLU()
    if t == "tanh":
        return nn.Tanh()
    if t == "sigmoid":
        return nn.Sigmoid()
    if t == "softmax":
        return nn.Softmax(dim=spec["dim"])
    if t == "log_softmax":
        return nn.LogSoftmax(dim=spec["dim"])
    if t == "identity":
        return nn.Identity()
    if t == "flatten":
        if "start" in spec:
            return nn.Flatten(spec["start"], spec["end"])
        return nn.Flatten()
    if t == "dropout":
        return nn.Dropout(spec["p"])
    if t == "embedding":
        return nn.Embedding(spec["num"], spec["dim"], padding_idx=spec.get("padding_idx"),
                            max_norm=spec.get("max_norm"), norm_type=spec.get("norm_type", 2.0),
                            scale_grad_by_freq=spec.get("scale_grad_by_freq", False))
    if t == "layer_norm":
        return nn.LayerNorm(spec["shape"], eps=spec.get("eps", 1e-5), elementwise_affine=spec.get("affine", True))
    if t in ("batch_norm1d", "batch_norm2d"):
        cls = nn.BatchNorm1d if t == "batch_norm1d" else nn.BatchNorm2d
        return cls(spec["c"], eps=spec.get("eps", 1e-5),
                   momentum=None if spec.get("cumulative") else spec.get("momentum", 0.1),
                   affine=spec.get("affine", True), track_running_stats=spec.get("track", True))
    if t == "bilinear":
        return nn.Bilinear(spec["in1"], spec["in2"], spec["out"], bias=spec.get("bias", True))
    raise ValueError(t)


def call(m, spec, xs):
    if spec["type"] == "net":
        return m(xs[0], xs[1])
    if spec["type"] == "bilinear":
        return m(xs[0], xs[1])
    return m(xs[0])


# ---------------------------------------------------------------- init

INIT = [
    ("seq_mlp_seed0", {"type": "seq_mlp"}, 0),
    ("seq_mlp_seed42", {"type": "seq_mlp"}, 42),
    ("seq_deep", {"type": "seq_deep"}, 7),
    ("net", {"type": "net"}, 3),
    ("linear_nobias", {"type": "linear", "in": 5, "out": 3, "bias": False}, 1),
    ("embedding_10x3", {"type": "embedding", "num": 10, "dim": 3}, 1),
    ("embedding_4x3_small", {"type": "embedding", "num": 4, "dim": 3}, 2),
    ("embedding_pad", {"type": "embedding", "num": 6, "dim": 4, "padding_idx": 2}, 3),
    ("embedding_pad_neg", {"type": "embedding", "num": 6, "dim": 4, "padding_idx": -1}, 4),
    ("layer_norm", {"type": "layer_norm", "shape": [2, 3]}, 0),
    ("layer_norm_noaffine", {"type": "layer_norm", "shape": [4], "affine": False}, 0),
    ("batch_norm1d", {"type": "batch_norm1d", "c": 3}, 0),
    ("batch_norm2d_notrack", {"type": "batch_norm2d", "c": 3, "track": False}, 0),
    ("batch_norm1d_noaffine", {"type": "batch_norm1d", "c": 2, "affine": False}, 0),
    ("bilinear", {"type": "bilinear", "in1": 3, "in2": 4, "out": 5}, 2),
    ("bilinear_nobias", {"type": "bilinear", "in1": 2, "in2": 6, "out": 3, "bias": False}, 5),
]


def init_case(name, spec, seed):
    torch.manual_seed(seed)
    m = build(spec)
    return {"name": name, "build": spec, "seed": seed,
            "state": [[k, tj(v)] for k, v in m.state_dict().items()]}


INIT_FNS = [
    ("xavier_uniform", "xavier_uniform", [5, 7], "float32", {}),
    ("xavier_uniform_gain_conv", "xavier_uniform", [3, 4, 2, 2], "float32", {"gain": 2.0}),
    ("xavier_uniform_f64", "xavier_uniform", [5, 7], "float64", {}),
    ("xavier_normal", "xavier_normal", [6, 8], "float32", {"gain": 1.5}),
    ("xavier_normal_small", "xavier_normal", [3, 4], "float32", {}),
    ("kaiming_uniform_default", "kaiming_uniform", [4, 6], "float32", {}),
    ("kaiming_uniform_sqrt5_fanout", "kaiming_uniform", [4, 6], "float32", {"a": math.sqrt(5), "mode": "fan_out"}),
    ("kaiming_uniform_relu", "kaiming_uniform", [8, 3, 3], "float32", {"nonlinearity": "relu"}),
    ("kaiming_normal_default", "kaiming_normal", [20, 10], "float32", {}),
    ("kaiming_normal_fanout_relu", "kaiming_normal", [8, 3, 2], "float32", {"mode": "fan_out", "nonlinearity": "relu"}),
    ("kaiming_normal_f64", "kaiming_normal", [5, 4], "float64", {"a": 0.1}),
    ("orthogonal_wide", "orthogonal", [4, 6], "float32", {}),
    ("orthogonal_tall", "orthogonal", [6, 3], "float32", {}),
    ("orthogonal_conv_gain", "orthogonal", [3, 2, 2], "float32", {"gain": 2.0}),
    ("orthogonal_f64", "orthogonal", [5, 5], "float64", {}),
    ("trunc_normal", "trunc_normal", [40], "float32", {"mean": 0.5, "std": 2.0, "a": -1.0, "b": 3.0}),
    ("trunc_normal_default", "trunc_normal", [4, 5], "float32", {}),
    ("eye", "eye", [3, 5], "float32", {}),
    ("zeros", "zeros", [2, 3], "float32", {}),
    ("ones", "ones", [2, 3], "float64", {}),
    ("uniform", "uniform", [3, 7], "float32", {"a": -0.5, "b": 2.0}),
    ("normal", "normal", [17], "float32", {"mean": 1.0, "std": 0.5}),
    ("constant", "constant", [4], "float32", {"val": 0.3}),
]


def init_fn(fn, t, p):
    if fn == "xavier_uniform":
        return nn.init.xavier_uniform_(t, gain=p.get("gain", 1.0))
    if fn == "xavier_normal":
        return nn.init.xavier_normal_(t, gain=p.get("gain", 1.0))
    if fn in ("kaiming_uniform", "kaiming_normal"):
        f = nn.init.kaiming_uniform_ if fn == "kaiming_uniform" else nn.init.kaiming_normal_
        return f(t, a=p.get("a", 0), mode=p.get("mode", "fan_in"), nonlinearity=p.get("nonlinearity", "leaky_relu"))
    if fn == "orthogonal":
        return nn.init.orthogonal_(t, gain=p.get("gain", 1))
    if fn == "trunc_normal":
        return nn.init.trunc_normal_(t, mean=p.get("mean", 0.0), std=p.get("std", 1.0), a=p.get("a", -2.0), b=p.get("b", 2.0))
    if fn == "eye":
        return nn.init.eye_(t)
    if fn == "zeros":
        return nn.init.zeros_(t)
    if fn == "ones":
        return nn.init.ones_(t)
    if fn == "uniform":
        return nn.init.uniform_(t, p["a"], p["b"])
    if fn == "normal":
        return nn.init.normal_(t, p["mean"], p["std"])
    if fn == "constant":
        return nn.init.constant_(t, p["val"])
    raise ValueError(fn)


def init_fn_case(name, fn, shape, dtype, params, seed=11):
    torch.manual_seed(seed)
    t = torch.empty(shape, dtype=DTYPES[dtype])
    init_fn(fn, t, params)
    after = torch.rand(3)  # the generator's position afterwards
    return {"name": name, "fn": fn, "shape": shape, "dtype": dtype, "params": params, "seed": seed,
            "value": tj(t), "after": tj(after)}


GAINS = [("linear", None), ("conv2d", None), ("sigmoid", None), ("tanh", None), ("relu", None),
         ("leaky_relu", None), ("leaky_relu", 0.2), ("leaky_relu", 0.0), ("selu", None)]


# ---------------------------------------------------------------- layers

def R(*shape, lo=-2.0, hi=2.0, dtype=None, grad=True):
    return {"kind": "rand", "shape": list(shape), "lo": lo, "hi": hi, "dtype": dtype, "grad": grad}


def I(*shape, lo=0, hi=5):
    return {"kind": "int", "shape": list(shape), "lo": lo, "hi": hi}


def V(values, shape, dtype="int64"):
    return {"kind": "val", "values": values, "shape": shape, "dtype": dtype}


def step(inputs, training=True):
    return {"inputs": inputs, "training": training}


# (name, spec, seed, dtype, set (names -> rand spec), steps)
LAYERS = []


def layer(name, spec, steps, seed=0, dtype="float32", set_=None):
    LAYERS.append((name, spec, seed, dtype, set_ or {}, steps))


for dt in ("float32", "float64"):
    s = "_f64" if dt == "float64" else ""
    layer("linear" + s, {"type": "linear", "in": 4, "out": 3}, [step([R(5, 4)])], seed=1, dtype=dt)
    layer("seq_mlp" + s, {"type": "seq_mlp"}, [step([R(6, 4)])], seed=0, dtype=dt)
    layer("relu" + s, {"type": "relu"}, [step([R(3, 5)])], dtype=dt)
    layer("leaky_relu" + s, {"type": "leaky_relu"}, [step([R(3, 5)])], dtype=dt)
    layer("leaky_relu_02" + s, {"type": "leaky_relu", "slope": 0.2}, [step([R(2, 3, 4)])], dtype=dt)
    layer("gelu" + s, {"type": "gelu"}, [step([R(4, 5, lo=-4, hi=4)])], dtype=dt)
    layer("gelu_tanh" + s, {"type": "gelu", "approximate": "tanh"}, [step([R(4, 5, lo=-4, hi=4)])], dtype=dt)
    layer("silu" + s, {"type": "silu"}, [step([R(4, 5, lo=-6, hi=6)])], dtype=dt)
    layer("tanh" + s, {"type": "tanh"}, [step([R(3, 4)])], dtype=dt)
    layer("sigmoid" + s, {"type": "sigmoid"}, [step([R(3, 4, lo=-6, hi=6)])], dtype=dt)
    layer("softmax1" + s, {"type": "softmax", "dim": 1}, [step([R(3, 4, lo=-3, hi=3)])], dtype=dt)
    layer("softmax0" + s, {"type": "softmax", "dim": 0}, [step([R(3, 4, 2)])], dtype=dt)
    layer("log_softmax_neg" + s, {"type": "log_softmax", "dim": -1}, [step([R(2, 3, 5, lo=-5, hi=5)])], dtype=dt)
    layer("identity" + s, {"type": "identity"}, [step([R(2, 3)])], dtype=dt)
    layer("flatten" + s, {"type": "flatten"}, [step([R(2, 3, 2, 2)])], dtype=dt)
    layer("flatten_0_m1" + s, {"type": "flatten", "start": 0, "end": -1}, [step([R(2, 3, 2)])], dtype=dt)
    layer("flatten_1_2" + s, {"type": "flatten", "start": 1, "end": 2}, [step([R(2, 3, 2, 2)])], dtype=dt)
    layer("dropout05" + s, {"type": "dropout", "p": 0.5}, [step([R(6, 7)]), step([R(6, 7)])], seed=5, dtype=dt)
    layer("dropout02_eval" + s, {"type": "dropout", "p": 0.2},
          [step([R(3, 4, 5)]), step([R(3, 4, 5)], training=False), step([R(2, 9)])], seed=6, dtype=dt)
    layer("dropout_p1" + s, {"type": "dropout", "p": 1.0}, [step([R(3, 4)])], seed=7, dtype=dt)
    layer("dropout_p0" + s, {"type": "dropout", "p": 0.0}, [step([R(3, 4)])], seed=7, dtype=dt)
    layer("dropout_odd_p" + s, {"type": "dropout", "p": 0.123}, [step([R(50, 40)])], seed=8, dtype=dt)
    layer("embedding" + s, {"type": "embedding", "num": 10, "dim": 3}, [step([V([1, 2, 4, 5, 4, 3, 2, 9], [2, 4])])], seed=1, dtype=dt)
    layer("embedding_pad" + s, {"type": "embedding", "num": 6, "dim": 4, "padding_idx": 2},
          [step([V([0, 2, 1, 2, 5, 5], [6])])], seed=3, dtype=dt)
    layer("embedding_scalar_idx" + s, {"type": "embedding", "num": 6, "dim": 4}, [step([V([3], [])])], seed=3, dtype=dt)
    layer("embedding_freq" + s, {"type": "embedding", "num": 5, "dim": 4, "scale_grad_by_freq": True, "padding_idx": 0},
          [step([V([1, 1, 1, 0, 2, 3, 3, 4, 0], [3, 3])])], seed=9, dtype=dt)
    layer("embedding_max_norm" + s, {"type": "embedding", "num": 8, "dim": 4, "max_norm": 1.0},
          [step([V([1, 3, 3, 7, 0], [5])])], seed=10, dtype=dt)
    layer("embedding_max_norm_p1" + s, {"type": "embedding", "num": 8, "dim": 4, "max_norm": 1.5, "norm_type": 1.0},
          [step([V([6, 2, 6], [3])])], seed=10, dtype=dt)
    layer("layer_norm" + s, {"type": "layer_norm", "shape": [5]}, [step([R(3, 5)])], dtype=dt,
          set_={"weight": R(5), "bias": R(5)})
    layer("layer_norm_2d" + s, {"type": "layer_norm", "shape": [4, 5], "eps": 1e-3}, [step([R(2, 3, 4, 5, lo=-5, hi=10)])], dtype=dt,
          set_={"weight": R(4, 5), "bias": R(4, 5)})
    layer("layer_norm_noaffine" + s, {"type": "layer_norm", "shape": [6], "affine": False}, [step([R(4, 6)])], dtype=dt)
    layer("batch_norm1d" + s, {"type": "batch_norm1d", "c": 4},
          [step([R(8, 4, lo=-1, hi=3)]), step([R(8, 4, lo=0, hi=5)]), step([R(8, 4)]), step([R(5, 4)], training=False)],
          dtype=dt, set_={"weight": R(4, lo=0.5, hi=1.5), "bias": R(4)})
    layer("batch_norm1d_3d" + s, {"type": "batch_norm1d", "c": 3, "momentum": 0.3},
          [step([R(2, 3, 5)]), step([R(3, 3, 4, lo=1, hi=4)]), step([R(2, 3, 5)], training=False)],
          dtype=dt, set_={"weight": R(3), "bias": R(3)})
    layer("batch_norm1d_eval_set" + s, {"type": "batch_norm1d", "c": 3},
          [step([R(4, 3)], training=False)], dtype=dt,
          set_={"weight": R(3), "bias": R(3), "running_mean": R(3), "running_var": R(3, lo=0.2, hi=3)})
    layer("batch_norm1d_cumulative" + s, {"type": "batch_norm1d", "c": 2, "cumulative": True},
          [step([R(4, 2)]), step([R(6, 2, lo=0, hi=3)]), step([R(3, 2)]), step([R(3, 2)], training=False)], dtype=dt)
    layer("batch_norm1d_noaffine" + s, {"type": "batch_norm1d", "c": 3, "affine": False},
          [step([R(5, 3)]), step([R(5, 3)], training=False)], dtype=dt)
    layer("batch_norm1d_notrack" + s, {"type": "batch_norm1d", "c": 3, "track": False},
          [step([R(5, 3)]), step([R(4, 3)], training=False)], dtype=dt)
    layer("batch_norm2d" + s, {"type": "batch_norm2d", "c": 3, "eps": 1e-3},
          [step([R(2, 3, 4, 5)]), step([R(3, 3, 2, 2, lo=-1, hi=5)]), step([R(2, 3, 3, 3)], training=False)],
          dtype=dt, set_={"weight": R(3), "bias": R(3)})
    layer("bilinear" + s, {"type": "bilinear", "in1": 3, "in2": 4, "out": 5}, [step([R(6, 3), R(6, 4)])], seed=2, dtype=dt)
    layer("bilinear_nobias_3d" + s, {"type": "bilinear", "in1": 2, "in2": 3, "out": 4, "bias": False},
          [step([R(2, 3, 2), R(2, 3, 3)])], seed=4, dtype=dt)
    layer("bilinear_1d" + s, {"type": "bilinear", "in1": 3, "in2": 2, "out": 2}, [step([R(3), R(2)])], seed=4, dtype=dt)
    layer("seq_deep" + s, {"type": "seq_deep"}, [step([R(7, 5)]), step([R(7, 5)]), step([R(3, 5)], training=False)], seed=7, dtype=dt)
    layer("net" + s, {"type": "net"}, [step([R(6, 6), V([0, 1, 4, 2, 2, 3], [6])]),
                                        step([R(6, 6), V([4, 4, 0, 1, 2, 3], [6])]),
                                        step([R(4, 6), V([1, 2, 3, 0], [4])], training=False)], seed=3, dtype=dt)


def make_input(g, spec, dtype):
    if spec["kind"] == "rand":
        t = rand(g, spec["shape"], spec["lo"], spec["hi"], spec["dtype"] or dtype)
        if spec["grad"]:
            t.requires_grad_()
        return t
    if spec["kind"] == "int":
        return randint(g, spec["shape"], spec["lo"], spec["hi"])
    return torch.tensor(spec["values"], dtype=DTYPES[spec["dtype"]]).reshape(spec["shape"])


def layer_case(name, spec, seed, dtype, set_, steps):
    g = gen(name)
    torch.manual_seed(seed)
    m = build(spec)
    m = m.to(DTYPES[dtype])
    sets = []
    with torch.no_grad():
        sd = m.state_dict()
        for k, rs in set_.items():
            v = rand(g, rs["shape"], rs["lo"], rs["hi"], dtype)
            sd[k].copy_(v)
            sets.append([k, tj(v)])
    out_steps = []
    for st in steps:
        m.train(st["training"])
        xs = [make_input(g, s, dtype) for s in st["inputs"]]
        inputs = [dict(tj(x), requires_grad=x.requires_grad) for x in xs]
        y = call(m, spec, xs)
        w = torch.rand(y.shape, generator=g, dtype=torch.float64).mul(2).sub(1).to(y.dtype)
        rec = {"training": st["training"], "inputs": inputs, "output": tj(y),
               "grad_fn": None if y.grad_fn is None else type(y.grad_fn).__name__, "w": tj(w)}
        if y.requires_grad:
            (y * w).sum().backward()
        rec["grads"] = [tj(x.grad) if x.dtype.is_floating_point else None for x in xs]
        rec["param_grads"] = [[k, tj(p.grad)] for k, p in m.named_parameters()]
        rec["buffers"] = [[k, tj(b)] for k, b in m.named_buffers()]
        rec["params"] = [[k, tj(p)] for k, p in m.named_parameters()]
        m.zero_grad(set_to_none=True)
        out_steps.append(rec)
    return {"name": name, "build": spec, "seed": seed, "dtype": dtype, "set": sets, "steps": out_steps}


# ---------------------------------------------------------------- losses

LOSSES = []


def loss(name, fn, inputs, opts=None):
    LOSSES.append((name, fn, inputs, opts or {}))


def T(*shape, lo=-2.0, hi=2.0, grad=True):
    return {"kind": "rand", "shape": list(shape), "lo": lo, "hi": hi, "dtype": None, "grad": grad}


def P(*shape, dim=1, grad=True):
    """Class probabilities along dim (softmax of random logits)."""
    return {"kind": "probs", "shape": list(shape), "dim": dim, "grad": grad}


def C(*shape, classes, ignore=None, ignore_frac=0.0):
    """Class indices in [0, classes), some replaced by ignore."""
    return {"kind": "classes", "shape": list(shape), "classes": classes, "ignore": ignore, "ignore_frac": ignore_frac}


for dt in ("float32", "float64"):
    s = "_f64" if dt == "float64" else ""
    for red in ("mean", "sum", "none"):
        r = "_" + red
        loss("mse" + r + s, "mse", [T(5, 3), T(5, 3)], {"reduction": red, "dtype": dt})
        loss("mse_col" + r + s, "mse", [T(100, 1, lo=-20, hi=20), T(100, 1, lo=-20, hi=20, grad=False)], {"reduction": red, "dtype": dt})
        loss("mse_3d" + r + s, "mse", [T(2, 3, 4), T(2, 3, 4)], {"reduction": red, "dtype": dt})
        loss("l1" + r + s, "l1", [T(4, 5), T(4, 5)], {"reduction": red, "dtype": dt})
        loss("smooth_l1" + r + s, "smooth_l1", [T(6, 5), T(6, 5)], {"reduction": red, "dtype": dt})
        loss("smooth_l1_beta05" + r + s, "smooth_l1", [T(6, 5), T(6, 5)], {"reduction": red, "beta": 0.5, "dtype": dt})
        loss("smooth_l1_beta3" + r + s, "smooth_l1", [T(3, 5, lo=-4, hi=4), T(3, 5)], {"reduction": red, "beta": 3.0, "dtype": dt})
        loss("nll" + r + s, "nll", [T(6, 4, lo=-4, hi=0), C(6, classes=4)], {"reduction": red, "dtype": dt})
        loss("nll_1d" + r + s, "nll", [T(5, lo=-4, hi=0), C(classes=5)], {"reduction": red, "dtype": dt})
        loss("nll_weight_ignore" + r + s, "nll", [T(8, 3, lo=-4, hi=0), C(8, classes=3, ignore=1, ignore_frac=0.0)],
             {"reduction": red, "weight": [0.2, 1.0, 3.0], "ignore_index": 1, "dtype": dt})
        loss("nll_default_ignore" + r + s, "nll", [T(8, 3, lo=-4, hi=0), C(8, classes=3, ignore=-100, ignore_frac=0.4)],
             {"reduction": red, "dtype": dt})
        loss("nll_3d" + r + s, "nll", [T(2, 3, 4, lo=-4, hi=0), C(2, 4, classes=3)], {"reduction": red, "dtype": dt})
        loss("nll_4d_weight" + r + s, "nll", [T(2, 3, 2, 3, lo=-4, hi=0), C(2, 2, 3, classes=3, ignore=-100, ignore_frac=0.2)],
             {"reduction": red, "weight": [1.5, 0.5, 2.0], "dtype": dt})
        loss("nll_5d" + r + s, "nll", [T(2, 3, 2, 2, 2, lo=-4, hi=0), C(2, 2, 2, 2, classes=3)], {"reduction": red, "dtype": dt})
        loss("nll_big" + r + s, "nll", [T(300, 3, lo=-4, hi=0), C(300, classes=3, ignore=-100, ignore_frac=0.1)],
             {"reduction": red, "weight": [0.7, 1.3, 0.9], "dtype": dt})
        loss("ce" + r + s, "cross_entropy", [T(6, 4, lo=-3, hi=3), C(6, classes=4)], {"reduction": red, "dtype": dt})
        loss("ce_1d" + r + s, "cross_entropy", [T(5, lo=-3, hi=3), C(classes=5)], {"reduction": red, "dtype": dt})
        loss("ce_weight_ignore" + r + s, "cross_entropy", [T(10, 3, lo=-3, hi=3), C(10, classes=3, ignore=0, ignore_frac=0.0)],
             {"reduction": red, "weight": [0.5, 2.0, 1.0], "ignore_index": 0, "dtype": dt})
        loss("ce_4d" + r + s, "cross_entropy", [T(2, 4, 3, 2, lo=-3, hi=3), C(2, 3, 2, classes=4, ignore=-100, ignore_frac=0.2)],
             {"reduction": red, "dtype": dt})
        loss("ce_3d_weight" + r + s, "cross_entropy", [T(3, 4, 5, lo=-3, hi=3), C(3, 5, classes=4)],
             {"reduction": red, "weight": [1.0, 0.3, 0.6, 2.0], "dtype": dt})
        loss("ce_smooth" + r + s, "cross_entropy", [T(6, 4, lo=-3, hi=3), C(6, classes=4, ignore=-100, ignore_frac=0.3)],
             {"reduction": red, "label_smoothing": 0.1, "dtype": dt})
        loss("ce_smooth_weight" + r + s, "cross_entropy", [T(7, 3, lo=-3, hi=3), C(7, classes=3, ignore=2, ignore_frac=0.0)],
             {"reduction": red, "label_smoothing": 0.25, "weight": [0.2, 1.0, 3.0], "ignore_index": 2, "dtype": dt})
        loss("ce_smooth_3d" + r + s, "cross_entropy", [T(2, 3, 4, lo=-3, hi=3), C(2, 4, classes=3)],
             {"reduction": red, "label_smoothing": 0.05, "dtype": dt})
        loss("ce_probs" + r + s, "cross_entropy", [T(6, 4, lo=-3, hi=3), P(6, 4)], {"reduction": red, "dtype": dt})
        loss("ce_probs_weight_smooth" + r + s, "cross_entropy", [T(5, 3, lo=-3, hi=3), P(5, 3)],
             {"reduction": red, "weight": [0.3, 1.0, 2.0], "label_smoothing": 0.2, "dtype": dt})
        loss("ce_probs_1d" + r + s, "cross_entropy", [T(4, lo=-3, hi=3), P(4, dim=0)], {"reduction": red, "dtype": dt})
        loss("ce_probs_3d" + r + s, "cross_entropy", [T(2, 3, 4, lo=-3, hi=3), P(2, 3, 4)], {"reduction": red, "dtype": dt})
        loss("bce" + r + s, "bce", [T(6, 3, lo=0.01, hi=0.99), T(6, 3, lo=0, hi=1)], {"reduction": red, "dtype": dt})
        loss("bce_weight" + r + s, "bce", [T(6, 3, lo=0.01, hi=0.99), T(6, 3, lo=0, hi=1)],
             {"reduction": red, "weight": [0.5, 1.0, 2.0], "dtype": dt})
        loss("bce_edges" + r + s, "bce", [{"kind": "val", "values": [0.0, 1.0, 0.5, 1e-30, 0.999, 0.25], "shape": [6], "dtype": None, "grad": True},
                                          {"kind": "val", "values": [0.0, 1.0, 1.0, 0.5, 0.0, 0.75], "shape": [6], "dtype": None, "grad": False}],
             {"reduction": red, "dtype": dt})
        loss("bce_logits" + r + s, "bce_logits", [T(6, 3, lo=-5, hi=5), T(6, 3, lo=0, hi=1)], {"reduction": red, "dtype": dt})
        loss("bce_logits_weights" + r + s, "bce_logits", [T(4, 3, lo=-5, hi=5), T(4, 3, lo=0, hi=1)],
             {"reduction": red, "weight": [[1.0], [0.5], [2.0], [0.1]], "pos_weight": [3.0, 0.5, 1.0], "dtype": dt})
        loss("bce_logits_large" + r + s, "bce_logits", [T(2, 5, lo=-60, hi=60), T(2, 5, lo=0, hi=1)],
             {"reduction": red, "pos_weight": [2.0], "dtype": dt})


def loss_input(g, spec, dtype):
    k = spec["kind"]
    if k == "rand":
        t = rand(g, spec["shape"], spec["lo"], spec["hi"], dtype)
        if spec["grad"]:
            t.requires_grad_()
        return t
    if k == "val":
        t = torch.tensor(spec["values"], dtype=DTYPES[spec["dtype"] or dtype]).reshape(spec["shape"])
        if spec.get("grad"):
            t.requires_grad_()
        return t
    if k == "probs":
        t = rand(g, spec["shape"], -2, 2, dtype).softmax(spec["dim"]).detach()
        if spec["grad"]:
            t.requires_grad_()
        return t
    t = randint(g, spec["shape"], 0, spec["classes"])
    if spec["ignore"] is not None:
        if spec["ignore_frac"] > 0:
            mask = torch.rand(spec["shape"], generator=g) < spec["ignore_frac"]
            t = t.masked_fill(mask, spec["ignore"])
        elif t.numel() > 1:
            # make sure the ignored class occurs
            t.view(-1)[1] = spec["ignore"]
    return t


def apply_loss(fn, xs, o, dtype):
    red = o["reduction"]
    w = None if "weight" not in o else torch.tensor(o["weight"], dtype=DTYPES[dtype])
    if fn == "mse":
        return F.mse_loss(xs[0], xs[1], reduction=red)
    if fn == "l1":
        return F.l1_loss(xs[0], xs[1], reduction=red)
    if fn == "smooth_l1":
        return F.smooth_l1_loss(xs[0], xs[1], reduction=red, beta=o.get("beta", 1.0))
    if fn == "nll":
        return F.nll_loss(xs[0], xs[1], weight=w, ignore_index=o.get("ignore_index", -100), reduction=red)
    if fn == "cross_entropy":
        return F.cross_entropy(xs[0], xs[1], weight=w, ignore_index=o.get("ignore_index", -100), reduction=red,
                               label_smoothing=o.get("label_smoothing", 0.0))
    if fn == "bce":
        return F.binary_cross_entropy(xs[0], xs[1], weight=w, reduction=red)
    if fn == "bce_logits":
        pw = None if "pos_weight" not in o else torch.tensor(o["pos_weight"], dtype=DTYPES[dtype])
        return F.binary_cross_entropy_with_logits(xs[0], xs[1], weight=w, pos_weight=pw, reduction=red)
    raise ValueError(fn)


def loss_case(name, fn, inputs, o):
    g = gen(name)
    dtype = o["dtype"]
    xs = [loss_input(g, s, dtype) for s in inputs]
    y = apply_loss(fn, xs, o, dtype)
    w = torch.rand(y.shape, generator=g, dtype=torch.float64).mul(2).sub(1).to(y.dtype)
    (y * w).sum().backward()
    return {"name": name, "loss": fn, "opts": o,
            "inputs": [dict(tj(x), requires_grad=x.requires_grad) for x in xs],
            "output": tj(y), "grad_fn": type(y.grad_fn).__name__, "w": tj(w),
            "grads": [tj(x.grad) if x.requires_grad else None for x in xs]}


# ---------------------------------------------------------------- state dict keys

def keys_case(name, spec):
    torch.manual_seed(0)
    m = build(spec)
    return {"name": name, "build": spec,
            "keys": list(m.state_dict().keys()),
            "params": [k for k, _ in m.named_parameters()],
            "buffers": [k for k, _ in m.named_buffers()],
            "modules": [k for k, _ in m.named_modules()]}


KEYS = [("seq_mlp", {"type": "seq_mlp"}), ("seq_deep", {"type": "seq_deep"}), ("net", {"type": "net"}),
        ("batch_norm2d_notrack", {"type": "batch_norm2d", "c": 2, "track": False})]


def main():
    torch.set_num_threads(1)
    for group in (INIT, INIT_FNS, LAYERS, LOSSES):
        names = [c[0] for c in group]
        dup = {n for n in names if names.count(n) > 1}
        assert not dup, "duplicate case names: %s" % sorted(dup)
    doc = {
        "torch": torch.__version__,
        "init": [init_case(*c) for c in INIT],
        "init_fns": [init_fn_case(*c) for c in INIT_FNS],
        "gains": [{"nonlinearity": n, "param": p, "value": nn.init.calculate_gain(n, p)} for n, p in GAINS],
        "layers": [layer_case(*c) for c in LAYERS],
        "losses": [loss_case(*c) for c in LOSSES],
        "keys": [keys_case(*c) for c in KEYS],
    }
    os.makedirs(os.path.dirname(OUT), exist_ok=True)
    with open(OUT, "w") as f:
        f.write("{")
        first = True
        for k, v in doc.items():
            if not first:
                f.write(",")
            first = False
            if isinstance(v, list):
                f.write('\n"%s": [\n' % k)
                f.write(",\n".join(json.dumps(c, separators=(",", ":"), allow_nan=False) for c in v))
                f.write("\n]")
            else:
                f.write('\n"%s": %s' % (k, json.dumps(v)))
        f.write("\n}\n")
    print("wrote %d init, %d init_fns, %d layers, %d losses to %s" % (
        len(doc["init"]), len(doc["init_fns"]), len(doc["layers"]), len(doc["losses"]), OUT))


if __name__ == "__main__":
    main()
