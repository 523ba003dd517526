"""Golden files for convolution, pooling, recurrent and attention layers.

Run from the repository root with Debian's torch 1.13:

    /usr/bin/python3 tools/golden/nn_b.py

Writes two files:

tensorlib/testdata/conv_pool.json
    Functional cases (conv1d, conv2d, max_pool2d, avg_pool2d,
    adaptive_avg_pool2d). Each case holds its inputs (explicit values), op
    params, the output (values, shape, grad_fn name), max pooling's indices,
    a fixed random weight "w" of the output's shape, and the gradients of
    every input after backward of (out * w).sum().

tensorlib/nn/testdata/nn_b.json
    Module cases (Conv1d, Conv2d, pools, RNN, LSTM, GRU, MultiheadAttention,
    TransformerEncoderLayer). Each case seeds torch's default generator,
    constructs the module (so the Go test can check PyTorch-identical
    initialisation), records its repr and named_parameters in order, runs forward on
    explicit inputs, and records every output, its grad_fn, and the
    gradients of the inputs and parameters after backward of
    sum((out_i * w_i).sum()).

Floats are written with repr(); NaN and infinities as "nan", "inf", "-inf".
Input values come from a generator seeded by the case name, so adding a case
leaves the others unchanged.
"""

import json
import math
import os
import zlib

import torch
import torch.nn as nn
import torch.nn.functional as F

CONV_OUT = os.path.join("tensorlib", "testdata", "conv_pool.json")
NN_OUT = os.path.join("tensorlib", "nn", "testdata", "nn_b.json")
DTYPE_NAMES = {torch.float32: "float32", torch.float64: "float64", torch.int64: "int64", torch.bool: "bool"}


def num(x):
    if isinstance(x, bool):
        return x
    if isinstance(x, int):
        return x
    if math.isnan(x):
        return "nan"
    if math.isinf(x):
        return "inf" if x > 0 else "-inf"
    return float(repr(float(x)))


def enc(t):
    """A tensor as {values, shape, dtype}; None stays None."""
    if t is None:
        return None
    t = t.detach()
    vals = t.reshape(-1).tolist()
    return {"values": [num(v) for v in vals], "shape": list(t.shape), "dtype": DTYPE_NAMES[t.dtype]}


def gen(name):
    return torch.Generator().manual_seed(zlib.crc32(name.encode()))


def rand(g, *shape, dtype=torch.float32, lo=-2.0, hi=2.0):
    return (torch.rand(*shape, generator=g, dtype=torch.float64) * (hi - lo) + lo).to(dtype)


def grad_fn_name(t):
    return None if t.grad_fn is None else type(t.grad_fn).__name__


# ---------------------------------------------------------------------------
# Functional convolution and pooling.

def conv_case(name, dims, n, c, size, o, k, stride=1, padding=0, dilation=1, groups=1, bias=True,
              dtype=torch.float32, unbatched=False):
    g = gen(name)
    x = rand(g, *([n, c] + list(size)), dtype=dtype)
    if unbatched:
        x = x[0]
    ks = [k] * dims if isinstance(k, int) else list(k)
    w = rand(g, *([o, c // groups] + ks), dtype=dtype, lo=-1, hi=1)
    b = rand(g, o, dtype=dtype) if bias else None
    leaves = [t.clone().requires_grad_(True) if t is not None else None for t in (x, w, b)]
    fn = F.conv1d if dims == 1 else F.conv2d
    out = fn(leaves[0], leaves[1], leaves[2], stride=stride, padding=padding, dilation=dilation, groups=groups)
    wt = rand(g, *out.shape, dtype=dtype)
    (out * wt).sum().backward()
    lst = lambda v: [v] if isinstance(v, int) else list(v)
    return {
        "name": name, "op": "conv%dd" % dims,
        "params": {"stride": lst(stride), "padding": lst(padding), "dilation": lst(dilation), "groups": groups},
        "inputs": [enc(x), enc(w), enc(b)],
        "out": enc(out), "grad_fn": grad_fn_name(out), "w": enc(wt),
        "grads": [enc(l.grad) if l is not None else None for l in leaves],
    }


def pool_case(name, op, shape, dtype=torch.float32, values=None, **params):
    g = gen(name)
    if values is not None:
        x = torch.tensor(values, dtype=dtype).reshape(shape)
    else:
        x = rand(g, *shape, dtype=dtype)
    xl = x.clone().requires_grad_(True)
    idx = None
    if op == "max_pool2d":
        out, idx = F.max_pool2d(xl, params["kernel"], stride=params.get("stride"), padding=params.get("padding", 0),
                                dilation=params.get("dilation", 1), ceil_mode=params.get("ceil_mode", False),
                                return_indices=True)
        # grad_fn of the plain call (without return_indices) is the same node.
    elif op == "avg_pool2d":
        out = F.avg_pool2d(xl, params["kernel"], stride=params.get("stride"), padding=params.get("padding", 0),
                           ceil_mode=params.get("ceil_mode", False),
                           count_include_pad=params.get("count_include_pad", True),
                           divisor_override=params.get("divisor_override"))
    else:
        out = F.adaptive_avg_pool2d(xl, params["output_size"])
    wt = rand(g, *out.shape, dtype=dtype)
    (out * wt).sum().backward()
    lst = lambda v: None if v is None else ([v] if isinstance(v, int) else list(v))
    p = {
        "kernel": lst(params.get("kernel")), "stride": lst(params.get("stride")),
        "padding": lst(params.get("padding")), "dilation": lst(params.get("dilation")),
        "ceil_mode": params.get("ceil_mode", False),
        "exclude_pad": not params.get("count_include_pad", True),
        "divisor_override": params.get("divisor_override") or 0,
        "output_size": lst(params.get("output_size")),
    }
    return {
        "name": name, "op": op, "params": p, "inputs": [enc(x)],
        "out": enc(out), "grad_fn": grad_fn_name(out), "w": enc(wt),
        "indices": enc(idx), "grads": [enc(xl.grad)],
    }


def conv_pool_cases():
    f64 = torch.float64
    cases = [
        conv_case("conv2d/basic", 2, 2, 3, (7, 6), 4, 3),
        conv_case("conv2d/stride2 pad1", 2, 2, 3, (7, 8), 5, 3, stride=2, padding=1),
        conv_case("conv2d/dilation2 pad2", 2, 1, 2, (9, 8), 3, 3, dilation=2, padding=2),
        conv_case("conv2d/groups2 rect", 2, 2, 4, (6, 7), 6, (2, 3), stride=(2, 1), padding=(1, 0), groups=2),
        conv_case("conv2d/depthwise", 2, 2, 3, (5, 5), 3, 3, padding=1, groups=3),
        conv_case("conv2d/depthwise multiplier", 2, 1, 2, (5, 6), 4, 3, stride=(1, 2), groups=2, bias=False),
        conv_case("conv2d/rect dilation nobias", 2, 2, 2, (8, 9), 3, (2, 3), stride=(1, 2), padding=(1, 1), dilation=(2, 1), bias=False),
        conv_case("conv2d/1x1", 2, 3, 4, (3, 5), 2, 1),
        conv_case("conv2d/large stride", 2, 1, 1, (10, 10), 2, 2, stride=3, padding=1),
        conv_case("conv2d/unbatched", 2, 1, 2, (5, 5), 3, 3, padding=1, unbatched=True),
        conv_case("conv2d/float64", 2, 2, 2, (5, 6), 3, 3, stride=2, padding=1, dtype=f64),
        conv_case("conv1d/basic", 1, 2, 3, (10,), 4, 3),
        conv_case("conv1d/stride2 pad1", 1, 2, 2, (11,), 3, 4, stride=2, padding=1),
        conv_case("conv1d/dilation3 groups2", 1, 3, 4, (12,), 2, 3, dilation=3, padding=2, groups=2, bias=False),
        conv_case("conv1d/float64", 1, 1, 2, (9,), 2, 2, stride=3, padding=1, dtype=f64),
        pool_case("max_pool2d/k2", "max_pool2d", (2, 3, 6, 6), kernel=2),
        pool_case("max_pool2d/k3 s2 p1", "max_pool2d", (1, 2, 7, 8), kernel=3, stride=2, padding=1),
        pool_case("max_pool2d/ceil", "max_pool2d", (1, 2, 7, 7), kernel=3, stride=2, ceil_mode=True),
        pool_case("max_pool2d/ceil pad", "max_pool2d", (2, 1, 6, 5), kernel=2, stride=2, padding=1, ceil_mode=True),
        pool_case("max_pool2d/rect dilation", "max_pool2d", (1, 2, 8, 9), kernel=(2, 3), stride=(1, 2), padding=(1, 1), dilation=(2, 1)),
        pool_case("max_pool2d/ties", "max_pool2d", (1, 1, 4, 4), values=[float(v % 3) for v in [1, 2, 2, 0, 2, 2, 1, 1, 0, 0, 0, 0, 5, 5, 5, 5]], kernel=2, stride=1),
        pool_case("max_pool2d/nan", "max_pool2d", (1, 1, 3, 4), values=[1, float("nan"), 3, -1, 2, 0, float("nan"), 4, -5, -6, 7, float("nan")], kernel=2, stride=1),
        pool_case("max_pool2d/unbatched", "max_pool2d", (2, 5, 5), kernel=2, stride=2, ceil_mode=True),
        pool_case("max_pool2d/float64", "max_pool2d", (1, 2, 5, 6), dtype=f64, kernel=3, stride=2, padding=1),
        pool_case("avg_pool2d/k2", "avg_pool2d", (2, 3, 6, 6), kernel=2),
        pool_case("avg_pool2d/k3 s2 p1", "avg_pool2d", (1, 2, 7, 8), kernel=3, stride=2, padding=1),
        pool_case("avg_pool2d/exclude pad", "avg_pool2d", (1, 2, 7, 8), kernel=3, stride=2, padding=1, count_include_pad=False),
        pool_case("avg_pool2d/ceil pad", "avg_pool2d", (2, 1, 6, 5), kernel=3, stride=2, padding=1, ceil_mode=True),
        pool_case("avg_pool2d/ceil exclude", "avg_pool2d", (1, 1, 7, 7), kernel=(2, 3), stride=(2, 2), padding=(1, 1), ceil_mode=True, count_include_pad=False),
        pool_case("avg_pool2d/divisor", "avg_pool2d", (1, 2, 5, 5), kernel=2, stride=1, divisor_override=3),
        pool_case("avg_pool2d/float64", "avg_pool2d", (1, 2, 5, 6), dtype=f64, kernel=3, stride=2, padding=1),
        pool_case("adaptive_avg_pool2d/3x3", "adaptive_avg_pool2d", (2, 2, 7, 5), output_size=3),
        pool_case("adaptive_avg_pool2d/2x4", "adaptive_avg_pool2d", (1, 3, 5, 9), output_size=(2, 4)),
        pool_case("adaptive_avg_pool2d/grow", "adaptive_avg_pool2d", (1, 1, 3, 2), output_size=(4, 5)),
        pool_case("adaptive_avg_pool2d/1x1", "adaptive_avg_pool2d", (2, 3, 4, 5), output_size=1),
        pool_case("adaptive_avg_pool2d/unbatched", "adaptive_avg_pool2d", (2, 6, 6), output_size=(3, 2)),
        pool_case("adaptive_avg_pool2d/float64", "adaptive_avg_pool2d", (1, 2, 7, 6), dtype=f64, output_size=(3, 4)),
    ]
    return cases


# ---------------------------------------------------------------------------
# Modules.

def module_case(name, module, args, seed, make, inputs, call=None):
    """make(args) builds the torch module after torch.manual_seed(seed);
    inputs are explicit tensors (None allowed) of which floating ones that
    are not masks require grad; call(mod, leaves) returns the outputs."""
    torch.manual_seed(seed)
    mod = make()
    named = list(mod.named_parameters())
    params = [{"name": n, **enc(p)} for n, p in named]
    leaves = []
    for t, grad in inputs:
        if t is None:
            leaves.append(None)
        else:
            leaves.append(t.clone().requires_grad_(grad))
    outs = call(mod, leaves)
    g = gen(name)
    loss = 0
    rec = []
    for o in outs:
        if o is None:
            rec.append(None)
            continue
        w = rand(g, *o.shape, dtype=o.dtype)
        loss = loss + (o * w).sum()
        rec.append({"tensor": enc(o), "grad_fn": grad_fn_name(o), "w": enc(w)})
    loss.backward()
    return {
        "name": name, "module": module, "args": args, "seed": seed,
        "repr": repr(mod), "params": params,
        "inputs": [None if t is None else {**enc(t), "requires_grad": grad} for t, grad in inputs],
        "outputs": rec,
        "input_grads": [None if l is None or not l.requires_grad else enc(l.grad) for l in leaves],
        "param_grads": [enc(p.grad) for _, p in named],
    }


def conv_module(name, dims, n, c, size, o, k, seed, **kw):
    g = gen(name)
    x = rand(g, *([n, c] + list(size)))
    args = {"in": c, "out": o, "kernel": k if isinstance(k, int) else list(k), "dims": dims}
    for key, v in kw.items():
        if key in ("stride", "padding", "dilation"):
            v = [v] * dims if isinstance(v, int) else list(v)
        args[key] = v
    cls = nn.Conv1d if dims == 1 else nn.Conv2d
    bias = kw.pop("bias", True)
    return module_case(name, "conv%dd" % dims, args, seed, lambda: cls(c, o, k, bias=bias, **kw),
                       [(x, True)], lambda m, l: [m(l[0])])


def pool_module(name, module, shape, make, args):
    g = gen(name)
    x = rand(g, *shape)
    return module_case(name, module, args, 0, make, [(x, True)], lambda m, l: [m(l[0])])


def rnn_module(name, kind, seed, L, N, I, H, layers=1, h0=False, batch_first=False, bidirectional=False,
               bias=True, nonlinearity="tanh", unbatched=False, dropout=0.0):
    g = gen(name)
    dirs = 2 if bidirectional else 1
    if unbatched:
        x = rand(g, L, I)
        hshape = (layers * dirs, H)
    else:
        x = rand(g, N, L, I) if batch_first else rand(g, L, N, I)
        hshape = (layers * dirs, N, H)
    hx = rand(g, *hshape, lo=-1, hi=1) if h0 else None
    cx = rand(g, *hshape, lo=-1, hi=1) if (h0 and kind == "lstm") else None
    args = {"input_size": I, "hidden_size": H, "num_layers": layers, "batch_first": batch_first,
            "bidirectional": bidirectional, "bias": bias, "nonlinearity": nonlinearity, "dropout": dropout}
    kw = dict(num_layers=layers, batch_first=batch_first, bidirectional=bidirectional, bias=bias, dropout=dropout)
    if kind == "rnn":
        make = lambda: nn.RNN(I, H, nonlinearity=nonlinearity, **kw)
    elif kind == "lstm":
        make = lambda: nn.LSTM(I, H, **kw)
    else:
        make = lambda: nn.GRU(I, H, **kw)

    def call(m, l):
        if kind == "lstm":
            out, (hn, cn) = m(l[0], None if l[1] is None else (l[1], l[2]))
            return [out, hn, cn]
        out, hn = m(l[0], l[1])
        return [out, hn]
    return module_case(name, kind, args, seed, make, [(x, True), (hx, True), (cx, True)], call)


def mha_module(name, seed, E, heads, L, S, N, self_attn=True, batch_first=False, bias=True, kpm=None,
               attn_mask=None, need_weights=True, average=True, unbatched=False):
    g = gen(name)
    def seq(n):
        if unbatched:
            return rand(g, n, E)
        return rand(g, N, n, E) if batch_first else rand(g, n, N, E)
    q = seq(L)
    k = q if self_attn else seq(S)
    v = q if self_attn else seq(S)
    args = {"embed_dim": E, "num_heads": heads, "batch_first": batch_first, "bias": bias,
            "self": self_attn, "need_weights": need_weights, "average": average}

    def call(m, l):
        m.eval()
        qq = l[0]
        kk = qq if self_attn else l[1]
        vv = qq if self_attn else l[2]
        out, w = m(qq, kk, vv, key_padding_mask=l[3], attn_mask=l[4], need_weights=need_weights,
                   average_attn_weights=average)
        return [out, w]
    ins = [(q, True), (None if self_attn else k, True), (None if self_attn else v, True),
           (kpm, False), (attn_mask, False)]
    return module_case(name, "mha", args, seed,
                       lambda: nn.MultiheadAttention(E, heads, bias=bias, batch_first=batch_first), ins, call)


def encoder_module(name, seed, d, heads, ff, L, N, activation="relu", norm_first=False, batch_first=False,
                   mask=None, kpm=None, train=False):
    g = gen(name)
    x = rand(g, N, L, d) if batch_first else rand(g, L, N, d)
    args = {"d_model": d, "nhead": heads, "dim_feedforward": ff, "activation": activation,
            "norm_first": norm_first, "batch_first": batch_first, "train": train}

    def call(m, l):
        # Training mode draws the dropout masks from the default generator,
        # right after construction.
        m.train(train)
        return [m(l[0], src_mask=l[1], src_key_padding_mask=l[2])]
    return module_case(name, "encoder", args, seed,
                       lambda: nn.TransformerEncoderLayer(d, heads, dim_feedforward=ff, activation=activation,
                                                          norm_first=norm_first, batch_first=batch_first),
                       [(x, True), (mask, False), (kpm, False)], call)


def nn_cases():
    causal = torch.triu(torch.ones(4, 4, dtype=torch.bool), diagonal=1)
    kpm = torch.tensor([[False, False, False, True, True], [False, False, False, False, False]])
    float_mask = rand(gen("float mask"), 3, 4, lo=-1, hi=1)
    return [
        conv_module("Conv2d/default", 2, 2, 3, (6, 5), 4, 3, seed=1),
        conv_module("Conv2d/rect stride groups nobias", 2, 2, 4, (7, 8), 6, (2, 3), seed=2, stride=2, padding=1,
                    groups=2, bias=False),
        conv_module("Conv2d/dilation", 2, 1, 2, (8, 8), 3, 3, seed=3, dilation=2, padding=2),
        conv_module("Conv1d/stride pad", 1, 2, 3, (11,), 5, 3, seed=4, stride=2, padding=1),
        pool_module("MaxPool2d", "maxpool", (2, 2, 6, 7), lambda: nn.MaxPool2d(3, stride=2, padding=1),
                    {"kernel": 3, "stride": 2, "padding": 1}),
        pool_module("AvgPool2d", "avgpool", (2, 2, 6, 7), lambda: nn.AvgPool2d(2),
                    {"kernel": 2}),
        pool_module("AdaptiveAvgPool2d", "adaptive", (2, 2, 6, 7), lambda: nn.AdaptiveAvgPool2d((2, 3)),
                    {"output_size": [2, 3]}),
        rnn_module("RNN/tanh 2 layers", "rnn", 5, L=5, N=3, I=4, H=6, layers=2),
        rnn_module("RNN/relu batch_first h0", "rnn", 6, L=4, N=2, I=3, H=5, h0=True, batch_first=True,
                   nonlinearity="relu"),
        rnn_module("RNN/bidirectional 2 layers", "rnn", 7, L=4, N=2, I=3, H=4, layers=2, h0=True,
                   bidirectional=True),
        rnn_module("LSTM/2 layers h0", "lstm", 8, L=5, N=3, I=4, H=6, layers=2, h0=True),
        rnn_module("LSTM/batch_first bidirectional", "lstm", 9, L=4, N=2, I=3, H=5, batch_first=True,
                   bidirectional=True, layers=2),
        rnn_module("LSTM/unbatched h0", "lstm", 10, L=6, N=1, I=3, H=4, h0=True, unbatched=True),
        rnn_module("LSTM/nobias", "lstm", 11, L=3, N=2, I=2, H=3, bias=False),
        rnn_module("GRU/2 layers", "gru", 12, L=5, N=3, I=4, H=6, layers=2),
        rnn_module("GRU/bidirectional batch_first h0", "gru", 13, L=4, N=2, I=3, H=5, h0=True,
                   batch_first=True, bidirectional=True),
        mha_module("MHA/self", 14, E=8, heads=2, L=4, S=4, N=2),
        mha_module("MHA/cross masks", 15, E=8, heads=4, L=4, S=5, N=2, self_attn=False, kpm=kpm,
                   attn_mask=torch.zeros(4, 5, dtype=torch.bool).index_fill_(1, torch.tensor([1]), True)),
        mha_module("MHA/self causal", 16, E=6, heads=3, L=4, S=4, N=2, attn_mask=causal),
        mha_module("MHA/batch_first float mask per head", 17, E=8, heads=2, L=3, S=4, N=2, self_attn=False,
                   batch_first=True, attn_mask=float_mask, average=False),
        mha_module("MHA/nobias no weights", 18, E=4, heads=1, L=3, S=3, N=2, bias=False, need_weights=False),
        mha_module("MHA/unbatched", 19, E=6, heads=2, L=3, S=5, N=1, self_attn=False, unbatched=True,
                   kpm=torch.tensor([False, True, False, False, True])),
        encoder_module("Encoder/relu", 20, d=8, heads=2, ff=16, L=4, N=2),
        encoder_module("Encoder/gelu norm_first batch_first kpm", 21, d=8, heads=4, ff=12, L=5, N=2,
                       activation="gelu", norm_first=True, batch_first=True, kpm=kpm),
        encoder_module("Encoder/causal", 22, d=6, heads=3, ff=10, L=4, N=3, mask=causal),
        encoder_module("Encoder/train dropout", 23, d=8, heads=2, ff=16, L=4, N=2, mask=causal, train=True),
        rnn_module("LSTM/train dropout between layers", "lstm", 24, L=4, N=2, I=3, H=5, layers=3, dropout=0.5),
        rnn_module("GRU/train dropout bidirectional", "gru", 25, L=3, N=2, I=3, H=4, layers=2, dropout=0.3,
                   bidirectional=True),
    ]


def write(path, obj):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w") as f:
        json.dump(obj, f, separators=(",", ":"))
        f.write("\n")
    print("wrote", path)


def main():
    torch.set_num_threads(1)
    write(CONV_OUT, {"torch": torch.__version__, "cases": conv_pool_cases()})
    write(NN_OUT, {"torch": torch.__version__, "cases": nn_cases()})


if __name__ == "__main__":
    main()
