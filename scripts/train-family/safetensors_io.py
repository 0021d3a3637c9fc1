"""Writes and reads model.safetensors without the safetensors package (Debian's torch 1.13 lacks it): an 8-byte
little-endian header length, the JSON header (names sorted, offsets in order) and the raw little-endian data."""
import json
import struct

import torch

_DTYPES = {torch.bfloat16: ("BF16", torch.int16), torch.float32: ("F32", torch.int32), torch.int32: ("I32", torch.int32)}
_BACK = {"BF16": (torch.bfloat16, torch.int16), "F32": (torch.float32, torch.int32), "I32": (torch.int32, torch.int32)}


def save(tensors, path, metadata=None):
    header = {}
    blobs = []
    offset = 0
    for name in sorted(tensors):
        t = tensors[name].contiguous()
        tag, raw = _DTYPES[t.dtype]
        data = t.view(raw).numpy().astype("<" + raw_kind(raw)).tobytes()
        header[name] = {"dtype": tag, "shape": list(t.shape), "data_offsets": [offset, offset + len(data)]}
        blobs.append(data)
        offset += len(data)
    if metadata:
        header["__metadata__"] = metadata
    text = json.dumps(header, separators=(",", ":")).encode()
    text += b" " * (-len(text) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(text)))
        f.write(text)
        for b in blobs:
            f.write(b)


def raw_kind(raw):
    return {torch.int16: "i2", torch.int32: "i4"}[raw]


def load(path):
    import numpy as np
    with open(path, "rb") as f:
        n = struct.unpack("<Q", f.read(8))[0]
        header = json.loads(f.read(n))
        data = f.read()
    out = {}
    for name, e in header.items():
        if name == "__metadata__":
            continue
        dtype, raw = _BACK[e["dtype"]]
        a, b = e["data_offsets"]
        arr = np.frombuffer(data[a:b], dtype="<" + raw_kind(raw)).copy()
        out[name] = torch.from_numpy(arr).view(dtype).reshape(e["shape"])
    return out
