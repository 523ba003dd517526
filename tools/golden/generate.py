"""Regenerates every golden file from PyTorch 1.13 (Debian python3-torch).

Run from the repository root: /usr/bin/python3 tools/golden/generate.py
(or `make golden`). Each module writes its own JSON under */testdata/.
"""
import importlib
import os
import sys

MODULES = ["rng", "ops", "printing", "graph", "data", "checkpoints", "optim", "nn_b", "nn_a"]


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    sys.path.insert(0, here)
    for name in MODULES:
        if not os.path.exists(os.path.join(here, name + ".py")):
            continue
        print("golden:", name)
        importlib.import_module(name).main()


if __name__ == "__main__":
    main()
