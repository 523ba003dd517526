"""Write tensorlib/testdata/ops.json: forward and backward results of torch 1.13.

Run from the repository root with Debian's torch:

    /usr/bin/python3 tools/golden/ops.py

The file holds a list of cases. A case builds its input tensors, applies one
op and records:

  inputs   explicit values (row-major), dtype, shape, requires_grad, and an
           optional "view": a list of steps {op, params} (ops from the same
           table, e.g. transpose or slice) applied to the leaf before the op,
           so the op sees a non-contiguous input. Gradients are those of the
           leaf.
  op       a name from OPS below, with params; tensorlib/golden_ops_test.go
           maps the same names to tensorlib calls.
  outputs  each output's values, shape, dtype and grad_fn name (null when the
           output has none), plus "w": a fixed random weight of the output's
           shape and dtype for floating-point outputs that require grad.
  grads    after backward of sum((out * w).sum() for each such output): the
           gradient of every input leaf (null when it needs none).

Floats are written with repr(), so float32 values round-trip exactly; NaN and
infinities are written as the strings "nan", "inf", "-inf". Random values come
from a generator seeded by the case name, so adding a case leaves the others
unchanged.

Go scalars carry no int/float distinction, so tensorlib treats an integral
float64 scalar as an integer (int64 + 2.0 stays int64); scalar params that are
integral are therefore passed to torch as Python ints.

To add coverage, add a case to CASES (and, for a new op, an entry to OPS here
and in the Go test's op table).
"""

import json
import math
import os
import zlib

import torch
import torch.nn.functional as F

OUT = os.path.join("tensorlib", "testdata", "ops.json")
DTYPES = {"float32": torch.float32, "float64": torch.float64, "int64": torch.int64, "bool": torch.bool}
DTYPE_NAMES = {v: k for k, v in DTYPES.items()}


def scalar(x):
    """A Python scalar as tensorlib sees it: integral floats are ints."""
    if x is None:
        return None
    return int(x) if float(x).is_integer() else float(x)


def one_input(f):
    return lambda xs, p: f(xs[0], p)


# Every op: name -> fn(inputs, params) returning a tensor or a tuple of them.
OPS = {
    # Elementwise binary ops, tensor and scalar forms.
    "add": lambda xs, p: xs[0] + xs[1],
    "sub": lambda xs, p: xs[0] - xs[1],
    "mul": lambda xs, p: xs[0] * xs[1],
    "div": lambda xs, p: xs[0] / xs[1],
    "pow_tensor": lambda xs, p: xs[0].pow(xs[1]),
    "add_scalar": one_input(lambda x, p: x + scalar(p["s"])),
    "sub_scalar": one_input(lambda x, p: x - scalar(p["s"])),
    "mul_scalar": one_input(lambda x, p: x * scalar(p["s"])),
    "div_scalar": one_input(lambda x, p: x / scalar(p["s"])),
    "pow": one_input(lambda x, p: x.pow(scalar(p["s"]))),
    # Unary ops.
    "neg": one_input(lambda x, p: -x),
    "abs": one_input(lambda x, p: x.abs()),
    "sign": one_input(lambda x, p: x.sign()),
    "exp": one_input(lambda x, p: x.exp()),
    "log": one_input(lambda x, p: x.log()),
    "sqrt": one_input(lambda x, p: x.sqrt()),
    "rsqrt": one_input(lambda x, p: x.rsqrt()),
    "sin": one_input(lambda x, p: x.sin()),
    "cos": one_input(lambda x, p: x.cos()),
    "tanh": one_input(lambda x, p: x.tanh()),
    "sigmoid": one_input(lambda x, p: x.sigmoid()),
    "relu": one_input(lambda x, p: x.relu()),
    "gelu": one_input(lambda x, p: F.gelu(x)),
    "clamp": one_input(lambda x, p: x.clamp(scalar(p["lo"]), scalar(p["hi"]))),
    "isnan": one_input(lambda x, p: x.isnan()),
    "isfinite": one_input(lambda x, p: x.isfinite()),
    # Selection.
    "where": lambda xs, p: torch.where(xs[0], xs[1], xs[2]),
    "masked_fill": lambda xs, p: xs[0].masked_fill(xs[1], p["value"]),
    # Comparisons and logical ops (Bool results, no gradient).
    "eq": lambda xs, p: xs[0] == xs[1],
    "ne": lambda xs, p: xs[0] != xs[1],
    "lt": lambda xs, p: xs[0] < xs[1],
    "le": lambda xs, p: xs[0] <= xs[1],
    "gt": lambda xs, p: xs[0] > xs[1],
    "ge": lambda xs, p: xs[0] >= xs[1],
    "eq_scalar": one_input(lambda x, p: x == scalar(p["s"])),
    "ne_scalar": one_input(lambda x, p: x != scalar(p["s"])),
    "lt_scalar": one_input(lambda x, p: x < scalar(p["s"])),
    "le_scalar": one_input(lambda x, p: x <= scalar(p["s"])),
    "gt_scalar": one_input(lambda x, p: x > scalar(p["s"])),
    "ge_scalar": one_input(lambda x, p: x >= scalar(p["s"])),
    "logical_and": lambda xs, p: xs[0].logical_and(xs[1]),
    "logical_or": lambda xs, p: xs[0].logical_or(xs[1]),
    "logical_xor": lambda xs, p: xs[0].logical_xor(xs[1]),
    "logical_not": one_input(lambda x, p: x.logical_not()),
    # Reductions.
    "sum": one_input(lambda x, p: x.sum()),
    "sum_dim": one_input(lambda x, p: x.sum(p["dim"], keepdim=p["keepdim"])),
    "sum_dims": one_input(lambda x, p: x.sum(tuple(p["dims"]), keepdim=p["keepdim"])),
    "mean": one_input(lambda x, p: x.mean()),
    "mean_dim": one_input(lambda x, p: x.mean(p["dim"], keepdim=p["keepdim"])),
    "mean_dims": one_input(lambda x, p: x.mean(tuple(p["dims"]), keepdim=p["keepdim"])),
    "prod": one_input(lambda x, p: x.prod()),
    "prod_dim": one_input(lambda x, p: x.prod(p["dim"], keepdim=p["keepdim"])),
    "max": one_input(lambda x, p: x.max()),
    "min": one_input(lambda x, p: x.min()),
    "max_dim": one_input(lambda x, p: tuple(x.max(p["dim"], keepdim=p["keepdim"]))),
    "min_dim": one_input(lambda x, p: tuple(x.min(p["dim"], keepdim=p["keepdim"]))),
    "argmax": one_input(lambda x, p: x.argmax()),
    "argmin": one_input(lambda x, p: x.argmin()),
    "argmax_dim": one_input(lambda x, p: x.argmax(p["dim"], keepdim=p["keepdim"])),
    "argmin_dim": one_input(lambda x, p: x.argmin(p["dim"], keepdim=p["keepdim"])),
    "var": one_input(lambda x, p: x.var()),
    "var_dim": one_input(lambda x, p: x.var(p["dim"], unbiased=p["unbiased"], keepdim=p["keepdim"])),
    "var_dims": one_input(lambda x, p: x.var(tuple(p["dims"]), unbiased=p["unbiased"], keepdim=p["keepdim"])),
    "std": one_input(lambda x, p: x.std()),
    "std_dim": one_input(lambda x, p: x.std(p["dim"], unbiased=p["unbiased"], keepdim=p["keepdim"])),
    "std_dims": one_input(lambda x, p: x.std(tuple(p["dims"]), unbiased=p["unbiased"], keepdim=p["keepdim"])),
    "logsumexp": one_input(lambda x, p: x.logsumexp(p["dim"], keepdim=p["keepdim"])),
    "softmax": one_input(lambda x, p: x.softmax(p["dim"])),
    "log_softmax": one_input(lambda x, p: x.log_softmax(p["dim"])),
    # Linear algebra.
    "matmul": lambda xs, p: xs[0] @ xs[1],
    # Joining and splitting.
    "cat": lambda xs, p: torch.cat(xs, p["dim"]),
    "stack": lambda xs, p: torch.stack(xs, p["dim"]),
    "split": one_input(lambda x, p: x.split(p["size"], p["dim"])),
    "split_sizes": one_input(lambda x, p: x.split(p["sizes"], p["dim"])),
    "chunk": one_input(lambda x, p: x.chunk(p["n"], p["dim"])),
    # Indexing.
    "index_select": lambda xs, p: xs[0].index_select(p["dim"], xs[1]),
    "gather": lambda xs, p: xs[0].gather(p["dim"], xs[1]),
    "scatter": lambda xs, p: xs[0].scatter(p["dim"], xs[1], xs[2]),
    "scatter_add": lambda xs, p: xs[0].scatter_add(p["dim"], xs[1], xs[2]),
    # Views and copies.
    "reshape": one_input(lambda x, p: x.reshape(p["shape"])),
    "view": one_input(lambda x, p: x.view(p["shape"])),
    "transpose": one_input(lambda x, p: x.transpose(p["dim0"], p["dim1"])),
    "t": one_input(lambda x, p: x.t()),
    "permute": one_input(lambda x, p: x.permute(p["dims"])),
    "narrow": one_input(lambda x, p: x.narrow(p["dim"], p["start"], p["length"])),
    "slice": one_input(lambda x, p: x[(slice(None),) * (p["dim"] % x.dim()) + (slice(p["start"], p["end"], p["step"]),)]),
    "select": one_input(lambda x, p: x.select(p["dim"], p["index"])),
    "expand": one_input(lambda x, p: x.expand(p["shape"])),
    "squeeze": one_input(lambda x, p: x.squeeze(*p["dims"])),
    "unsqueeze": one_input(lambda x, p: x.unsqueeze(p["dim"])),
    "flatten": one_input(lambda x, p: x.flatten(*p["dims"])),
    "clone": one_input(lambda x, p: x.clone()),
    "contiguous": one_input(lambda x, p: x.contiguous()),
    "to": one_input(lambda x, p: x.to(DTYPES[p["dtype"]])),
    "expand_as": lambda xs, p: xs[0].expand_as(xs[1]),
    # In-place ops, on a clone of the first input (so it is not a leaf).
    "add_inplace": lambda xs, p: xs[0].clone().add_(xs[1]),
    "sub_inplace": lambda xs, p: xs[0].clone().sub_(xs[1]),
    "mul_inplace": lambda xs, p: xs[0].clone().mul_(xs[1]),
    "div_inplace": lambda xs, p: xs[0].clone().div_(xs[1]),
    "add_scalar_inplace": one_input(lambda x, p: x.clone().add_(scalar(p["s"]))),
    "mul_scalar_inplace": one_input(lambda x, p: x.clone().mul_(scalar(p["s"]))),
    "clamp_inplace": one_input(lambda x, p: x.clone().clamp_(scalar(p["lo"]), scalar(p["hi"]))),
    "relu_inplace": one_input(lambda x, p: x.clone().relu_()),
    "masked_fill_inplace": lambda xs, p: xs[0].clone().masked_fill_(xs[1], p["value"]),
    "copy_inplace": lambda xs, p: xs[0].clone().copy_(xs[1]),
    "fill_inplace": one_input(lambda x, p: x.clone().fill_(scalar(p["s"]))),
    "zero_inplace": one_input(lambda x, p: x.clone().zero_()),
}


class Rand:
    """Input drawn uniformly from [lo, hi) by the case's generator."""

    def __init__(self, *shape, lo=-2.0, hi=2.0, dtype="float32", grad=True, view=None):
        self.shape, self.lo, self.hi, self.dtype, self.grad, self.view = list(shape), lo, hi, dtype, grad, view or []

    def make(self, g):
        t = torch.rand(self.shape, generator=g, dtype=torch.float64) * (self.hi - self.lo) + self.lo
        if self.dtype == "int64":
            return t.floor().to(torch.int64)
        if self.dtype == "bool":
            return t > (self.lo + self.hi) / 2
        return t.to(DTYPES[self.dtype])


class Val:
    """Input with explicit values (a nested list, or flat with a shape)."""

    def __init__(self, values, shape=None, dtype="float32", grad=True, view=None):
        self.values, self.shape, self.dtype, self.grad, self.view = values, shape, dtype, grad, view or []

    def make(self, g):
        t = torch.tensor(self.values, dtype=DTYPES[self.dtype])
        return t if self.shape is None else t.reshape(self.shape)


def Idx(values, shape=None):
    return Val(values, shape, dtype="int64", grad=False)


def Mask(values, shape=None):
    return Val(values, shape, dtype="bool", grad=False)


def step(op, **params):
    """One view step applied to an input before the case's op."""
    return {"op": op, "params": params}


T01 = [step("transpose", dim0=0, dim1=1)]
TM = [step("transpose", dim0=-1, dim1=-2)]


def case(name, op, inputs, **params):
    return {"name": name, "op": op, "inputs": inputs, "params": params}


def f64(*shape, **kw):
    return Rand(*shape, dtype="float64", **kw)


def i64(*shape, lo=-5, hi=6, grad=False, **kw):
    return Rand(*shape, lo=lo, hi=hi, dtype="int64", grad=grad, **kw)


def bools(*shape, **kw):
    return Rand(*shape, dtype="bool", grad=False, **kw)


def nograd(*shape, **kw):
    return Rand(*shape, grad=False, **kw)


POS = dict(lo=0.25, hi=3.0)  # a range for log, sqrt, pow bases
NAN, INF = float("nan"), float("inf")

CASES = []

# Elementwise binary ops: broadcasting across ranks and size-1 dims, promotion.
for op in ["add", "sub", "mul", "div"]:
    CASES += [
        case(op + "/same_shape", op, [Rand(2, 3), Rand(2, 3, lo=0.5, hi=2.0)]),
        case(op + "/broadcast_rank", op, [Rand(2, 3, 4), Rand(4, lo=0.5, hi=2.0)]),
        case(op + "/broadcast_size1", op, [Rand(3, 1), Rand(1, 4, lo=0.5, hi=2.0)]),
        case(op + "/broadcast_both_3d", op, [Rand(2, 1, 4), Rand(3, 1, lo=-2.0, hi=-0.5)]),
        case(op + "/one_requires_grad", op, [nograd(2, 3), Rand(3, lo=0.5, hi=2.0)]),
        case(op + "/float32_float64", op, [Rand(2, 3), f64(2, 3, lo=0.5, hi=2.0)]),
        case(op + "/int64_float32", op, [i64(2, 3, lo=1), Rand(3, lo=0.5, hi=2.0)]),
        case(op + "/zerodim_float64_float32", op, [f64(lo=0.5, hi=2.0), Rand(2, 3, lo=0.5, hi=2.0)]),
        case(op + "/float32_zerodim", op, [Rand(2, 3), Rand(lo=0.5, hi=2.0)]),
        case(op + "/zerodim_int64_float32", op, [i64(lo=1), Rand(3, lo=0.5, hi=2.0)]),
        case(op + "/noncontiguous", op, [Rand(4, 3, view=T01), Rand(6, 4, lo=0.5, hi=2.0, view=[step("slice", dim=0, start=0, end=None, step=2)])]),
        case(op + "/float64", op, [f64(3, 4), f64(1, 4, lo=0.5, hi=2.0)]),
        case(op + "/int64", op, [i64(2, 3), i64(3, lo=1)]),
        case(op + "/int64_zerodim_float64", op, [i64(2, 3), f64(lo=1, hi=2, grad=False)]),
    ]
CASES += [
    case("add/bool", "add", [bools(2, 3), bools(2, 3)]),
    case("mul/bool", "mul", [bools(2, 3), bools(3)]),
    case("add/bool_int64", "add", [bools(2, 3), i64(3)]),
    case("div/int64_exact", "div", [Idx([6, -6, 7, 0]), Idx([3, 4, -2, 5])]),
    case("div/by_zero", "div", [Val([1.0, -1.0, 0.0]), Val([0.0, 0.0, 0.0], grad=False)]),
    case("div/int64_by_zero", "div", [Idx([1, -1, 0]), Idx([0, 0, 0])]),
    case("pow_tensor/same_shape", "pow_tensor", [Rand(2, 3, **POS), Rand(2, 3)]),
    case("pow_tensor/broadcast", "pow_tensor", [Rand(3, 1, **POS), Rand(4)]),
    case("pow_tensor/zero_base", "pow_tensor", [Val([0.0, 0.0, 0.0, 2.0]), Val([2.0, 0.0, -1.0, 0.5])]),
    case("pow_tensor/float64", "pow_tensor", [f64(2, 3, **POS), f64(2, 3)]),
    case("pow_tensor/base_only", "pow_tensor", [Rand(2, 3, **POS), nograd(2, 3)]),
    case("pow_tensor/exponent_only", "pow_tensor", [nograd(2, 3, **POS), Rand(3)]),
    case("pow_tensor/int64", "pow_tensor", [i64(2, 3), Idx([0, 1, 3])]),
    case("pow_tensor/float32_float64", "pow_tensor", [Rand(2, 3, **POS), f64(3)]),
]

# Scalar forms.
for op in ["add_scalar", "sub_scalar", "mul_scalar", "div_scalar"]:
    CASES += [
        case(op + "/float", op, [Rand(2, 3)], s=2.5),
        case(op + "/integral", op, [Rand(2, 3)], s=-3),
        case(op + "/float64", op, [f64(2, 3)], s=0.3),
        case(op + "/zerodim", op, [Rand()], s=1.5),
        case(op + "/int64_integral", op, [i64(2, 3)], s=2),
        case(op + "/int64_float", op, [i64(2, 3)], s=2.5),
        case(op + "/noncontiguous", op, [Rand(3, 2, view=T01)], s=0.75),
    ]
CASES += [
    case("add_scalar/bool", "add_scalar", [bools(4)], s=1),
    case("add_scalar/zerodim_int64_float", "add_scalar", [i64()], s=2.5),
    case("div_scalar/zero", "div_scalar", [Val([1.0, -1.0, 0.0])], s=0),
]
for s in [2, 3, 0.5, -1.5, 0, 1, -2]:
    CASES.append(case("pow/e=%s" % s, "pow", [Rand(2, 3, **POS)], s=s))
CASES += [
    case("pow/negative_base_square", "pow", [Rand(2, 3)], s=2),
    case("pow/negative_base_fraction", "pow", [Val([-1.0, 4.0])], s=0.5),
    case("pow/float64", "pow", [f64(2, 3, **POS)], s=1.7),
    case("pow/noncontiguous", "pow", [Rand(3, 2, view=T01)], s=3),
    case("pow/int64", "pow", [i64(2, 3)], s=2),
    case("pow/int64_float", "pow", [i64(2, 3, lo=0)], s=0.5),
]

# Unary ops.
for op, kw in [("neg", {}), ("abs", {}), ("exp", {}), ("log", POS), ("sqrt", POS), ("rsqrt", POS),
               ("sin", {}), ("cos", {}), ("tanh", {}), ("sigmoid", {}), ("relu", {}), ("gelu", {})]:
    big = dict(lo=-6.0, hi=6.0) if not kw else kw
    CASES += [
        case(op + "/float32", op, [Rand(2, 3, **kw)]),
        case(op + "/float64", op, [f64(3, 2, **big)]),
        case(op + "/noncontiguous", op, [Rand(4, 3, **big, view=T01)]),
        case(op + "/zerodim", op, [Rand(**kw)]),
    ]
CASES += [
    case("abs/zero", "abs", [Val([-1.5, 0.0, 2.0])]),
    case("relu/zero", "relu", [Val([-1.5, 0.0, 2.0])]),
    case("sign/float32", "sign", [Val([-1.5, 0.0, 2.0, NAN])]),
    case("sign/int64", "sign", [Idx([-3, 0, 4])]),
    case("sign/bool", "sign", [Mask([True, False])]),
    case("abs/nan", "abs", [Val([NAN, -1.0])]),
    case("log/nonpositive", "log", [Val([-1.0, 0.0, 1.0])]),
    case("sqrt/zero", "sqrt", [Val([0.0, 4.0])]),
    case("sigmoid/large", "sigmoid", [Val([-100.0, -20.0, 20.0, 100.0])]),
    case("tanh/large", "tanh", [Val([-30.0, 30.0])]),
    case("exp/inf", "exp", [Val([-INF, INF, NAN], grad=False)]),
    case("neg/int64", "neg", [i64(2, 3)]),
    case("abs/int64", "abs", [i64(2, 3)]),
    case("relu/int64", "relu", [i64(2, 3)]),
    case("exp/int64", "exp", [i64(2, 3)]),
    case("sqrt/int64", "sqrt", [i64(2, 3, lo=0)]),
    case("sigmoid/bool", "sigmoid", [bools(4)]),
    case("isnan/float32", "isnan", [Val([1.0, NAN, INF, -INF])]),
    case("isfinite/float32", "isfinite", [Val([1.0, NAN, INF, -INF])]),
    case("isfinite/int64", "isfinite", [i64(3)]),
]

# Clamp.
CASES += [
    case("clamp/both", "clamp", [Rand(3, 4)], lo=-0.5, hi=0.75),
    case("clamp/at_bounds", "clamp", [Val([-1.0, -0.5, 0.0, 0.5, 1.0])], lo=-0.5, hi=0.5),
    case("clamp/min_only", "clamp", [Rand(3, 4)], lo=0.1, hi=None),
    case("clamp/max_only", "clamp", [Rand(3, 4)], lo=None, hi=-0.2),
    case("clamp/float64", "clamp", [f64(3, 4)], lo=-1, hi=1),
    case("clamp/noncontiguous", "clamp", [Rand(4, 3, view=T01)], lo=-1, hi=0.5),
    case("clamp/nan", "clamp", [Val([NAN, 3.0], grad=False)], lo=0, hi=1),
    case("clamp/lo_above_hi", "clamp", [Val([-1.0, 0.5, 2.0])], lo=1, hi=0),
    case("clamp/int64", "clamp", [i64(2, 3)], lo=-2, hi=3),
    case("clamp/int64_float_bounds", "clamp", [i64(2, 3)], lo=-1.5, hi=2.5),
    case("clamp/int64_float_min_only", "clamp", [i64(2, 3)], lo=0.5, hi=None),
]

# Where and MaskedFill.
CASES += [
    case("where/same_shape", "where", [bools(2, 3), Rand(2, 3), Rand(2, 3)]),
    case("where/broadcast", "where", [bools(3, 1), Rand(4), Rand(2, 1, 1)]),
    case("where/float32_float64", "where", [bools(2, 3), Rand(2, 3), f64(2, 3)]),
    case("where/zerodim_other", "where", [bools(2, 3), Rand(2, 3), Val(0.0)]),
    case("where/int64_float32", "where", [bools(2, 3), i64(2, 3), Rand(3)]),
    case("where/int64", "where", [bools(2, 3), i64(2, 3), i64(2, 3)]),
    case("where/noncontiguous", "where", [bools(3, 2, view=T01), Rand(3, 2, view=T01), Rand(2, 3)]),
    case("masked_fill/same_shape", "masked_fill", [Rand(2, 3), bools(2, 3)], value=-1.5),
    case("masked_fill/broadcast", "masked_fill", [Rand(2, 3, 4), bools(3, 1)], value=0.0),
    case("masked_fill/float64", "masked_fill", [f64(3, 4), bools(4)], value=2.25),
    case("masked_fill/inf", "masked_fill", [Rand(2, 3), bools(2, 3)], value=-INF),
    case("masked_fill/noncontiguous", "masked_fill", [Rand(4, 3, view=T01), bools(3, 4)], value=7.0),
    case("masked_fill/int64", "masked_fill", [i64(2, 3), bools(2, 3)], value=9),
    case("masked_fill/bool", "masked_fill", [bools(2, 3), bools(2, 3)], value=1),
]

# Comparisons and logical ops: forward only.
CMP_A = Val([1.0, 2.0, NAN, 3.0, -INF, 0.0], [2, 3], grad=False)
CMP_B = Val([1.0, NAN, 2.0], grad=False)
for op in ["eq", "ne", "lt", "le", "gt", "ge"]:
    CASES += [
        case(op + "/float32", op, [CMP_A, CMP_B]),
        case(op + "/int64_float32", op, [Idx([1, 2, 3, 4, 5, 6], [2, 3]), Val([2.0, 2.5, 6.0], grad=False)]),
        case(op + "/int64", op, [i64(2, 3, lo=0, hi=3), i64(2, 1, lo=0, hi=3)]),
        case(op + "/bool", op, [Mask([True, False, True, False], [2, 2]), Mask([True, False], [2, 1])]),
        case(op + "/float64_float32", op, [f64(2, 3, grad=False), nograd(3)]),
        case(op + "/requires_grad", op, [Rand(2, 3), Rand(2, 3)]),
        case(op + "_scalar/float32", op + "_scalar", [CMP_A], s=1),
        case(op + "_scalar/float_scalar", op + "_scalar", [Val([0.5, 1.0, 1.5], grad=False)], s=1.0),
        case(op + "_scalar/int64_float_scalar", op + "_scalar", [Idx([1, 2, 3])], s=2.5),
        case(op + "_scalar/int64", op + "_scalar", [Idx([1, 2, 3])], s=2),
    ]
for op in ["logical_and", "logical_or", "logical_xor"]:
    CASES += [
        case(op + "/bool", op, [Mask([True, False, True, False], [2, 2]), Mask([True, False], [2, 1])]),
        case(op + "/float32_int64", op, [Val([0.0, 1.5, NAN, -2.0], grad=False), Idx([0, 0, 1, 1])]),
    ]
CASES += [
    case("logical_not/bool", "logical_not", [Mask([True, False])]),
    case("logical_not/float32", "logical_not", [Val([0.0, -0.0, 1.5, NAN], grad=False)]),
    case("logical_not/int64", "logical_not", [Idx([0, 3, -1])]),
]

# Reductions.
KD = [False, True]
CASES += [
    case("sum/float32", "sum", [Rand(3, 4)]),
    case("sum/float64", "sum", [f64(2, 3, 4)]),
    case("sum/noncontiguous", "sum", [Rand(4, 3, view=T01)]),
    case("sum/zerodim", "sum", [Rand()]),
    case("sum/int64", "sum", [i64(3, 4)]),
    case("sum/bool", "sum", [bools(3, 4)]),
    case("sum_dim/int64", "sum_dim", [i64(3, 4)], dim=1, keepdim=True),
    case("sum_dim/bool", "sum_dim", [bools(3, 4)], dim=0, keepdim=False),
    case("sum_dims/all", "sum_dims", [Rand(2, 3, 4)], dims=[], keepdim=False),
    case("sum_dims/int64", "sum_dims", [i64(2, 3, 4)], dims=[0, 2], keepdim=False),
    case("mean/float32", "mean", [Rand(3, 4)]),
    case("mean/float64", "mean", [f64(2, 3, 4)]),
    case("mean/noncontiguous", "mean", [Rand(4, 3, view=T01)]),
    case("prod/float32", "prod", [Rand(2, 3, lo=0.5, hi=1.5)]),
    case("prod/one_zero", "prod", [Val([[2.0, 0.0], [3.0, -1.5]])]),
    case("prod/two_zeros", "prod", [Val([2.0, 0.0, 3.0, 0.0])]),
    case("prod/float64", "prod", [f64(2, 3, lo=0.5, hi=1.5)]),
    case("prod/int64", "prod", [i64(2, 3, lo=1, hi=4)]),
    case("prod/bool", "prod", [bools(4)]),
    case("prod_dim/zeros", "prod_dim", [Val([[2.0, 0.0, 3.0], [0.0, 0.0, 1.0], [1.0, 2.0, -3.0]])], dim=1, keepdim=False),
    case("prod_dim/int64", "prod_dim", [i64(2, 3, lo=1, hi=4)], dim=0, keepdim=True),
    case("max/float32", "max", [Rand(3, 4)]),
    case("max/ties", "max", [Val([1.0, 3.0, 3.0, -2.0, 3.0])]),
    case("max/nan", "max", [Val([1.0, NAN, 3.0], grad=False)]),
    case("max/float64", "max", [f64(2, 3)]),
    case("max/noncontiguous", "max", [Rand(4, 3, view=T01)]),
    case("max/int64", "max", [i64(2, 3)]),
    case("max/bool", "max", [Mask([False, True])]),
    case("min/float32", "min", [Rand(3, 4)]),
    case("min/ties", "min", [Val([[1.0, -3.0], [-3.0, 2.0]])]),
    case("min/int64", "min", [i64(2, 3)]),
    case("argmax/float32", "argmax", [Rand(3, 4)]),
    case("argmax/noncontiguous", "argmax", [Rand(4, 3, view=T01)]),
    case("argmax/int64", "argmax", [Idx([3, 1, 4, 1, 5, 9, 2, 6])]),
    case("argmin/float32", "argmin", [Rand(3, 4)]),
    case("argmin/int64", "argmin", [Idx([3, 1, 4, 1, 5, 9, 2, 6])]),
    case("var/float32", "var", [Rand(3, 4)]),
    case("var/float64", "var", [f64(3, 4)]),
    case("std/float32", "std", [Rand(3, 4)]),
    case("std/float64", "std", [f64(3, 4)]),
    case("std/noncontiguous", "std", [Rand(4, 3, view=T01)]),
    case("logsumexp/large", "logsumexp", [Val([[1000.0, 1000.0], [-1000.0, 0.0]])], dim=1, keepdim=False),
    case("logsumexp/neg_inf", "logsumexp", [Val([-INF, -INF, 0.0, -INF], [2, 2], grad=False)], dim=1, keepdim=False),
    case("logsumexp/int64", "logsumexp", [i64(2, 3)], dim=1, keepdim=False),
    case("softmax/large", "softmax", [Val([[1000.0, 999.0, -1000.0], [0.0, 0.0, 0.0]])], dim=1),
    case("log_softmax/large", "log_softmax", [Val([[1000.0, 999.0, -1000.0], [0.0, 0.0, 0.0]])], dim=1),
]
for dim in [0, 1, -1]:
    for kd in KD:
        sfx = "/dim=%d/keepdim=%s" % (dim, kd)
        CASES += [
            case("sum_dim" + sfx, "sum_dim", [Rand(2, 3, 4)], dim=dim, keepdim=kd),
            case("mean_dim" + sfx, "mean_dim", [Rand(2, 3, 4)], dim=dim, keepdim=kd),
            case("prod_dim" + sfx, "prod_dim", [Rand(2, 3, 4, lo=0.5, hi=1.5)], dim=dim, keepdim=kd),
            case("max_dim" + sfx, "max_dim", [Rand(2, 3, 4)], dim=dim, keepdim=kd),
            case("min_dim" + sfx, "min_dim", [Rand(2, 3, 4)], dim=dim, keepdim=kd),
            case("argmax_dim" + sfx, "argmax_dim", [Rand(2, 3, 4)], dim=dim, keepdim=kd),
            case("argmin_dim" + sfx, "argmin_dim", [Rand(2, 3, 4)], dim=dim, keepdim=kd),
            case("logsumexp" + sfx, "logsumexp", [Rand(2, 3, 4)], dim=dim, keepdim=kd),
        ]
        for unbiased in [True, False]:
            sfx2 = sfx + "/unbiased=%s" % unbiased
            CASES += [
                case("var_dim" + sfx2, "var_dim", [Rand(2, 3, 4)], dim=dim, unbiased=unbiased, keepdim=kd),
                case("std_dim" + sfx2, "std_dim", [Rand(2, 3, 4)], dim=dim, unbiased=unbiased, keepdim=kd),
            ]
    CASES += [
        case("softmax/dim=%d" % dim, "softmax", [Rand(2, 3, 4)], dim=dim),
        case("log_softmax/dim=%d" % dim, "log_softmax", [Rand(2, 3, 4)], dim=dim),
    ]
CASES += [
    case("sum_dims/0_2", "sum_dims", [Rand(2, 3, 4)], dims=[0, 2], keepdim=False),
    case("sum_dims/keepdim", "sum_dims", [Rand(2, 3, 4)], dims=[-1, 0], keepdim=True),
    case("mean_dims/0_2", "mean_dims", [Rand(2, 3, 4)], dims=[0, 2], keepdim=True),
    case("mean_dims/all", "mean_dims", [f64(2, 3)], dims=[], keepdim=False),
    case("var_dims/0_2", "var_dims", [Rand(2, 3, 4)], dims=[0, 2], unbiased=True, keepdim=False),
    case("var_dims/biased_keepdim", "var_dims", [f64(2, 3, 4)], dims=[1, 2], unbiased=False, keepdim=True),
    case("std_dims/0_2", "std_dims", [Rand(2, 3, 4)], dims=[0, 2], unbiased=True, keepdim=True),
    case("std_dims/biased", "std_dims", [f64(2, 3, 4)], dims=[-1], unbiased=False, keepdim=False),
    case("sum_dim/noncontiguous", "sum_dim", [Rand(4, 3, 2, view=[step("permute", dims=[2, 0, 1])])], dim=1, keepdim=False),
    case("max_dim/noncontiguous", "max_dim", [Rand(4, 3, view=T01)], dim=1, keepdim=False),
    case("max_dim/int64", "max_dim", [i64(3, 4)], dim=1, keepdim=False),
    case("min_dim/int64", "min_dim", [i64(3, 4)], dim=0, keepdim=True),
    case("max_dim/float64", "max_dim", [f64(3, 4)], dim=0, keepdim=False),
    case("max_dim/nan", "max_dim", [Val([[1.0, NAN, 3.0], [4.0, 2.0, NAN]], grad=False)], dim=1, keepdim=False),
    case("min_dim/nan", "min_dim", [Val([[1.0, NAN, 3.0], [4.0, 2.0, -1.0]], grad=False)], dim=1, keepdim=False),
    case("var_dim/single_element", "var_dim", [Rand(3, 1)], dim=1, unbiased=True, keepdim=False),
    case("std/constant", "std", [Val([2.0, 2.0, 2.0])]),
    case("softmax/size1_dim", "softmax", [Rand(3, 1)], dim=1),
    case("var_dim/noncontiguous", "var_dim", [Rand(4, 3, view=T01)], dim=0, unbiased=True, keepdim=False),
    case("softmax/noncontiguous", "softmax", [Rand(4, 3, view=T01)], dim=1),
    case("softmax/float64", "softmax", [f64(3, 4)], dim=1),
    case("log_softmax/float64", "log_softmax", [f64(3, 4)], dim=0),
    case("log_softmax/noncontiguous", "log_softmax", [Rand(4, 3, view=T01)], dim=0),
    case("logsumexp/float64", "logsumexp", [f64(3, 4)], dim=1, keepdim=True),
]

# MatMul in all its cases.
CASES += [
    case("matmul/1d_1d", "matmul", [Rand(4), Rand(4)]),
    case("matmul/2d_1d", "matmul", [Rand(3, 4), Rand(4)]),
    case("matmul/1d_2d", "matmul", [Rand(3), Rand(3, 4)]),
    case("matmul/2d_2d", "matmul", [Rand(3, 4), Rand(4, 5)]),
    case("matmul/3d_3d", "matmul", [Rand(2, 3, 4), Rand(2, 4, 5)]),
    case("matmul/3d_3d_broadcast", "matmul", [Rand(1, 3, 4), Rand(2, 4, 5)]),
    case("matmul/3d_2d", "matmul", [Rand(2, 3, 4), Rand(4, 5)]),
    case("matmul/2d_3d", "matmul", [Rand(3, 4), Rand(2, 4, 5)]),
    case("matmul/3d_1d", "matmul", [Rand(2, 3, 4), Rand(4)]),
    case("matmul/1d_3d", "matmul", [Rand(4), Rand(2, 4, 5)]),
    case("matmul/4d_3d_broadcast", "matmul", [Rand(2, 1, 3, 4), Rand(3, 4, 2)]),
    case("matmul/4d_4d_broadcast", "matmul", [Rand(2, 1, 3, 4), Rand(1, 3, 4, 2)]),
    case("matmul/2d_4d", "matmul", [Rand(3, 4), Rand(2, 2, 4, 5)]),
    case("matmul/2d_3d_one_row", "matmul", [Rand(1, 4), Rand(2, 4, 5)]),
    case("matmul/2d_3d_one_column", "matmul", [Rand(3, 4), Rand(2, 4, 1)]),
    case("matmul/transposed_a", "matmul", [Rand(4, 3, view=T01), Rand(4, 5)]),
    case("matmul/transposed_b", "matmul", [Rand(3, 4), Rand(5, 4, view=T01)]),
    case("matmul/transposed_both", "matmul", [Rand(4, 3, view=T01), Rand(5, 4, view=T01)]),
    case("matmul/batch_transposed", "matmul", [Rand(2, 4, 3, view=TM), Rand(2, 5, 4, view=TM)]),
    case("matmul/strided_vector", "matmul", [Rand(3, 4), Rand(8, view=[step("slice", dim=0, start=0, end=None, step=2)])]),
    case("matmul/one_requires_grad", "matmul", [nograd(3, 4), Rand(4, 2)]),
    case("matmul/float64", "matmul", [f64(3, 4), f64(4, 2)]),
    case("matmul/float64_3d", "matmul", [f64(2, 3, 4), f64(4)]),
    case("matmul/int64", "matmul", [i64(2, 3), i64(3, 2)]),
]

# Cat, Stack, Split, Chunk.
CASES += [
    case("cat/dim0", "cat", [Rand(2, 3), Rand(1, 3), Rand(3, 3)], dim=0),
    case("cat/dim1", "cat", [Rand(2, 3), Rand(2, 1)], dim=1),
    case("cat/neg_dim", "cat", [Rand(2, 2, 3), Rand(2, 2, 1)], dim=-1),
    case("cat/one_requires_grad", "cat", [Rand(2, 3), nograd(2, 3)], dim=0),
    case("cat/float32_float64", "cat", [Rand(2, 3), f64(1, 3)], dim=0),
    case("cat/int64_float32", "cat", [i64(2, 3), Rand(2, 3)], dim=1),
    case("cat/int64", "cat", [i64(2, 3), i64(1, 3)], dim=0),
    case("cat/noncontiguous", "cat", [Rand(3, 2, view=T01), Rand(2, 2)], dim=1),
    case("cat/single", "cat", [Rand(2, 3)], dim=0),
    case("cat/empty_part", "cat", [Rand(2, 3), Rand(0, 3)], dim=0),
    case("stack/dim0", "stack", [Rand(2, 3), Rand(2, 3)], dim=0),
    case("stack/dim1", "stack", [Rand(2, 3), Rand(2, 3), Rand(2, 3)], dim=1),
    case("stack/neg_dim", "stack", [Rand(2, 3), Rand(2, 3)], dim=-1),
    case("stack/float32_float64", "stack", [Rand(3), f64(3)], dim=0),
    case("stack/noncontiguous", "stack", [Rand(3, 2, view=T01), Rand(2, 3)], dim=0),
    case("stack/int64", "stack", [i64(3), i64(3)], dim=0),
    case("split/even", "split", [Rand(4, 3)], size=2, dim=0),
    case("split/uneven", "split", [Rand(3, 5)], size=2, dim=1),
    case("split/neg_dim", "split", [Rand(2, 3, 4)], size=3, dim=-1),
    case("split/noncontiguous", "split", [Rand(5, 3, view=T01)], size=2, dim=1),
    case("split/larger_than_dim", "split", [Rand(2, 3)], size=5, dim=1),
    case("split_sizes/dim1", "split_sizes", [Rand(2, 6)], sizes=[1, 2, 3], dim=1),
    case("split_sizes/float64", "split_sizes", [f64(5, 2)], sizes=[3, 2], dim=0),
    case("chunk/even", "chunk", [Rand(4, 3)], n=2, dim=0),
    case("chunk/uneven", "chunk", [Rand(3, 5)], n=3, dim=1),
    case("chunk/fewer_pieces", "chunk", [Rand(4, 2)], n=3, dim=0),
    case("chunk/more_than_size", "chunk", [Rand(2, 3)], n=5, dim=0),
]

# Indexing.
CASES += [
    case("index_select/dim0", "index_select", [Rand(4, 3), Idx([2, 0])], dim=0),
    case("index_select/dim1_repeated", "index_select", [Rand(2, 4), Idx([1, 3, 1, 1])], dim=1),
    case("index_select/neg_dim", "index_select", [Rand(2, 3, 4), Idx([3, 0])], dim=-1),
    case("index_select/noncontiguous", "index_select", [Rand(4, 3, view=T01), Idx([3, 0, 2])], dim=1),
    case("index_select/float64", "index_select", [f64(3, 2), Idx([2, 2, 0])], dim=0),
    case("index_select/int64", "index_select", [i64(3, 2), Idx([1, 0])], dim=0),
    case("index_select/zerodim_index", "index_select", [Rand(3, 4), Idx(2)], dim=0),
    case("gather/dim0", "gather", [Rand(3, 4), Idx([[0, 1, 2, 0], [2, 2, 1, 0]])], dim=0),
    case("gather/dim1", "gather", [Rand(3, 4), Idx([[3, 0], [1, 1], [0, 2]])], dim=1),
    case("gather/smaller_index", "gather", [Rand(3, 4), Idx([[1], [0]])], dim=1),
    case("gather/noncontiguous", "gather", [Rand(4, 3, view=T01), Idx([[0, 3], [1, 1], [2, 0]])], dim=1),
    case("gather/float64_3d", "gather", [f64(2, 3, 2), Idx([[[1, 0]], [[2, 2]]])], dim=1),
    case("scatter/dim0", "scatter", [Rand(3, 4), Idx([[2, 0, 1, 0]]), Rand(1, 4)], dim=0),
    case("scatter/dim1", "scatter", [Rand(3, 4), Idx([[3, 1], [0, 2], [1, 0]]), Rand(3, 2)], dim=1),
    case("scatter/larger_src", "scatter", [Rand(3, 4), Idx([[1, 3], [2, 0]]), nograd(3, 5)], dim=1),
    case("scatter/self_only", "scatter", [Rand(3, 4), Idx([[1], [2], [0]]), nograd(3, 1)], dim=1),
    case("scatter/src_only", "scatter", [nograd(3, 4), Idx([[1], [2], [0]]), Rand(3, 1)], dim=1),
    case("scatter/float64", "scatter", [f64(2, 3), Idx([[1, 0, 1]]), f64(1, 3)], dim=0),
    case("scatter/int64", "scatter", [i64(2, 3), Idx([[1, 0, 1]]), i64(1, 3)], dim=0),
    case("scatter_add/dim0_duplicates", "scatter_add", [Rand(3, 4), Idx([[2, 0, 1, 0], [2, 2, 1, 0]]), Rand(2, 4)], dim=0),
    case("scatter_add/dim1", "scatter_add", [Rand(3, 4), Idx([[3, 3], [0, 2], [1, 1]]), Rand(3, 2)], dim=1),
    case("scatter_add/noncontiguous", "scatter_add", [Rand(4, 3, view=T01), Idx([[0, 0], [3, 3], [1, 2]]), Rand(2, 3, view=T01)], dim=1),
    case("scatter_add/float64", "scatter_add", [f64(2, 3), Idx([[1, 1, 0]]), f64(1, 3)], dim=0),
    case("scatter_add/int64", "scatter_add", [i64(2, 3), Idx([[1, 1, 0]]), i64(1, 3)], dim=0),
]

# Views, on contiguous and non-contiguous inputs, and copies.
NC = dict(view=[step("permute", dims=[2, 0, 1])])  # a (4, 2, 3) leaf seen as (3, 4, 2)
CASES += [
    case("reshape/contiguous", "reshape", [Rand(2, 3, 4)], shape=[6, 4]),
    case("reshape/infer", "reshape", [Rand(2, 3, 4)], shape=[-1, 3, 2]),
    case("reshape/noncontiguous_copy", "reshape", [Rand(4, 3, view=T01)], shape=[12]),
    case("reshape/noncontiguous_view", "reshape", [Rand(4, 2, 3, **NC)], shape=[3, 8]),
    case("reshape/to_zerodim", "reshape", [Rand(1, 1)], shape=[]),
    case("reshape/from_zerodim", "reshape", [Rand()], shape=[1, 1]),
    case("reshape/int64", "reshape", [i64(2, 3)], shape=[3, 2]),
    case("reshape/expanded_copy", "reshape", [Rand(3, 1, view=[step("expand", shape=[3, 4])])], shape=[12]),
    case("reshape/expanded_view", "reshape", [Rand(3, 1, view=[step("expand", shape=[3, 4])])], shape=[3, 2, 2]),
    case("view/contiguous", "view", [Rand(2, 3, 4)], shape=[4, -1]),
    case("view/noncontiguous", "view", [Rand(4, 2, 3, **NC)], shape=[3, 8]),
    case("view/split_dim", "view", [Rand(4, 3, view=T01)], shape=[3, 2, 2]),
    case("view/from_zerodim", "view", [Rand()], shape=[1, 1]),
    case("view/to_zerodim", "view", [Rand(1, 1, 1)], shape=[]),
    case("transpose/2d", "transpose", [Rand(2, 3)], dim0=0, dim1=1),
    case("transpose/3d_neg", "transpose", [Rand(2, 3, 4)], dim0=-1, dim1=0),
    case("transpose/noncontiguous", "transpose", [Rand(4, 2, 3, **NC)], dim0=1, dim1=2),
    case("transpose/same_dim", "transpose", [Rand(2, 3)], dim0=1, dim1=1),
    case("t/2d", "t", [Rand(2, 3)]),
    case("t/1d", "t", [Rand(3)]),
    case("t/noncontiguous", "t", [Rand(3, 2, view=T01)]),
    case("permute/3d", "permute", [Rand(2, 3, 4)], dims=[1, 2, 0]),
    case("permute/neg", "permute", [Rand(2, 3, 4)], dims=[-1, 0, 1]),
    case("permute/noncontiguous", "permute", [Rand(4, 2, 3, **NC)], dims=[2, 1, 0]),
    case("narrow/dim1", "narrow", [Rand(3, 5)], dim=1, start=1, length=3),
    case("narrow/neg_start", "narrow", [Rand(5, 2)], dim=0, start=-3, length=2),
    case("narrow/noncontiguous", "narrow", [Rand(4, 2, 3, **NC)], dim=1, start=2, length=2),
    case("slice/step2", "slice", [Rand(3, 7)], dim=1, start=1, end=6, step=2),
    case("slice/open_end", "slice", [Rand(5, 2)], dim=0, start=2, end=None, step=1),
    case("slice/negative_bounds", "slice", [Rand(2, 6)], dim=-1, start=-4, end=-1, step=1),
    case("slice/clamped", "slice", [Rand(2, 3)], dim=1, start=-10, end=10, step=2),
    case("slice/empty", "slice", [Rand(2, 3)], dim=1, start=2, end=1, step=1),
    case("slice/noncontiguous", "slice", [Rand(4, 2, 3, **NC)], dim=1, start=0, end=None, step=3),
    case("select/dim0", "select", [Rand(3, 4)], dim=0, index=1),
    case("select/neg", "select", [Rand(2, 3, 4)], dim=-1, index=-2),
    case("select/noncontiguous", "select", [Rand(4, 2, 3, **NC)], dim=2, index=1),
    case("select/to_zerodim", "select", [Rand(3)], dim=0, index=2),
    case("expand/size1", "expand", [Rand(3, 1)], shape=[3, 4]),
    case("expand/new_dims", "expand", [Rand(1, 3)], shape=[2, 4, -1]),
    case("expand/same_shape", "expand", [Rand(2, 3)], shape=[2, 3]),
    case("expand/zerodim", "expand", [Rand()], shape=[2, 2]),
    case("expand/noncontiguous", "expand", [Rand(3, 1, view=T01)], shape=[2, 3, 3]),
    case("squeeze/all", "squeeze", [Rand(1, 3, 1, 2)], dims=[]),
    case("squeeze/dim", "squeeze", [Rand(1, 3, 1, 2)], dims=[2]),
    case("squeeze/neg_dim", "squeeze", [Rand(1, 3, 1, 2)], dims=[-4]),
    case("squeeze/not_size1", "squeeze", [Rand(1, 3, 1, 2)], dims=[1]),
    case("squeeze/noop", "squeeze", [Rand(2, 3)], dims=[]),
    case("squeeze/noncontiguous", "squeeze", [Rand(3, 1, 2, view=[step("permute", dims=[1, 2, 0])])], dims=[]),
    case("unsqueeze/front", "unsqueeze", [Rand(2, 3)], dim=0),
    case("unsqueeze/middle", "unsqueeze", [Rand(2, 3)], dim=1),
    case("unsqueeze/end_neg", "unsqueeze", [Rand(2, 3)], dim=-1),
    case("unsqueeze/zerodim", "unsqueeze", [Rand()], dim=0),
    case("unsqueeze/noncontiguous", "unsqueeze", [Rand(3, 2, view=T01)], dim=1),
    case("flatten/all", "flatten", [Rand(2, 3, 4)], dims=[]),
    case("flatten/start", "flatten", [Rand(2, 3, 4)], dims=[1]),
    case("flatten/start_end", "flatten", [Rand(2, 3, 4, 2)], dims=[1, 2]),
    case("flatten/single_dim", "flatten", [Rand(2, 3, 4)], dims=[1, 1]),
    case("flatten/1d", "flatten", [Rand(5)], dims=[]),
    case("flatten/zerodim", "flatten", [Rand()], dims=[]),
    case("flatten/noncontiguous", "flatten", [Rand(4, 3, view=T01)], dims=[]),
    case("flatten/noncontiguous_view", "flatten", [Rand(4, 2, 3, **NC)], dims=[1]),
    case("clone/contiguous", "clone", [Rand(2, 3)]),
    case("clone/noncontiguous", "clone", [Rand(3, 2, view=T01)]),
    case("clone/int64", "clone", [i64(2, 3)]),
    case("contiguous/already", "contiguous", [Rand(2, 3)]),
    case("contiguous/noncontiguous", "contiguous", [Rand(4, 2, 3, **NC)]),
    case("to/float64", "to", [Rand(2, 3)], dtype="float64"),
    case("to/float32", "to", [f64(2, 3)], dtype="float32"),
    case("to/same", "to", [Rand(2, 3)], dtype="float32"),
    case("to/noncontiguous", "to", [Rand(3, 2, view=T01)], dtype="float64"),
    case("to/int64_truncates", "to", [Val([-1.7, -0.5, 0.5, 2.9])], dtype="int64"),
    case("to/bool", "to", [Val([0.0, -0.0, 0.5, NAN], grad=False)], dtype="bool"),
    case("to/int64_float32", "to", [Idx([-2, 0, 3])], dtype="float32"),
    case("to/bool_float64", "to", [Mask([True, False])], dtype="float64"),
    case("expand_as/broadcast", "expand_as", [Rand(3, 1), nograd(2, 3, 4)]),
]

# In-place ops.
CASES += [
    case("add_inplace/broadcast", "add_inplace", [Rand(2, 3), Rand(3)]),
    case("add_inplace/float64_other", "add_inplace", [Rand(2, 3), f64(2, 3)]),
    case("add_inplace/other_only", "add_inplace", [nograd(2, 3), Rand(2, 3)]),
    case("sub_inplace/broadcast", "sub_inplace", [Rand(2, 3), Rand(2, 1)]),
    case("mul_inplace/both", "mul_inplace", [Rand(2, 3), Rand(2, 3)]),
    case("mul_inplace/self_only", "mul_inplace", [Rand(2, 3), nograd(3)]),
    case("div_inplace/both", "div_inplace", [Rand(2, 3), Rand(2, 3, lo=0.5, hi=2.0)]),
    case("add_scalar_inplace/float32", "add_scalar_inplace", [Rand(2, 3)], s=1.5),
    case("mul_scalar_inplace/float32", "mul_scalar_inplace", [Rand(2, 3)], s=-2),
    case("clamp_inplace/float32", "clamp_inplace", [Rand(2, 3)], lo=-0.5, hi=0.5),
    case("relu_inplace/float32", "relu_inplace", [Rand(2, 3)]),
    case("masked_fill_inplace/float32", "masked_fill_inplace", [Rand(2, 3), bools(2, 3)], value=0.5),
    case("copy_inplace/same_shape", "copy_inplace", [Rand(2, 3), Rand(2, 3)]),
    case("copy_inplace/broadcast", "copy_inplace", [Rand(2, 3), Rand(3)]),
    case("copy_inplace/src_only", "copy_inplace", [nograd(2, 3), Rand(2, 3)]),
    case("copy_inplace/dst_only", "copy_inplace", [Rand(2, 3), nograd(3)]),
    case("copy_inplace/float64_src", "copy_inplace", [Rand(2, 3), f64(2, 3)]),
    case("fill_inplace/float32", "fill_inplace", [Rand(2, 3)], s=2.5),
    case("zero_inplace/float32", "zero_inplace", [Rand(2, 3)]),
]


def num(x):
    """A JSON-ready scalar: non-finite floats as strings (json writes floats with repr)."""
    if isinstance(x, float) and not math.isfinite(x):
        return "nan" if math.isnan(x) else ("inf" if x > 0 else "-inf")
    return x


def jsonable(x):
    if isinstance(x, dict):
        return {k: jsonable(v) for k, v in x.items()}
    if isinstance(x, list):
        return [jsonable(v) for v in x]
    return num(x)


def encode(t):
    """Row-major values of t as JSON scalars."""
    return [num(x) for x in t.detach().reshape(-1).tolist()]


def tensor_json(t):
    return {"values": encode(t), "shape": list(t.shape), "dtype": DTYPE_NAMES[t.dtype]}


def apply(op, xs, params):
    out = OPS[op](xs, params)
    return list(out) if isinstance(out, (tuple, list)) else [out]


def run(c):
    g = torch.Generator().manual_seed(zlib.crc32(c["name"].encode()))
    inputs, leaves, xs = [], [], []
    for spec in c["inputs"]:
        leaf = spec.make(g)
        assert leaf.dtype == DTYPES[spec.dtype]
        if spec.grad:
            leaf.requires_grad_()
        x = leaf
        for s in spec.view:
            (x,) = apply(s["op"], [x], s["params"])
        leaves.append(leaf)
        xs.append(x)
        inputs.append(dict(tensor_json(leaf), requires_grad=spec.grad, view=jsonable(spec.view)))
    outs = apply(c["op"], xs, c["params"])
    loss, outputs = None, []
    for o in outs:
        oj = dict(tensor_json(o), grad_fn=None if o.grad_fn is None else type(o.grad_fn).__name__)
        if o.requires_grad:
            w = torch.rand(o.shape, generator=g, dtype=torch.float64).mul(2).sub(1).to(o.dtype)
            oj["w"] = encode(w)
            term = (o * w).sum()
            loss = term if loss is None else loss + term
        outputs.append(oj)
    if loss is not None:
        loss.backward()
    grads = [None if l.grad is None else tensor_json(l.grad) for l in leaves]
    return {"name": c["name"], "op": c["op"], "params": jsonable(c["params"]), "inputs": inputs, "outputs": outputs, "grads": grads}


def main():
    torch.set_num_threads(1)
    names = [c["name"] for c in CASES]
    dup = {n for n in names if names.count(n) > 1}
    assert not dup, "duplicate case names: %s" % sorted(dup)
    unused = set(OPS) - {c["op"] for c in CASES}
    assert not unused, "ops without a case: %s" % sorted(unused)
    cases = []
    for c in CASES:
        try:
            cases.append(run(c))
        except Exception as e:
            raise RuntimeError("case %s: %s" % (c["name"], e)) from e
    with open(OUT, "w") as f:
        f.write('{"torch": %s, "cases": [\n' % json.dumps(torch.__version__))
        f.write(",\n".join(json.dumps(c, separators=(",", ":"), allow_nan=False) for c in cases))
        f.write("\n]}\n")
    print("wrote %d cases to %s" % (len(cases), OUT))


if __name__ == "__main__":
    main()
