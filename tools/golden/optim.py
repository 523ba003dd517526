"""Write tensorlib/optim/testdata/optim.json: optimizers, LR schedulers and
gradient clipping of torch 1.13.

Run from the repository root with Debian's torch:

    /usr/bin/python3 tools/golden/optim.py

The file has three lists.

optimizers  Each case builds parameters (shapes PARAM_SHAPES, values from a
            generator seeded by the case name), an optimizer (kind, defaults,
            optional parameter groups with their own hyper-parameters) and
            applies STEPS steps with fixed gradients (stored; null where a
            parameter has no gradient that step, so the step skips it). After
            every step it records every parameter and the per-parameter state
            (the tensors of state_dict()["state"], keyed by parameter index).
            It also records the whole state_dict() after SAVE_AT steps in the
            JSON layout of optim.StateDict (tensors as {dtype, shape, data}),
            so the Go side can load PyTorch's state and continue.
            The single-tensor (foreach=False) implementations are used.

schedulers  Each case builds an SGD or Adam optimizer with one or two groups,
            a scheduler (kind and arguments; SequentialLR and
            ChainedScheduler take a list of sub-schedulers), and records
            get_last_lr() after construction and after each of its steps
            (ReduceLROnPlateau steps with the stored metrics), plus each
            group's momentum (or beta1) for OneCycleLR.

clip        Gradients of a few tensors (null: no gradient), then
            clip_grad_norm_ (each gradient's torch.norm, the total norm
            and the clipped gradients) or clip_grad_value_.

Floats are written with repr() (float32 values exactly); NaN and infinities
as the strings "nan", "inf", "-inf".
"""

import json
import math
import os
import warnings
import zlib

import numpy as np
import torch

OUT = os.path.join("tensorlib", "optim", "testdata", "optim.json")
PARAM_SHAPES = [(4, 5), (3,), (2, 1, 3)]
STEPS = 20
SAVE_AT = 10
DTYPES = {"float32": torch.float32, "float64": torch.float64, "int64": torch.int64}
DTYPE_NAMES = {v: k for k, v in DTYPES.items()}


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


def num32(x):
    """A float32 value as its shortest decimal (parsed back as float32)."""
    if math.isnan(x) or math.isinf(x):
        return num(x)
    return float(repr(np.float32(x)))


def tensor_json(t):
    """A tensor as optim.StateDict's JSON writes it."""
    conv = num32 if t.dtype == torch.float32 else num
    return {"dtype": DTYPE_NAMES[t.dtype], "shape": list(t.shape),
            "data": [conv(v) for v in t.detach().reshape(-1).tolist()]}


def state_value_json(v):
    if v is None:
        return None
    if isinstance(v, torch.Tensor):
        return tensor_json(v)
    if isinstance(v, int):  # RMSprop's step
        return tensor_json(torch.tensor(v, dtype=torch.int64))
    raise TypeError(type(v))


def hyper_json(v):
    if isinstance(v, tuple):
        return [num(x) for x in v]
    if v is None:
        return None
    return num(v)


def state_dict_json(opt):
    sd = opt.state_dict()
    return {
        "state": {str(k): {name: state_value_json(val) for name, val in s.items()}
                  for k, s in sd["state"].items()},
        "param_groups": [{k: (v if k == "params" else hyper_json(v)) for k, v in g.items()}
                         for g in sd["param_groups"]],
    }


def gen(name):
    return torch.Generator().manual_seed(zlib.crc32(name.encode()))


# ---------------------------------------------------------------- optimizers

OPTIMIZERS = {
    "sgd": torch.optim.SGD,
    "adam": torch.optim.Adam,
    "adamw": torch.optim.AdamW,
    "rmsprop": torch.optim.RMSprop,
    "adagrad": torch.optim.Adagrad,
}


def ocase(name, kind, defaults, groups=None, dtype="float32", skips=((1, 4), (1, 11), (2, 7))):
    """groups: list of (param indices, hyper overrides); None: one group."""
    return {"name": name, "kind": kind, "defaults": defaults, "groups": groups,
            "dtype": dtype, "skips": [list(s) for s in skips]}


OPT_CASES = [
    ocase("sgd_plain", "sgd", {"lr": 0.1}),
    ocase("sgd_momentum", "sgd", {"lr": 0.05, "momentum": 0.9}),
    ocase("sgd_nesterov_wd", "sgd", {"lr": 0.05, "momentum": 0.9, "nesterov": True, "weight_decay": 0.01}),
    ocase("sgd_dampening_maximize", "sgd", {"lr": 0.03, "momentum": 0.8, "dampening": 0.3, "maximize": True}),
    ocase("sgd_wd_nomomentum", "sgd", {"lr": 0.07, "weight_decay": 0.1}),
    ocase("sgd_groups", "sgd", {"lr": 0.1, "momentum": 0.9, "weight_decay": 1e-3},
          groups=[([0], {}), ([1, 2], {"lr": 0.01, "weight_decay": 0.0, "nesterov": True})]),
    ocase("sgd_momentum_float64", "sgd", {"lr": 0.05, "momentum": 0.9, "weight_decay": 0.01}, dtype="float64"),
    ocase("adam_default", "adam", {}),
    ocase("adam_lr", "adam", {"lr": 0.05}),
    ocase("adam_amsgrad_wd", "adam", {"lr": 0.01, "betas": (0.8, 0.99), "weight_decay": 0.1, "amsgrad": True}),
    ocase("adam_maximize_eps", "adam", {"lr": 0.02, "eps": 1e-3, "maximize": True}),
    ocase("adam_groups", "adam", {"lr": 0.01},
          groups=[([0, 2], {"amsgrad": True}), ([1], {"lr": 0.1, "betas": (0.5, 0.9)})]),
    ocase("adam_float64", "adam", {"lr": 0.01, "amsgrad": True}, dtype="float64"),
    ocase("adamw_default", "adamw", {}),
    ocase("adamw_amsgrad", "adamw", {"lr": 0.01, "weight_decay": 0.1, "amsgrad": True}),
    ocase("adamw_maximize", "adamw", {"lr": 0.03, "betas": (0.7, 0.95), "maximize": True}),
    ocase("adamw_groups", "adamw", {"lr": 0.01, "weight_decay": 0.05},
          groups=[([0], {}), ([1, 2], {"weight_decay": 0.0})]),
    ocase("rmsprop_default", "rmsprop", {}),
    ocase("rmsprop_centered_momentum", "rmsprop",
          {"lr": 0.01, "alpha": 0.9, "momentum": 0.9, "centered": True, "weight_decay": 0.01}),
    ocase("rmsprop_momentum_maximize", "rmsprop", {"lr": 0.005, "momentum": 0.5, "eps": 1e-4, "maximize": True}),
    ocase("rmsprop_centered", "rmsprop", {"lr": 0.02, "centered": True}),
    ocase("adagrad_default", "adagrad", {}),
    ocase("adagrad_decay", "adagrad",
          {"lr": 0.1, "lr_decay": 0.01, "weight_decay": 0.05, "initial_accumulator_value": 0.1, "eps": 1e-8}),
    ocase("adagrad_maximize", "adagrad", {"lr": 0.05, "maximize": True}),
]


def run_optimizer(c):
    g = gen(c["name"])
    dt = DTYPES[c["dtype"]]
    params = [torch.randn(s, generator=g, dtype=torch.float64).to(dt).requires_grad_() for s in PARAM_SHAPES]
    init = [tensor_json(p) for p in params]
    cls = OPTIMIZERS[c["kind"]]
    defaults = dict(c["defaults"], foreach=False)
    if c["groups"] is None:
        opt = cls(params, **defaults)
    else:
        groups = [dict(over, params=[params[i] for i in idx]) for idx, over in c["groups"]]
        opt = cls(groups, **defaults)
    skips = {tuple(s) for s in c["skips"]}
    grads_out, steps, saved = [], [], None
    for step in range(STEPS):
        scale = 1.0 + (step % 3)
        row = []
        for i, p in enumerate(params):
            gr = (torch.randn(p.shape, generator=g, dtype=torch.float64) * scale).to(dt)
            if (i, step) in skips:
                p.grad = None
                row.append(None)
            else:
                p.grad = gr.clone()
                row.append(tensor_json(gr))
        grads_out.append(row)
        opt.step()
        sd = state_dict_json(opt)
        steps.append({"params": [tensor_json(p) for p in params], "state": sd["state"]})
        if step + 1 == SAVE_AT:
            saved = sd
    out = dict(c)
    out["groups"] = [{"params": idx, "hyper": {k: hyper_json(v) for k, v in over.items()}}
                     for idx, over in c["groups"]] if c["groups"] is not None else None
    out["defaults"] = {k: hyper_json(v) for k, v in c["defaults"].items()}
    out.update({"params": init, "grads": grads_out, "steps": steps, "save_at": SAVE_AT, "state_dict": saved})
    return out


# ---------------------------------------------------------------- schedulers

S = torch.optim.lr_scheduler


def make_sched(opt, spec):
    kind, args = spec["kind"], spec.get("args", {})
    if kind == "step":
        return S.StepLR(opt, **args)
    if kind == "multistep":
        return S.MultiStepLR(opt, **args)
    if kind == "exponential":
        return S.ExponentialLR(opt, **args)
    if kind == "cosine":
        return S.CosineAnnealingLR(opt, **args)
    if kind == "linear":
        return S.LinearLR(opt, **args)
    if kind == "constant":
        return S.ConstantLR(opt, **args)
    if kind == "polynomial":
        return S.PolynomialLR(opt, **args)
    if kind == "lambda_pow":  # lr_lambda = epoch -> base ** epoch
        b = args["base"]
        return S.LambdaLR(opt, lambda e: b ** e)
    if kind == "onecycle":
        return S.OneCycleLR(opt, **args)
    if kind == "plateau":
        return S.ReduceLROnPlateau(opt, **args)
    if kind == "sequential":
        subs = [make_sched(opt, s) for s in spec["schedulers"]]
        return S.SequentialLR(opt, subs, milestones=args["milestones"])
    if kind == "chained":
        subs = [make_sched(opt, s) for s in spec["schedulers"]]
        return S.ChainedScheduler(subs)
    raise ValueError(kind)


def scase(name, sched, steps=120, opt="sgd", lrs=(0.1, 0.01), momentum=0.9, metrics=None):
    return {"name": name, "scheduler": sched, "steps": steps, "optimizer": opt,
            "lrs": list(lrs), "momentum": momentum, "metrics": metrics}


def sch(kind, **args):
    return {"kind": kind, "args": args}


def plateau_metrics(name, n):
    g = gen(name)
    out, v = [], 10.0
    for i in range(n):
        r = float(torch.rand(1, generator=g, dtype=torch.float64))
        if i % 17 < 9:
            v = v * (0.9 + 0.08 * r)
        else:
            v = v * (1.0 + 0.02 * (r - 0.3))
        out.append(v)
    return out


SCHED_CASES = [
    scase("step", sch("step", step_size=7, gamma=0.5)),
    scase("step_default_gamma", sch("step", step_size=30), lrs=(0.1,)),
    scase("multistep", sch("multistep", milestones=[10, 30, 30, 80], gamma=0.3)),
    scase("exponential", sch("exponential", gamma=0.97), steps=150),
    scase("cosine", sch("cosine", T_max=30, eta_min=0.001)),
    scase("cosine_long", sch("cosine", T_max=100), steps=110, lrs=(0.5,)),
    scase("linear_warmup", sch("linear", start_factor=0.1, end_factor=1.0, total_iters=10)),
    scase("linear_decay", sch("linear", start_factor=1.0, end_factor=0.0, total_iters=50), steps=100),
    scase("constant", sch("constant", factor=0.5, total_iters=4), steps=100),
    scase("polynomial", sch("polynomial", total_iters=40, power=2.0), steps=100),
    scase("lambda", sch("lambda_pow", base=0.95), steps=100),
    scase("onecycle_cos", sch("onecycle", max_lr=0.5, total_steps=100), steps=99),
    scase("onecycle_linear_three_phase_adam",
          sch("onecycle", max_lr=[0.02, 0.01], total_steps=120, pct_start=0.25, anneal_strategy="linear",
              three_phase=True), steps=119, opt="adam"),
    scase("onecycle_no_momentum", sch("onecycle", max_lr=1.0, total_steps=110, div_factor=10.0,
                                      final_div_factor=100.0, cycle_momentum=False, pct_start=0.4),
          steps=109, lrs=(0.3,)),
    scase("onecycle_three_phase_cos", sch("onecycle", max_lr=0.3, total_steps=101, three_phase=True,
                                          base_momentum=0.8, max_momentum=0.9), steps=100),
    scase("plateau_min_rel", sch("plateau", mode="min", factor=0.5, patience=3, cooldown=2, min_lr=1e-3),
          steps=150, metrics="plateau_min_rel"),
    scase("plateau_max_abs", sch("plateau", mode="max", factor=0.7, patience=0, threshold=0.01,
                                 threshold_mode="abs", min_lr=[0.0, 0.002]),
          steps=150, metrics="plateau_max_abs"),
    scase("plateau_min_abs_default", sch("plateau", threshold_mode="abs"), steps=150, metrics="plateau_min_abs"),
    scase("plateau_max_rel", sch("plateau", mode="max", patience=5, threshold=0.05, eps=1e-3), steps=150,
          metrics="plateau_max_rel"),
    scase("sequential_warmup_cosine",
          {"kind": "sequential", "args": {"milestones": [5]},
           "schedulers": [sch("linear", start_factor=0.01, end_factor=1.0, total_iters=5),
                          sch("cosine", T_max=95, eta_min=1e-4)]}),
    scase("sequential_three",
          {"kind": "sequential", "args": {"milestones": [10, 40]},
           "schedulers": [sch("constant", factor=0.25, total_iters=6),
                          sch("exponential", gamma=0.95),
                          sch("step", step_size=15, gamma=0.5)]}),
    scase("sequential_warmup_onecycle",
          {"kind": "sequential", "args": {"milestones": [8]},
           "schedulers": [sch("linear", start_factor=0.1, total_iters=8),
                          sch("onecycle", max_lr=0.4, total_steps=120)]}, steps=119),
    scase("chained",
          {"kind": "chained", "schedulers": [sch("constant", factor=0.1, total_iters=3),
                                             sch("exponential", gamma=0.9)]}, steps=100),
]


def run_scheduler(c):
    params = [torch.zeros(2, requires_grad=True), torch.zeros(3, requires_grad=True)][:len(c["lrs"])]
    groups = [{"params": [p], "lr": lr} for p, lr in zip(params, c["lrs"])]
    if c["optimizer"] == "sgd":
        opt = torch.optim.SGD(groups, lr=c["lrs"][0], momentum=c["momentum"])
    else:
        opt = torch.optim.Adam(groups, lr=c["lrs"][0])
    sched = make_sched(opt, c["scheduler"])
    metrics = plateau_metrics(c["metrics"], c["steps"]) if c["metrics"] else None

    def momenta():
        return [g["betas"][0] if "betas" in g else g["momentum"] for g in opt.param_groups]

    if isinstance(sched, S.ReduceLROnPlateau):
        lrs = [[g["lr"] for g in opt.param_groups]]
    else:
        lrs = [list(sched.get_last_lr())]
    moms = [momenta()]
    for i in range(c["steps"]):
        opt.step()
        if metrics is not None:
            sched.step(metrics[i])
        else:
            sched.step()
        lrs.append(list(sched._last_lr if metrics is not None else sched.get_last_lr()))
        moms.append(momenta())
    out = dict(c)
    out.update({"metrics": metrics, "lr_history": lrs, "momentum_history": moms})
    return out


# ---------------------------------------------------------------------- clip

CLIP_SHAPES = [(4, 5), (3,), (2, 1, 3), (37,), (8,), (16, 3)]


def ccase(name, kind, shapes=CLIP_SHAPES, none=(), max_norm=1.0, norm_type=2.0, clip=0.5, dtype="float32",
          scale=1.0):
    return {"name": name, "kind": kind, "shapes": [list(s) for s in shapes], "none": list(none),
            "max_norm": max_norm, "norm_type": norm_type, "clip": clip, "dtype": dtype, "scale": scale}


CLIP_CASES = [
    ccase("norm2_clipped", "norm"),
    ccase("norm2_unclipped", "norm", max_norm=1000.0),
    ccase("norm2_none", "norm", none=[1, 4], max_norm=2.5),
    ccase("norm2_sizes", "norm", shapes=[(n,) for n in range(1, 80)] + [(100,), (64, 9)], max_norm=3.0),
    ccase("norm2_sizes_again", "norm", shapes=[(n,) for n in range(1, 80)], max_norm=3.0, scale=37.0),
    ccase("norm2_large_values", "norm", scale=1e3, max_norm=5.0),
    ccase("norm2_many", "norm", shapes=[(3, 3)] * 11 + [(5,)] * 7, max_norm=0.5),
    ccase("norm1", "norm", norm_type=1.0, max_norm=4.0),
    ccase("norm3", "norm", norm_type=3.0, max_norm=2.0),
    ccase("norm_inf", "norm", norm_type=math.inf, max_norm=0.5),
    ccase("norm_inf_single", "norm", shapes=[(4, 5)], norm_type=math.inf, max_norm=0.5),
    ccase("norm2_float64", "norm", dtype="float64", max_norm=1.5),
    ccase("norm_half_p", "norm", norm_type=0.5, max_norm=50.0),
    ccase("value", "value", clip=0.5),
    ccase("value_none", "value", none=[0], clip=1.25),
]


def run_clip(c):
    g = gen(c["name"])
    dt = DTYPES[c["dtype"]]
    params, grads = [], []
    for i, s in enumerate(c["shapes"]):
        p = torch.zeros(s, dtype=dt, requires_grad=True)
        gr = (torch.randn(s, generator=g, dtype=torch.float64) * c["scale"]).to(dt)
        if i not in c["none"]:
            p.grad = gr.clone()
            grads.append(tensor_json(gr))
        else:
            grads.append(None)
        params.append(p)
    out = dict(c)
    out["norm_type"] = num(c["norm_type"])
    conv = num32 if dt == torch.float32 else num
    # Each gradient's own norm, the first stage of clip_grad_norm_.
    out["norms"] = [conv(torch.norm(p.grad, c["norm_type"]).item()) if p.grad is not None else None
                    for p in params] if c["kind"] == "norm" else None
    if c["kind"] == "norm":
        total = torch.nn.utils.clip_grad_norm_(params, c["max_norm"], c["norm_type"])
        out["total_norm"] = (num32 if dt == torch.float32 else num)(total.item())
    else:
        torch.nn.utils.clip_grad_value_(params, c["clip"])
    out["grads"] = grads
    out["clipped"] = [tensor_json(p.grad) if p.grad is not None else None for p in params]
    return out


def main():
    torch.set_num_threads(1)
    # SequentialLR steps its schedulers with an epoch at milestones.
    warnings.filterwarnings("ignore", category=UserWarning, module="torch.optim.lr_scheduler")
    for cases in (OPT_CASES, SCHED_CASES, CLIP_CASES):
        names = [c["name"] for c in cases]
        assert len(names) == len(set(names)), "duplicate case names"
    doc = {
        "torch": torch.__version__,
        "optimizers": [run_optimizer(c) for c in OPT_CASES],
        "schedulers": [run_scheduler(c) for c in SCHED_CASES],
        "clip": [run_clip(c) for c in CLIP_CASES],
    }
    os.makedirs(os.path.dirname(OUT), exist_ok=True)
    with open(OUT, "w") as f:
        f.write('{"torch": %s,\n' % json.dumps(doc["torch"]))
        for i, key in enumerate(("optimizers", "schedulers", "clip")):
            f.write('"%s": [\n' % key)
            f.write(",\n".join(json.dumps(c, separators=(",", ":"), allow_nan=False) for c in doc[key]))
            f.write("\n]%s\n" % ("," if i < 2 else ""))
        f.write("}\n")


if __name__ == "__main__":
    main()
