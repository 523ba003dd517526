"""Write tensorlib/data/testdata/: golden files for the data package.

Run from the repository root with Debian's torch:

    /usr/bin/python3 tools/golden/data.py

data.json holds
  splits   torch.utils.data.random_split(range(n), lengths, generator) for an
           explicit torch.Generator().manual_seed(seed) ("explicit") or the
           default generator after torch.manual_seed(seed) ("global"), as the
           index lists of the subsets; "after" is torch.rand(3) drawn from the
           same generator afterwards (float32, shortest repr).
  loaders  DataLoader(TensorDataset(arange(n)), batch_size, shuffle, drop_last,
           generator) iterated for two epochs: the batches of indices, len(),
           and "after", torch.rand(3) from the generator the loader used
           (explicit or the default one), to pin down how much of the stream
           an epoch consumes (the base seed each iterator draws, the sampler's
           seed or permutation).
  idx      small IDX files of every element type (written under testdata/idx/,
           some gzipped) with their expected dtype, shape and values.
  mnist    the expected contents of testdata/mnist/ (a tiny MNIST-shaped
           dataset in the original file names, train gzipped, test plain):
           images as float32 /255 (shortest repr) and int64 labels.

Gzip files are written with mtime=0 so the output is deterministic.
"""

import gzip
import json
import math
import os
import struct

import torch
from torch.utils.data import DataLoader, TensorDataset, random_split

OUT_DIR = os.path.join("tensorlib", "data", "testdata")


def f32_shortest(x):
    """The shortest decimal that rounds to the float32 x (x is a Python float)."""
    if not math.isfinite(x):
        return "nan" if math.isnan(x) else ("inf" if x > 0 else "-inf")
    for digits in range(1, 10):
        s = "%.*g" % (digits, x)
        if struct.unpack("<f", struct.pack("<f", float(s)))[0] == x:
            return float(s)
    raise AssertionError(x)


def after(gen):
    return [f32_shortest(v) for v in torch.rand(3, generator=gen).tolist()]


SPLITS = [
    # n, lengths, seed
    (10, [3, 7], 42),
    (10, [3, 7], 0),
    (30, [10, 10, 10], 1),
    (100, [80, 20], 42),
    (1, [1, 0], 5),
    (1000, [500, 300, 200], 123456789),
]


def split_cases():
    out = []
    for n, lengths, seed in SPLITS:
        for mode in ("explicit", "global"):
            if mode == "explicit":
                g = torch.Generator().manual_seed(seed)
                parts = random_split(range(n), lengths, generator=g)
            else:
                torch.manual_seed(seed)
                g = torch.default_generator
                parts = random_split(range(n), lengths)
            out.append({
                "n": n, "lengths": lengths, "seed": seed, "mode": mode,
                "subsets": [list(p.indices) for p in parts],
                "after": after(g),
            })
    return out


LOADERS = [
    # n, batch_size, shuffle, drop_last, seed
    (10, 3, True, False, 42),
    (10, 3, True, True, 42),
    (10, 5, True, False, 0),
    (7, 1, True, False, 7),
    (64, 16, True, False, 2**32 + 3),
    (100, 32, True, True, 1),
    (10, 4, False, False, 3),
    (10, 4, False, True, 3),
    (5, 10, True, False, 11),
    (5, 10, True, True, 11),
]


def loader_cases():
    out = []
    for n, bs, shuffle, drop_last, seed in LOADERS:
        for mode in ("explicit", "global"):
            ds = TensorDataset(torch.arange(n))
            if mode == "explicit":
                g = torch.Generator().manual_seed(seed)
                loader = DataLoader(ds, batch_size=bs, shuffle=shuffle, drop_last=drop_last, generator=g)
            else:
                torch.manual_seed(seed)
                g = torch.default_generator
                loader = DataLoader(ds, batch_size=bs, shuffle=shuffle, drop_last=drop_last)
            epochs = []
            for _ in range(2):
                epochs.append([b[0].tolist() for b in loader])
            out.append({
                "n": n, "batch_size": bs, "shuffle": shuffle, "drop_last": drop_last,
                "seed": seed, "mode": mode, "len": len(loader),
                "epochs": epochs, "after": after(g),
            })
    return out


# IDX type codes (http://yann.lecun.com/exdb/mnist/): code, struct format, dtype.
IDX_TYPES = {
    0x08: (">B", "int64"),
    0x09: (">b", "int64"),
    0x0B: (">h", "int64"),
    0x0C: (">i", "int64"),
    0x0D: (">f", "float32"),
    0x0E: (">d", "float64"),
}


def idx_bytes(code, shape, values):
    fmt = IDX_TYPES[code][0]
    head = bytes([0, 0, code, len(shape)]) + b"".join(struct.pack(">I", d) for d in shape)
    return head + b"".join(struct.pack(fmt, v) for v in values)


def write(path, data, gz):
    if gz:
        with open(path, "wb") as raw:
            with gzip.GzipFile(filename="", mode="wb", fileobj=raw, mtime=0) as f:
                f.write(data)
    else:
        with open(path, "wb") as f:
            f.write(data)


def idx_cases():
    d = os.path.join(OUT_DIR, "idx")
    os.makedirs(d, exist_ok=True)
    g = torch.Generator().manual_seed(0)
    specs = [
        ("ubyte_2x3.idx", 0x08, [2, 3], False),
        ("ubyte_4x2x2.idx.gz", 0x08, [4, 2, 2], True),
        ("byte_5.idx", 0x09, [5], False),
        ("short_3x2.idx", 0x0B, [3, 2], False),
        ("int_2x2.idx.gz", 0x0C, [2, 2], True),
        ("float_3x1.idx", 0x0D, [3, 1], False),
        ("double_2x2.idx", 0x0E, [2, 2], False),
        ("ubyte_empty.idx", 0x08, [0, 3], False),
    ]
    out = []
    for name, code, shape, gz in specs:
        n = math.prod(shape)
        if code == 0x08:
            vals = torch.randint(0, 256, (n,), generator=g).tolist()
        elif code == 0x09:
            vals = torch.randint(-128, 128, (n,), generator=g).tolist()
        elif code == 0x0B:
            vals = torch.randint(-32768, 32768, (n,), generator=g).tolist()
        elif code == 0x0C:
            vals = torch.randint(-2**31, 2**31, (n,), generator=g).tolist()
        elif code == 0x0D:
            vals = torch.randn(n, generator=g).tolist()
        else:
            vals = torch.randn(n, dtype=torch.float64, generator=g).tolist()
        write(os.path.join(d, name), idx_bytes(code, shape, vals), gz)
        dtype = IDX_TYPES[code][1]
        # What torch makes of the stored values in gt's dtype.
        tdt = {"int64": torch.int64, "float32": torch.float32, "float64": torch.float64}[dtype]
        t = torch.tensor(vals, dtype=tdt)
        enc = [f32_shortest(v) for v in t.tolist()] if dtype == "float32" else t.tolist()
        out.append({"file": name, "dtype": dtype, "shape": shape, "values": enc})
    return out


def mnist_case():
    d = os.path.join(OUT_DIR, "mnist")
    os.makedirs(d, exist_ok=True)
    g = torch.Generator().manual_seed(1)
    out = {}
    for split, n, gz in (("train", 6, True), ("t10k", 4, False)):
        imgs = torch.randint(0, 256, (n, 28, 28), dtype=torch.uint8, generator=g)
        labels = torch.randint(0, 10, (n,), dtype=torch.uint8, generator=g)
        suffix = ".gz" if gz else ""
        write(os.path.join(d, split + "-images-idx3-ubyte" + suffix),
              idx_bytes(0x08, [n, 28, 28], imgs.flatten().tolist()), gz)
        write(os.path.join(d, split + "-labels-idx1-ubyte" + suffix),
              idx_bytes(0x08, [n], labels.tolist()), gz)
        x = imgs.to(torch.float32).div(255).reshape(n, 1, 28, 28)
        out[split] = {
            "images_shape": list(x.shape),
            "images": [f32_shortest(v) for v in x.flatten().tolist()],
            "labels": labels.to(torch.int64).tolist(),
        }
    return out


def main():
    os.makedirs(OUT_DIR, exist_ok=True)
    doc = {
        "torch": torch.__version__,
        "splits": split_cases(),
        "loaders": loader_cases(),
        "idx": idx_cases(),
        "mnist": mnist_case(),
    }
    with open(os.path.join(OUT_DIR, "data.json"), "w") as f:
        json.dump(doc, f, separators=(",", ":"))
        f.write("\n")


if __name__ == "__main__":
    main()
