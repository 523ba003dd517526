"""Write tensorlib/nn/testdata/ checkpoint fixtures from torch 1.13.

Run from the repository root with Debian's torch:

    /usr/bin/python3 tools/golden/checkpoints.py

Writes
  model.pth          torch.save(model.state_dict()) of a small model: a Conv2d
                     (4-D weight), BatchNorm2d (int64 num_batches_tracked), a
                     Linear, and buffers covering bool, 0-dim float64, a
                     transposed (strided) view and a view at a storage offset
                     that shares its storage with the transposed one.
  model.safetensors  the same state dict in the safetensors format, written by
                     write_safetensors below straight from the public spec
                     (torch 1.13 has no safetensors package): an 8-byte little
                     endian header length, a compact JSON header
                     {"__metadata__":{"format":"pt"}, name: {dtype, shape,
                     data_offsets}, ...} in state-dict order, padded with
                     spaces to a multiple of 8 bytes, then the tensors'
                     contiguous little-endian bytes in the same order. gt's
                     nn.Save writes the same bytes for the same state dict.
  checkpoints.json   the state dict's keys in order and every tensor's dtype,
                     shape and values (float32 as the shortest repr that
                     round-trips, float64 exactly).
  hostile/           checkpoints gt must refuse: pickles that call os.system
                     and builtins.eval, a whole pickled nn.Module, the legacy
                     (non-zip) torch.save format and a TorchScript archive.
                     Every file is deterministic except legacy.pth, whose
                     storage keys are object ids (tests only check that it is
                     refused).

The script checks model.safetensors with its own spec-following reader
(read_safetensors) against the torch tensors. To check a file written by gt:

    /usr/bin/python3 tools/golden/checkpoints.py verify FILE

reads FILE (safetensors by the reader below, or a .pt/.pth with torch.load)
and compares it with the fixture's state dict, bit for bit.
"""

import builtins
import json
import math
import os
import struct
import sys

import numpy as np
import torch
from torch import nn

OUT = os.path.join("tensorlib", "nn", "testdata")

DTYPES = {torch.float32: "F32", torch.float64: "F64", torch.int64: "I64", torch.bool: "BOOL"}
NUMPY = {"F32": "<f4", "F64": "<f8", "I64": "<i8", "BOOL": "?"}
NAMES = {torch.float32: "float32", torch.float64: "float64", torch.int64: "int64", torch.bool: "bool"}


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(1, 2, 3)
        self.bn = nn.BatchNorm2d(2)
        self.fc = nn.Linear(8, 3)
        self.register_buffer("mask", torch.tensor([True, False, True]))
        self.register_buffer("scale", torch.tensor(0.5, dtype=torch.float64))
        base = torch.arange(12, dtype=torch.float32).reshape(3, 4)
        self.register_buffer("transposed", base.t())
        self.register_buffer("tail", base.view(-1)[5:9])


def make_model():
    torch.manual_seed(0)
    m = Net()
    with torch.no_grad():
        m.bn.running_mean.normal_()
        m.bn.running_var.uniform_(0.5, 2)
        m.bn.weight.normal_()
        m.bn.num_batches_tracked.fill_(7)
        m.fc.bias[0] = -0.0
    return m


def tensor_bytes(t):
    t = t.detach().contiguous()
    if t.dtype == torch.bool:
        return t.to(torch.uint8).numpy().tobytes()
    return t.numpy().astype(NUMPY[DTYPES[t.dtype]]).tobytes()


def write_safetensors(path, sd, metadata=None):
    """Write sd following the safetensors spec, in state-dict order."""
    header = {}
    if metadata is not None:
        header["__metadata__"] = metadata
    blobs, offset = [], 0
    for name, t in sd.items():
        b = tensor_bytes(t)
        header[name] = {"dtype": DTYPES[t.dtype], "shape": list(t.shape), "data_offsets": [offset, offset + len(b)]}
        blobs.append(b)
        offset += len(b)
    h = json.dumps(header, separators=(",", ":")).encode()
    h += b" " * (-len(h) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(h)) + h + b"".join(blobs))


def read_safetensors(path):
    """A small reader straight from the spec; returns ({name: np.ndarray}, metadata)."""
    with open(path, "rb") as f:
        data = f.read()
    (n,) = struct.unpack("<Q", data[:8])
    header = json.loads(data[8:8 + n].decode())
    buf = data[8 + n:]
    meta = header.pop("__metadata__", None)
    out, end = {}, 0
    for name, info in sorted(header.items(), key=lambda kv: kv[1]["data_offsets"]):
        b, e = info["data_offsets"]
        assert b == end, "offsets must be contiguous"
        end = e
        arr = np.frombuffer(buf[b:e], dtype=NUMPY[info["dtype"]]).reshape(info["shape"])
        out[name] = arr
    assert end == len(buf), "the buffer must be fully indexed"
    return out, meta


def same_bits(a, b):
    a, b = np.ascontiguousarray(a), np.ascontiguousarray(b)
    return a.dtype == b.dtype and a.shape == b.shape and a.tobytes() == b.tobytes()


def as_numpy(t):
    return t.detach().contiguous().numpy()


def f32_shortest(x):
    if not math.isfinite(x):
        return "nan" if math.isnan(x) else ("inf" if x > 0 else "-inf")
    for digits in range(1, 10):
        s = "%.*g" % (digits, x)
        if struct.unpack("<f", struct.pack("<f", float(s)))[0] == x:
            return float(s)
    raise AssertionError(x)


def encode(t):
    vals = t.detach().flatten().tolist()
    if t.dtype == torch.float32:
        return [f32_shortest(v) for v in vals]
    if t.dtype == torch.float64:
        return [v if math.isfinite(v) else f32_shortest(v) for v in vals]
    return vals


class EvilSystem:
    def __reduce__(self):
        return (os.system, ("echo gt-pwned > /tmp/gt-pwned",))


class EvilEval:
    def __reduce__(self):
        return (builtins.eval, ("__import__('os').system('echo gt-pwned > /tmp/gt-pwned')",))


def hostile(sd, model):
    d = os.path.join(OUT, "hostile")
    os.makedirs(d, exist_ok=True)
    torch.save({"w": torch.zeros(2), "x": EvilSystem()}, os.path.join(d, "os_system.pth"))
    torch.save({"w": torch.zeros(2), "x": EvilEval()}, os.path.join(d, "eval.pth"))
    torch.save(model, os.path.join(d, "whole_module.pth"))
    torch.save(sd, os.path.join(d, "legacy.pth"), _use_new_zipfile_serialization=False)
    scripted = torch.jit.script(nn.Linear(2, 1))
    torch.jit.save(scripted, os.path.join(d, "torchscript.pt"))


def verify(path):
    sd = make_model().state_dict()
    if path.endswith((".pt", ".pth")):
        got = {k: as_numpy(v) for k, v in torch.load(path).items()}
    else:
        got, meta = read_safetensors(path)
        print("metadata:", meta)
    assert list(got) == list(sd) or sorted(got) == sorted(sd), (list(got), list(sd))
    for k, t in sd.items():
        assert same_bits(got[k], as_numpy(t)), k
    print("ok:", path, "matches the fixture state dict bit for bit (%d tensors)" % len(sd))


def main():
    os.makedirs(OUT, exist_ok=True)
    model = make_model()
    sd = model.state_dict()
    torch.save(sd, os.path.join(OUT, "model.pth"))
    st = os.path.join(OUT, "model.safetensors")
    write_safetensors(st, sd, {"format": "pt"})

    # Check both fixtures independently: torch.load and the spec reader.
    loaded = torch.load(os.path.join(OUT, "model.pth"))
    arrays, meta = read_safetensors(st)
    assert meta == {"format": "pt"}
    for k, t in sd.items():
        assert same_bits(as_numpy(loaded[k]), as_numpy(t)), k
        assert same_bits(arrays[k], as_numpy(t)), k
    assert loaded["tail"].storage_offset() == 5 and loaded["transposed"].stride() == (1, 4)

    doc = {
        "torch": torch.__version__,
        "keys": list(sd.keys()),
        "tensors": {k: {"dtype": NAMES[t.dtype], "shape": list(t.shape), "values": encode(t)} for k, t in sd.items()},
    }
    with open(os.path.join(OUT, "checkpoints.json"), "w") as f:
        json.dump(doc, f, indent=1)
        f.write("\n")
    hostile(sd, model)


if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] == "verify":
        verify(sys.argv[2])
    else:
        main()
