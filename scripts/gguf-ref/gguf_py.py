#!/usr/bin/python3
"""gguf-py (llama.cpp's own Python GGUF library, pure Python + numpy) as a peer for MergeLab's GGUF reader and writer.

  gguf_py.py LLAMA read FILE    prints JSON: version, alignment, data offset, every metadata field (its types
                                as gguf-py reads them, the value for scalars, strings and flat arrays, and the
                                sha256 of the field's value bytes), every tensor (name, type, ne, offset, bytes,
                                sha256 of its data)
  gguf_py.py LLAMA write FILE   writes the fixture src/test/resources/gguf/gguf-py-written.gguf with gguf-py's
                                GGUFWriter (GgufPyInteropTest reads it and knows what it holds)

LLAMA is a llama.cpp tree from node-llama-cpp@3.21.1 (llama/gitRelease.bundle); run with Debian's /usr/bin/python3.
"""
import hashlib
import json
import sys

import numpy as np


def read(gguf, path):
    r = gguf.GGUFReader(path, "r")
    out = {"alignment": int(r.alignment), "data_offset": int(r.data_offset), "fields": [], "tensors": []}
    for name, f in r.fields.items():
        if name.startswith("GGUF."):
            if name == "GGUF.version":
                out["version"] = int(f.parts[0][0])
            continue
        types = [t.name for t in f.types]
        # the value's bytes: everything after key length, key and value type (parts 0..2)
        value_bytes = b"".join(bytes(p.tobytes()) for p in f.parts[3:])
        entry = {"key": name, "types": types, "sha256": hashlib.sha256(value_bytes).hexdigest()}
        nested = len(types) > 2 and types[0] == "ARRAY" and types[1] == "ARRAY"
        if not nested and not (types[0] == "ARRAY" and len(types) == 1):
            v = f.contents()
            if isinstance(v, float):
                v = {"f": float(np.float64(v)).hex()}
            elif isinstance(v, list) and v and isinstance(v[0], float):
                v = [{"f": float(np.float64(x)).hex()} for x in v]
            entry["value"] = v
        out["fields"].append(entry)
    for t in r.tensors:
        data = np.ascontiguousarray(t.data).tobytes()
        out["tensors"].append({"name": t.name, "type": t.tensor_type.name, "ne": [int(x) for x in t.shape],
                               "offset": int(t.data_offset), "n_bytes": int(t.n_bytes),
                               "sha256": hashlib.sha256(data).hexdigest()})
    print(json.dumps(out, sort_keys=True))


def write(gguf, path):
    w = gguf.GGUFWriter(path, arch="llama")
    w.add_string("general.name", "gguf-py fixture")
    w.add_uint8("t.u8", 200)
    w.add_int8("t.i8", -100)
    w.add_uint16("t.u16", 60000)
    w.add_int16("t.i16", -30000)
    w.add_uint32("t.u32", 4000000000)
    w.add_int32("t.i32", -2000000000)
    w.add_float32("t.f32", 0.1)
    w.add_bool("t.bool", True)
    w.add_uint64("t.u64", 2**64 - 2)
    w.add_int64("t.i64", -(2**62))
    w.add_float64("t.f64", 0.1)
    w.add_array("t.arr.str", ["<s>", "Ġworld", "é"])
    w.add_array("t.arr.i32", [1, -2, 3])
    w.add_array("t.arr.f32", [0.5, -1.25])
    w.add_array("t.arr.nested", [[1, 2], [3]])
    rows = np.arange(4 * 64, dtype=np.float32).reshape(4, 64) / 7.0 - 10.0
    w.add_tensor("f32", rows)
    w.add_tensor("f16", rows.astype(np.float16))
    q = gguf.quants.quantize(rows, gguf.GGMLQuantizationType.Q8_0)
    w.add_tensor("q8_0", q, raw_dtype=gguf.GGMLQuantizationType.Q8_0)
    w.write_header_to_file()
    w.write_kv_data_to_file()
    w.write_tensors_to_file()
    w.close()


def main():
    llama, mode, path = sys.argv[1], sys.argv[2], sys.argv[3]
    sys.path.insert(0, llama + "/gguf-py")
    import gguf
    {"read": read, "write": write}[mode](gguf, path)


if __name__ == "__main__":
    main()
