"""Golden tensor reprs from PyTorch 1.13 for tensorlib's String().

Run from the repository root with Debian's torch:
    /usr/bin/python3 tools/golden/printing.py
It writes tensorlib/testdata/printing.json: a list of cases, each with the
tensor's dtype, shape and flat values, whether it requires grad, an optional
op applied to make a grad_fn ("mul1": x * 1), and torch's repr.
"""
import json
import math
import os

import torch

OUT = os.path.join("tensorlib", "testdata", "printing.json")
DTYPES = {torch.float32: "float32", torch.float64: "float64", torch.int64: "int64", torch.bool: "bool"}


def enc(v):
    """Encodes one element so float32 values round-trip exactly through JSON."""
    if isinstance(v, bool):
        return v
    if isinstance(v, float):
        if math.isnan(v):
            return "nan"
        if math.isinf(v):
            return "inf" if v > 0 else "-inf"
        return float(repr(v))
    return v


def case(name, t, requires_grad=False, op=None):
    src = t.detach().clone()
    shown = t
    if requires_grad:
        shown = t.detach().clone().requires_grad_(True)
        if op == "mul1":
            shown = shown * 1
    return {
        "name": name,
        "dtype": DTYPES[t.dtype],
        "shape": list(t.shape),
        "values": [enc(v) for v in src.reshape(-1).tolist()],
        "requires_grad": requires_grad,
        "op": op,
        "repr": repr(shown),
    }


def main():
    torch.manual_seed(0)
    cases = [
        case("scalar_int_valued", torch.tensor(3.0)),
        case("scalar_frac", torch.tensor(0.12345)),
        case("scalar_tiny", torch.tensor(1e-5)),
        case("scalar_huge", torch.tensor(1e10)),
        case("scalar_nan", torch.tensor(float("nan"))),
        case("scalar_neg_inf", torch.tensor(float("-inf"))),
        case("scalar_int64", torch.tensor(42)),
        case("scalar_bool", torch.tensor(True)),
        case("scalar_float64", torch.tensor(2.5, dtype=torch.float64)),
        case("vec_small", torch.tensor([1.0, 2.5, -3.25])),
        case("vec_randn", torch.randn(7)),
        case("vec_int_valued", torch.tensor([1.0, -20.0, 300.0])),
        case("vec_int_valued_sci", torch.tensor([1.0, 2e5])),
        case("vec_sci_small", torch.tensor([1e-5, 1.0])),
        case("vec_sci_big", torch.tensor([1e9, 1.5])),
        case("vec_ratio", torch.tensor([0.001, 2.0])),
        case("vec_zeros", torch.zeros(4)),
        case("vec_nan_inf", torch.tensor([1.5, float("nan"), float("inf"), -2.0])),
        case("vec_int_nan", torch.tensor([1.0, float("nan"), 2.0])),
        case("vec_neg_zero", torch.tensor([-0.0, 1.0])),
        case("vec_int64", torch.tensor([1, -22, 333])),
        case("vec_int64_big", torch.tensor([2**40, -5])),
        case("vec_bool", torch.tensor([True, False, True])),
        case("vec_float64", torch.tensor([0.1, 0.2], dtype=torch.float64)),
        case("vec_wrap", torch.randn(30)),
        case("vec_wrap_ints", torch.arange(40)),
        case("mat_walkthrough", (torch.randn(5, 1) * 10)),
        case("mat_2x3", torch.randn(2, 3)),
        case("mat_int", torch.arange(12).reshape(3, 4)),
        case("mat_bool", torch.randn(2, 3) > 0),
        case("cube", torch.randn(2, 3, 4)),
        case("hyper", torch.randn(2, 1, 2, 3)),
        case("wide_rows", torch.randn(3, 25)),
        case("sum_1001", torch.arange(1001, dtype=torch.float32)),
        case("sum_2d", torch.randn(40, 50)),
        case("sum_3d", torch.randn(10, 10, 11)),
        case("sum_int", torch.arange(2000).reshape(20, 100)),
        case("sum_short_rows", torch.randn(1000, 2)),
        case("empty_1d", torch.zeros(0)),
        case("empty_2d", torch.zeros(2, 0)),
        case("empty_int", torch.zeros(0, dtype=torch.int64)),
        case("empty_float64", torch.zeros(0, 3, dtype=torch.float64)),
        case("leaf_requires_grad", torch.tensor([[0.4801]]), requires_grad=True),
        case("grad_fn_scalar", torch.tensor(394.4556), requires_grad=True, op="mul1"),
        case("grad_fn_wrap", torch.randn(4, 9), requires_grad=True, op="mul1"),
        case("float64_grad_wrap", torch.randn(3, 8, dtype=torch.float64), requires_grad=True, op="mul1"),
        case("float64_suffix_wrap", torch.randn(2, 9, dtype=torch.float64), requires_grad=True),
    ]
    with open(OUT, "w") as f:
        json.dump({"torch": torch.__version__, "cases": cases}, f, indent=1)
        f.write("\n")


if __name__ == "__main__":
    main()
