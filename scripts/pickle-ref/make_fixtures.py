#!/usr/bin/python3
"""Writes the PyTorch .bin fixtures of dev.mergelab.format.pickle's tests into src/test/resources/pickle/.

Run with Debian's python3-torch (1.13): /usr/bin/python3 scripts/pickle-ref/make_fixtures.py
Every valid fixture is written by real torch.save; next to it, expected/<name>.safetensors holds the same
tensors, made contiguous, written by this script with numpy (the safetensors format is a JSON header and
raw little-endian bytes), so the Java test can compare decoded tensors bit for bit. Rerunning rewrites the same bytes except for the
legacy files, whose storage keys are Python object ids (torch's legacy format), and which then differ only in them.

The malicious corpus (malicious/) holds pickles that run a command under pickle.loads or
torch.load(weights_only=False). Each command only creates a marker file /tmp/mergelab-pickle-payload-<case>;
this script loads every code-running case with Python's own unpickler once to prove the payload is live,
then deletes the marker. The Java tests prove MergeLab refuses each file and the marker never appears.
"""
import io, json, os, pickle, shutil, struct, sys, zipfile
from collections import OrderedDict

import numpy as np
import torch

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "src", "test", "resources", "pickle")
VALID = os.path.join(ROOT, "valid")
EXPECTED = os.path.join(ROOT, "expected")
BAD = os.path.join(ROOT, "malicious")

ST_DTYPE = {torch.float32: "F32", torch.float16: "F16", torch.bfloat16: "BF16", torch.float64: "F64",
            torch.int64: "I64", torch.int32: "I32", torch.int16: "I16", torch.int8: "I8", torch.uint8: "U8",
            torch.bool: "BOOL"}


def raw_bytes(t):
    t = t.contiguous()
    if t.dtype == torch.bfloat16:
        return t.view(torch.int16).numpy().astype("<i2").tobytes()
    return t.numpy().astype(t.numpy().dtype.newbyteorder("<")).tobytes()


def write_safetensors(path, tensors):
    header, blobs, at = {}, [], 0
    for name, t in tensors.items():
        b = raw_bytes(t)
        header[name] = {"dtype": ST_DTYPE[t.dtype], "shape": list(t.shape), "data_offsets": [at, at + len(b)]}
        blobs.append(b)
        at += len(b)
    h = json.dumps(header, separators=(",", ":")).encode()
    h += b" " * ((8 - len(h) % 8) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(h)) + h + b"".join(blobs))


def save(name, sd, expected_name=None, **kw):
    path = os.path.join(VALID, name)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    torch.save(sd, path, **kw)
    write_safetensors(os.path.join(EXPECTED, (expected_name or name.replace("/", "_")) + ".safetensors"), sd)
    return path


def floats(g, dtype, *shape):
    t = torch.randn(*shape, generator=g, dtype=torch.float64).to(dtype)
    flat = t.view(-1)
    specials = [0.0, -0.0, float("inf"), float("-inf"), float("nan"), 1e-40, -3.0e38 if dtype != torch.float16 else -60000.0]
    for i, v in enumerate(specials[:flat.numel()]):
        flat[i] = v
    return t


def valid():
    g = torch.Generator().manual_seed(1913)
    # Every dtype the reader decodes.
    dt = OrderedDict()
    for dtype in (torch.float32, torch.float16, torch.bfloat16, torch.float64):
        dt[str(dtype).replace("torch.", "")] = floats(g, dtype, 3, 5)
    dt["int64"] = torch.tensor([[-(2 ** 40), 7, 2 ** 24 + 1], [0, -1, 123456789]], dtype=torch.int64)
    dt["int32"] = torch.randint(-2 ** 31, 2 ** 31 - 1, (4, 3), generator=g, dtype=torch.int32)
    dt["int16"] = torch.randint(-2 ** 15, 2 ** 15 - 1, (2, 5), generator=g, dtype=torch.int16)
    dt["int8"] = torch.randint(-128, 127, (7,), generator=g, dtype=torch.int8)
    dt["uint8"] = torch.randint(0, 255, (2, 2, 3), generator=g, dtype=torch.uint8)
    dt["bool"] = torch.tensor([True, False, True, True])
    dt["scalar"] = torch.tensor(2.5, dtype=torch.float32)
    dt["empty"] = torch.zeros(0, 4, dtype=torch.float16)
    save("dtypes.bin", dt)
    save("dtypes-legacy.bin", dt, _use_new_zipfile_serialization=False)

    # Views of shared storages: offsets, strides, transposes, broadcasts.
    base = floats(g, torch.float32, 4, 6)
    b16 = floats(g, torch.bfloat16, 5, 3)
    cube = floats(g, torch.float16, 2, 3, 4)
    v = OrderedDict()
    v["base"] = base
    v["tied"] = base                       # the same tensor twice (tied embeddings)
    v["rows"] = base[1:3]                  # storage offset 6
    v["cols"] = base[:, 2:5]               # offset 2, rows 6 apart
    v["transposed"] = base.t()             # strides (1, 6): no row is contiguous
    v["every_other"] = base[:, ::2]        # strides (6, 2)
    v["element"] = base[2, 3]              # a 0-d view at offset 15
    v["column"] = base[:, 4]               # 1-D, stride 6
    v["bf16_t"] = b16.t()
    v["bf16_slice"] = b16[1:, 1:]
    v["permuted"] = cube.permute(2, 0, 1)
    v["broadcast"] = torch.arange(3, dtype=torch.float32).expand(4, 3)  # stride 0
    v["f64_t"] = floats(g, torch.float64, 3, 7).t()                    # 8-byte elements, transposed
    v["i8_t"] = torch.randint(-128, 127, (5, 9), generator=g, dtype=torch.int8).t()[1:, 2:]  # 1-byte, offset
    save("views.bin", v)
    save("views-legacy.bin", v, _use_new_zipfile_serialization=False)

    # Archive names: torch 1.13 names the zip's folder after the file; a buffer gives "archive".
    small = OrderedDict(w=floats(g, torch.float32, 2, 2), b=floats(g, torch.bfloat16, 2))
    save("custom.name.v2.pt", small, expected_name="custom-archive")
    buf = io.BytesIO()
    torch.save(small, buf)
    with open(os.path.join(VALID, "buffer-archive.bin"), "wb") as f:
        f.write(buf.getvalue())
    with zipfile.ZipFile(os.path.join(VALID, "buffer-archive.bin")) as z:
        assert z.namelist()[0] == "archive/data.pkl", z.namelist()
    # pickle protocol 4 (FRAME, SHORT_BINUNICODE, MEMOIZE, STACK_GLOBAL) in both containers.
    save("protocol4.bin", small, expected_name="protocol4", pickle_protocol=4)
    save("protocol4-legacy.bin", small, expected_name="protocol4-legacy", pickle_protocol=4,
         _use_new_zipfile_serialization=False)
    # A module's state_dict: OrderedDict with _metadata set by BUILD, and Parameters (_rebuild_parameter).
    lin = torch.nn.Linear(3, 2)
    torch.manual_seed(5)
    lin.reset_parameters()
    save("state-dict.bin", lin.state_dict())
    params = OrderedDict(weight=lin.weight, bias=lin.bias)
    torch.save(params, os.path.join(VALID, "parameters.bin"))
    write_safetensors(os.path.join(EXPECTED, "parameters.bin.safetensors"),
                      OrderedDict((k, p.detach()) for k, p in params.items()))

    # Tiny Llama model folders: single zip file, and sharded (one zip shard, one legacy shard) with an index.
    cfg = {"architectures": ["LlamaForCausalLM"], "model_type": "llama", "hidden_size": 16,
           "intermediate_size": 32, "num_attention_heads": 2, "num_key_value_heads": 2,
           "num_hidden_layers": 2, "vocab_size": 32, "max_position_embeddings": 64, "rms_norm_eps": 1e-5,
           "rope_theta": 10000.0, "tie_word_embeddings": False, "torch_dtype": "bfloat16", "hidden_act": "silu",
           "bos_token_id": 1, "eos_token_id": 2}
    sd = OrderedDict()
    sd["model.embed_tokens.weight"] = torch.randn(32, 16, generator=g).to(torch.bfloat16)
    for i in range(2):
        p = f"model.layers.{i}."
        for n, shape in (("self_attn.q_proj", (16, 16)), ("self_attn.k_proj", (16, 16)), ("self_attn.v_proj", (16, 16)),
                         ("self_attn.o_proj", (16, 16)), ("mlp.gate_proj", (32, 16)), ("mlp.up_proj", (32, 16))):
            sd[p + n + ".weight"] = torch.randn(*shape, generator=g).to(torch.bfloat16)
        sd[p + "mlp.down_proj.weight"] = torch.randn(32, 16, generator=g).to(torch.bfloat16).t()  # stored transposed
        sd[p + "input_layernorm.weight"] = torch.ones(16, dtype=torch.bfloat16)
        sd[p + "post_attention_layernorm.weight"] = torch.ones(16, dtype=torch.bfloat16)
    sd["model.norm.weight"] = torch.ones(16, dtype=torch.bfloat16)
    sd["lm_head.weight"] = torch.randn(32, 16, generator=g).to(torch.bfloat16)
    one = os.path.join(VALID, "tiny-llama-bin")
    shd = os.path.join(VALID, "tiny-llama-bin-sharded")
    for d in (one, shd):
        os.makedirs(d, exist_ok=True)
        with open(os.path.join(d, "config.json"), "w") as f:
            json.dump(cfg, f, indent=2)
        with open(os.path.join(d, "tokenizer_config.json"), "w") as f:
            json.dump({"model_max_length": 64, "bos_token": "<s>"}, f, indent=2)
    save("tiny-llama-bin/pytorch_model.bin", sd, expected_name="tiny-llama")
    names = list(sd)
    first = OrderedDict((k, sd[k]) for k in names[:9])
    second = OrderedDict((k, sd[k]) for k in names[9:])
    torch.save(first, os.path.join(shd, "pytorch_model-00001-of-00002.bin"))
    torch.save(second, os.path.join(shd, "pytorch_model-00002-of-00002.bin"), _use_new_zipfile_serialization=False)
    wm = {k: "pytorch_model-00001-of-00002.bin" for k in first}
    wm.update({k: "pytorch_model-00002-of-00002.bin" for k in second})
    total = sum(t.numel() * t.element_size() for t in sd.values())
    with open(os.path.join(shd, "pytorch_model.bin.index.json"), "w") as f:
        json.dump({"metadata": {"total_size": total}, "weight_map": wm}, f, indent=2)


# ---------------------------------------------------------------------------------------------- malicious

def marker(case):
    return f"/tmp/mergelab-pickle-payload-{case}"


def bu(s):  # BINUNICODE
    b = s.encode()
    return b"X" + struct.pack("<I", len(b)) + b


def sbu(s):  # SHORT_BINUNICODE (protocol 4)
    b = s.encode()
    return b"\x8c" + bytes([len(b)]) + b


def glob(module, name):
    return b"c" + module.encode() + b"\n" + name.encode() + b"\n"


def touch(case):
    return f"touch {marker(case)}"


class Reduce:
    """An object whose __reduce__ makes the unpickler call fn(*args): the classic pickle exploit."""
    def __init__(self, fn, *args):
        self.fn, self.args = fn, args

    def __reduce__(self):
        return self.fn, self.args


def entry(name, compress=zipfile.ZIP_STORED):
    """A zip entry with a fixed date, so rerunning this script rewrites the same bytes."""
    info = zipfile.ZipInfo(name, date_time=(2026, 1, 1, 0, 0, 0))
    info.compress_type = compress
    return info


def in_zip(name, pkl, extra=None):
    """A torch.save-shaped zip whose data.pkl is pkl (stored, like torch writes it)."""
    path = os.path.join(BAD, name)
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_STORED) as z:
        z.writestr(entry("archive/data.pkl"), pkl)
        z.writestr(entry("archive/version"), "3\n")
        for k, v in (extra or {}).items():
            z.writestr(entry(k), v)
    return path


def legacy(name, main_pickle, magic=None):
    """A legacy (non-zip) torch file: magic number, protocol, sys_info, then main_pickle and its keys."""
    out = io.BytesIO()
    out.write(magic if magic is not None else pickle.dumps(0x1950a86a20f9469cfc6c, protocol=2))
    out.write(pickle.dumps(1001, protocol=2))
    out.write(pickle.dumps({"protocol_version": 1001, "little_endian": True,
                            "type_sizes": {"short": 2, "int": 4, "long": 4}}, protocol=2))
    out.write(main_pickle)
    out.write(pickle.dumps([], protocol=2))
    path = os.path.join(BAD, name)
    with open(path, "wb") as f:
        f.write(out.getvalue())
    return path


def real_tensor_pickle():
    buf = io.BytesIO()
    torch.save({"w": torch.ones(2)}, buf)
    with zipfile.ZipFile(io.BytesIO(buf.getvalue())) as z:
        return z.read("archive/data.pkl")


def malicious():
    cases = []  # (file, forbidden thing the message must name, runs code under pickle?)

    def live(case, path, runs=True, forbidden=None):
        cases.append({"file": os.path.basename(path), "case": case, "marker": marker(case) if runs else None,
                      "forbidden": forbidden})

    # 1. The classic: __reduce__ returning os.system, pickled by Python itself (GLOBAL 'posix system').
    c = "os-system"
    live(c, in_zip(c + ".bin", pickle.dumps(Reduce(os.system, touch(c)), protocol=2)), forbidden="posix.system")
    # 2-3. builtins.eval / builtins.exec.
    c = "builtins-eval"
    live(c, in_zip(c + ".bin", pickle.dumps(Reduce(eval, f"__import__('os').system('{touch(c)}')"), protocol=2, fix_imports=False)),
         forbidden="builtins.eval")
    c = "builtins-exec"
    live(c, in_zip(c + ".bin", pickle.dumps(Reduce(exec, f"import os; os.system('{touch(c)}')"), protocol=2, fix_imports=False)),
         forbidden="builtins.exec")
    # Protocol 2 writes Python 2's module names by default (fix_imports): __builtin__.eval, loaded as builtins.eval.
    c = "py2-builtin-eval"
    live(c, in_zip(c + ".bin", pickle.dumps(Reduce(eval, f"__import__('os').system('{touch(c)}')"), protocol=2)),
         forbidden="__builtin__.eval")
    # 4. subprocess.Popen.
    import subprocess
    c = "subprocess-popen"
    live(c, in_zip(c + ".bin", pickle.dumps(Reduce(subprocess.Popen, ["touch", marker(c)]), protocol=2, fix_imports=False)),
         forbidden="subprocess.Popen")
    # 5. posix.system through STACK_GLOBAL (protocol 4), hand-written.
    c = "stack-global-posix-system"
    p = b"\x80\x04" + sbu("posix") + sbu("system") + b"\x93" + sbu(touch(c)) + b"\x85R."
    live(c, in_zip(c + ".bin", p), forbidden="posix.system")
    # 6. The payload hidden after a real tensor inside a state dict: nothing may be built first.
    c = "reduce-after-tensor"
    sd = OrderedDict(w=torch.ones(2), x=Reduce(os.system, touch(c)))
    buf = io.BytesIO()
    torch.save(sd, buf)
    with open(os.path.join(BAD, c + ".bin"), "wb") as f:
        f.write(buf.getvalue())
    live(c, os.path.join(BAD, c + ".bin"), forbidden="posix.system")
    # 7. BUILD with __setstate__: an allowed OrderedDict gets os.system as its __setstate__, then a second
    #    BUILD "sets state" with the command.
    c = "build-setstate"
    p = (b"\x80\x02" + glob("collections", "OrderedDict") + b")R" + b"}" + bu("__setstate__") + glob("posix", "system")
         + b"sb" + bu(touch(c)) + b"b.")
    live(c, in_zip(c + ".bin", p), forbidden="posix.system")
    # 8. BUILD with a non-dict state on an allowed OrderedDict: no forbidden global at all.
    c = "build-non-dict-state"
    p = b"\x80\x02" + glob("collections", "OrderedDict") + b")R" + bu("state") + b"b."
    live(c, in_zip(c + ".bin", p), runs=False, forbidden="BUILD")
    # 9. Nested pickle: pickle.loads on bytes holding another exploit (_codecs.encode makes the bytes).
    c = "nested-pickle"
    inner = pickle.dumps(Reduce(os.system, touch(c)), protocol=2).decode("latin-1")
    p = (b"\x80\x02" + glob("pickle", "loads") + glob("_codecs", "encode") + bu(inner) + bu("latin1") + b"\x86R\x85R.")
    live(c, in_zip(c + ".bin", p), forbidden="pickle.loads")
    # 10. torch's own loader called from inside the pickle.
    c = "torch-load"
    live(c, in_zip(c + ".bin", b"\x80\x02" + glob("torch", "load") + bu("/dev/null") + b"\x85R."), runs=False,
         forbidden="torch.load")
    # 11. Protocol 0 INST opcode (no GLOBAL at all).
    c = "inst-opcode"
    live(c, in_zip(c + ".bin", b"(" + bu(touch(c)) + b"iposix\nsystem\n."), forbidden="INST")
    # 12. REDUCE of an allowed, non-callable global (a storage class), and NEWOBJ of a non-Parameter class.
    c = "reduce-storage-class"
    live(c, in_zip(c + ".bin", b"\x80\x02" + glob("torch", "FloatStorage") + b"K\x05\x85R."), runs=False,
         forbidden="torch.FloatStorage")
    c = "newobj-ordereddict"
    live(c, in_zip(c + ".bin", b"\x80\x02" + glob("collections", "OrderedDict") + b")\x81."), runs=False,
         forbidden="NEWOBJ")
    # 13. A persistent id that is not a storage.
    c = "persid-not-storage"
    live(c, in_zip(c + ".bin", b"\x80\x02(" + bu("module") + bu("x") + b"tQ."), runs=False, forbidden="persistent id")
    # 14. Memo abuse: a BINGET of a slot never set; LONG_BINPUTs at indexes near 2^32 (a C unpickler sizes its
    #     memo array by the largest index).
    c = "memo-unset"
    live(c, in_zip(c + ".bin", b"\x80\x02h\x07."), runs=False, forbidden="memo")
    c = "memo-flood"
    live(c, in_zip(c + ".bin", b"\x80\x02N" + b"".join(b"r" + struct.pack("<I", 0xFFFFFFFF - i) for i in range(1000)) + b"."),
         runs=False, forbidden="memo")
    # 15. Recursion bombs: 100,000 MARKs; 100,000 nested lists.
    c = "mark-bomb"
    live(c, in_zip(c + ".bin", b"\x80\x02" + b"(" * 100000 + b"N."), runs=False, forbidden="nest")
    c = "list-bomb"
    live(c, in_zip(c + ".bin", b"\x80\x02]" + b"]" * 100000 + b"a" * 100000 + b"."), runs=False, forbidden="stack")
    # 16. Huge lengths: LONG4 of 2^31 bytes; BINUNICODE of 2^32-1 bytes; BINUNICODE8 of 2^62.
    c = "huge-long4"
    live(c, in_zip(c + ".bin", b"\x80\x02\x8b" + struct.pack("<I", 2 ** 31 - 1) + b"\x00" * 16 + b"."), runs=False,
         forbidden="LONG4")
    c = "huge-binunicode"
    live(c, in_zip(c + ".bin", b"\x80\x02X" + struct.pack("<I", 0xFFFFFFFF) + b"abc."), runs=False, forbidden="bytes")
    c = "huge-binunicode8"
    live(c, in_zip(c + ".bin", b"\x80\x04\x8d" + struct.pack("<Q", 2 ** 62) + b"abc."), runs=False, forbidden="bytes")
    # 17. A tensor claiming 2^20 x 2^20 elements of a 2-element storage; a storage claiming 2^60 elements.
    real = real_tensor_pickle()
    c = "huge-tensor-view"
    big = b"\x8a\x04\x00\x00\x10\x00"  # LONG1 2^20
    live(c, in_zip(c + ".bin", real.replace(b"K\x02\x85q\x08K\x01\x85", big + big + b"\x86q\x08" + big + b"K\x01\x86", 1),
                   {"archive/data/0": b"\x00" * 8}), runs=False, forbidden="storage")
    c = "huge-storage"
    live(c, in_zip(c + ".bin", real.replace(b"X\x03\x00\x00\x00cpuq\x06K\x02", b"X\x03\x00\x00\x00cpuq\x06\x8a\x08\x00\x00\x00\x00\x00\x00\x00\x10", 1),
                   {"archive/data/0": b"\x00" * 8}), runs=False, forbidden="storage")
    # 18. Truncated files: a real checkpoint cut in half; a data.pkl without STOP.
    buf = io.BytesIO()
    torch.save({"w": torch.ones(64)}, buf)
    c = "truncated-zip"
    with open(os.path.join(BAD, c + ".bin"), "wb") as f:
        f.write(buf.getvalue()[: len(buf.getvalue()) // 2])
    live(c, os.path.join(BAD, c + ".bin"), runs=False, forbidden="zip")
    c = "truncated-pickle"
    live(c, in_zip(c + ".bin", real[:-7], {"archive/data/0": b"\x00" * 8}), runs=False, forbidden="end")
    # 19. Compressed entry (torch never writes one).
    c = "compressed-entry"
    path = os.path.join(BAD, c + ".bin")
    with zipfile.ZipFile(path, "w") as z:
        z.writestr(entry("archive/data.pkl", zipfile.ZIP_DEFLATED), real)
        z.writestr(entry("archive/data/0"), b"\x00" * 8)
    live(c, path, runs=False, forbidden="compressed")
    # 20. Legacy format: the exploit in the magic-number pickle, and in the main pickle.
    c = "legacy-magic"
    live(c, legacy(c + ".bin", b"", magic=pickle.dumps(Reduce(os.system, touch(c)), protocol=2)), forbidden="posix.system")
    c = "legacy-main"
    live(c, legacy(c + ".bin", pickle.dumps(Reduce(os.system, touch(c)), protocol=2)), forbidden="posix.system")
    # 21. numpy's array reconstructor, common in old checkpoints, is not on weights_only's list either.
    c = "numpy-reconstruct"
    live(c, in_zip(c + ".bin", b"\x80\x02" + glob("numpy.core.multiarray", "_reconstruct") + b")R."), runs=False,
         forbidden="numpy.core.multiarray._reconstruct")

    # Prove the code-running payloads are live: Python's own unpickler (or torch.load) runs them.
    for case in cases:
        if not case["marker"]:
            continue
        if os.path.exists(case["marker"]):
            os.remove(case["marker"])
        path = os.path.join(BAD, case["file"])
        try:
            torch.load(path, weights_only=False)
        except Exception:
            pass
        if not os.path.exists(case["marker"]):
            if zipfile.is_zipfile(path):
                with zipfile.ZipFile(path) as z:
                    try:
                        pickle.loads(z.read("archive/data.pkl"))
                    except Exception:
                        pass
        if case["case"].startswith("subprocess"):
            import time
            time.sleep(0.5)
        assert os.path.exists(case["marker"]), "payload did not run under Python: " + case["case"]
        os.remove(case["marker"])
        case["proven_live"] = True
    with open(os.path.join(BAD, "cases.json"), "w") as f:
        json.dump(cases, f, indent=1)


if __name__ == "__main__":
    for d in (VALID, EXPECTED, BAD):
        shutil.rmtree(d, ignore_errors=True)
        os.makedirs(d)
    valid()
    malicious()
    print("torch", torch.__version__, "numpy", np.__version__, "python", sys.version.split()[0])
