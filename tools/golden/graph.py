"""Write tensorlib/testdata/graph.json: autograd graphs of torch 1.13.

Run from the repository root with Debian's torch:

    /usr/bin/python3 tools/golden/graph.py

Each case builds a small model from explicit leaves (their values are written
out, so the Go test needs no RNG), runs it, and records:

  leaves  name, shape and values of every leaf (requires_grad as given)
  loss    the scalar output's value
  nodes   the graph behind the loss, in depth-first preorder from the loss's
          grad_fn following next_functions in order: each node's name and the
          preorder ids of its next functions (null for None); a node reached
          twice keeps its first id, so a shared sub-graph appears once
  grads   the gradient of every leaf that requires grad after backward()

Anomaly cases record the message of torch.autograd.detect_anomaly's error.
Floats are written with repr(); NaN and infinities as "nan", "inf", "-inf".
"""

import json
import math
import os
import warnings

import torch

OUT = os.path.join("tensorlib", "testdata", "graph.json")


def enc(v):
    v = float(v)
    if math.isnan(v):
        return "nan"
    if math.isinf(v):
        return "inf" if v > 0 else "-inf"
    return repr(v)


def tensor_json(t):
    return {"shape": list(t.shape), "values": [enc(v) for v in t.detach().reshape(-1).tolist()]}


def walk(root):
    ids, nodes = {}, []

    def visit(fn):
        if fn in ids:
            return ids[fn]
        ids[fn] = len(nodes)
        entry = {"name": type(fn).__name__, "next": []}
        nodes.append(entry)
        for nxt, _ in fn.next_functions:
            entry["next"].append(None if nxt is None else visit(nxt))
        return ids[fn]

    visit(root)
    return nodes


def linear(x, w, b):
    # gt's nn.Linear composes MatMul and Add (MmBackward0, AddBackward0).
    return x.matmul(w.t()).add(b)


def walkthrough(p):
    x, y = p["x"], p["y"]
    return linear(x, p["linear.weight"], p["linear.bias"]).sub(y).pow(2).mean()


def mlp_shared(p):
    # h feeds both the second layer and an activation penalty: a shared sub-graph.
    h = linear(p["x"], p["l1.weight"], p["l1.bias"]).relu()
    out = linear(h, p["l2.weight"], p["l2.bias"])
    return out.sub(p["y"]).pow(2).mean().add(h.pow(2).sum().mul(0.01))


def tied(p):
    # The same layer applied twice: its weight and bias are shared leaves.
    w, b = p["l.weight"], p["l.bias"]
    h = linear(p["x"], w, b).tanh()
    return linear(h, w, b).sigmoid().mul(h).sum()


CASES = [
    ("walkthrough", walkthrough, [("x", (4, 3), False), ("y", (4, 1), False),
                                  ("linear.weight", (1, 3), True), ("linear.bias", (1,), True)]),
    ("mlp_shared", mlp_shared, [("x", (5, 4), False), ("y", (5, 2), False),
                                ("l1.weight", (8, 4), True), ("l1.bias", (8,), True),
                                ("l2.weight", (2, 8), True), ("l2.bias", (2,), True)]),
    ("tied", tied, [("x", (3, 4), False), ("l.weight", (4, 4), True), ("l.bias", (4,), True)]),
]


def run_case(name, fn, specs, seed):
    g = torch.Generator().manual_seed(seed)
    params = {}
    leaves = []
    for lname, shape, rg in specs:
        t = torch.randn(shape, generator=g).requires_grad_(rg)
        params[lname] = t
        leaves.append({"name": lname, "requires_grad": rg, **tensor_json(t)})
    loss = fn(params)
    nodes = walk(loss.grad_fn)
    loss.backward()
    grads = {lname: tensor_json(params[lname].grad) for lname, _, rg in specs if rg}
    return {"name": name, "leaves": leaves, "loss": enc(loss.item()), "nodes": nodes, "grads": grads}


def anomaly_message(f):
    warnings.simplefilter("ignore")
    try:
        with torch.autograd.detect_anomaly():
            f()
    except RuntimeError as e:
        return str(e).split("\n")[0]
    return None


def anomaly_cases():
    def sqrt_zero():
        x = torch.tensor([0.0, 4.0], requires_grad=True)
        x.sqrt().mul(0).sum().backward()

    def pow_half_zero():
        x = torch.tensor([4.0, 0.0], requires_grad=True)
        x.pow(0.5).mul(0).sum().backward()

    return [
        {"name": "sqrt_zero_backward", "message": anomaly_message(sqrt_zero)},
        {"name": "pow_half_zero_backward", "message": anomaly_message(pow_half_zero)},
    ]


def main():
    torch.set_num_threads(1)
    cases = [run_case(name, fn, specs, seed) for seed, (name, fn, specs) in enumerate(CASES)]
    out = {"torch": torch.__version__, "cases": cases, "anomaly": anomaly_cases()}
    with open(OUT, "w") as f:
        json.dump(out, f, indent=1, allow_nan=False)
        f.write("\n")
    print("wrote %d graph cases to %s" % (len(cases), OUT))


if __name__ == "__main__":
    main()
