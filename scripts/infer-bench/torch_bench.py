#!/usr/bin/env python3
"""PyTorch eager peer of `mergelab bench infer`: the same Llama forward pass written directly in torch (no
transformers), loading the same safetensors, measured like llama-bench.

pp: a fresh sequence of P token ids run as one batch. tg: a fresh sequence decoding N tokens one at a time
(greedy, KV cache). Best of R runs after a short warm-up; prints one JSON line.

Usage: /usr/bin/python3 torch_bench.py MODEL_DIR [-p 512] [-n 64] [-r 3] [--threads 2] [--dtype bfloat16|float32]
"""
import argparse
import json
import math
import os
import struct
import time

import numpy as np
import torch


def read_safetensors(folder, dtype):
    """Every tensor of the folder's .safetensors files, converted to `dtype`."""
    names = {"BF16": None, "F16": np.float16, "F32": np.float32, "F64": np.float64}
    out = {}
    for f in sorted(os.listdir(folder)):
        if not f.endswith(".safetensors"):
            continue
        with open(os.path.join(folder, f), "rb") as fh:
            n = struct.unpack("<Q", fh.read(8))[0]
            header = json.loads(fh.read(n))
            base = 8 + n
        raw = np.memmap(os.path.join(folder, f), dtype=np.uint8, mode="r")
        for name, info in header.items():
            if name == "__metadata__":
                continue
            b, e = info["data_offsets"]
            buf = raw[base + b: base + e]
            if info["dtype"] == "BF16":
                u16 = torch.from_numpy(np.array(buf.view(np.int16)))
                t = (u16.to(torch.int32) << 16).view(torch.float32)
            else:
                t = torch.from_numpy(np.array(buf.view(names[info["dtype"]])))
            out[name] = t.reshape(info["shape"]).to(dtype)
    return out


class Llama:
    def __init__(self, cfg, w, dtype):
        self.cfg, self.w, self.dtype = cfg, w, dtype
        self.h = cfg["hidden_size"]
        self.heads = cfg["num_attention_heads"]
        self.kv = cfg.get("num_key_value_heads", self.heads)
        self.hd = self.h // self.heads
        self.eps = cfg["rms_norm_eps"]
        self.layers = cfg["num_hidden_layers"]
        inv = 1.0 / (cfg.get("rope_theta", 10000.0) ** (torch.arange(0, self.hd, 2, dtype=torch.float32) / self.hd))
        pos = torch.arange(cfg.get("max_position_embeddings", 4096), dtype=torch.float32)
        freqs = torch.outer(pos, inv)
        emb = torch.cat([freqs, freqs], dim=-1)
        self.cos, self.sin = emb.cos().to(dtype), emb.sin().to(dtype)

    def norm(self, x, weight):
        xf = x.float()
        xf = xf * torch.rsqrt(xf.pow(2).mean(-1, keepdim=True) + self.eps)
        return xf.to(self.dtype) * weight

    def rope(self, x, start):
        n = x.shape[1]
        cos, sin = self.cos[start:start + n][None, :, None, :], self.sin[start:start + n][None, :, None, :]
        x1, x2 = x[..., : self.hd // 2], x[..., self.hd // 2:]
        return x * cos + torch.cat([-x2, x1], dim=-1) * sin

    def forward(self, ids, cache):
        w, p = self.w, "model.layers.%d."
        start = cache["len"]
        n = ids.shape[0]
        x = w["model.embed_tokens.weight"][ids][None]
        mask = None
        if n > 1:
            mask = torch.full((n, start + n), float("-inf"), dtype=self.dtype).triu(start + 1)
        for l in range(self.layers):
            q_ = p % l
            a = self.norm(x, w[q_ + "input_layernorm.weight"])
            q = (a @ w[q_ + "self_attn.q_proj.weight"].T).view(1, n, self.heads, self.hd)
            k = (a @ w[q_ + "self_attn.k_proj.weight"].T).view(1, n, self.kv, self.hd)
            v = (a @ w[q_ + "self_attn.v_proj.weight"].T).view(1, n, self.kv, self.hd)
            q, k = self.rope(q, start), self.rope(k, start)
            ck, cv = cache["k"][l], cache["v"][l]
            ck[:, start:start + n], cv[:, start:start + n] = k, v
            keys = ck[:, : start + n].repeat_interleave(self.heads // self.kv, dim=2).transpose(1, 2)
            vals = cv[:, : start + n].repeat_interleave(self.heads // self.kv, dim=2).transpose(1, 2)
            s = (q.transpose(1, 2) @ keys.transpose(2, 3)) / math.sqrt(self.hd)
            if mask is not None:
                s = s + mask
            o = (torch.softmax(s.float(), dim=-1).to(self.dtype) @ vals).transpose(1, 2).reshape(1, n, self.h)
            x = x + o @ w[q_ + "self_attn.o_proj.weight"].T
            m = self.norm(x, w[q_ + "post_attention_layernorm.weight"])
            g = torch.nn.functional.silu(m @ w[q_ + "mlp.gate_proj.weight"].T) * (m @ w[q_ + "mlp.up_proj.weight"].T)
            x = x + g @ w[q_ + "mlp.down_proj.weight"].T
        cache["len"] = start + n
        x = self.norm(x, w["model.norm.weight"])
        head = w.get("lm_head.weight", w["model.embed_tokens.weight"])
        return (x @ head.T)[0]

    def new_cache(self, length):
        shape = (1, length, self.kv, self.hd)
        return {"len": 0, "k": [torch.zeros(shape, dtype=self.dtype) for _ in range(self.layers)],
                "v": [torch.zeros(shape, dtype=self.dtype) for _ in range(self.layers)]}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("model")
    ap.add_argument("-p", type=int, default=512)
    ap.add_argument("-n", type=int, default=64)
    ap.add_argument("-r", type=int, default=3)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--dtype", default="bfloat16", choices=["bfloat16", "float32"])
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    dtype = getattr(torch, a.dtype)
    cfg = json.load(open(os.path.join(a.model, "config.json")))
    model = Llama(cfg, read_safetensors(a.model, dtype), dtype)
    vocab = cfg["vocab_size"]
    ids = torch.tensor([(1 + 7919 * i) % vocab for i in range(a.p)], dtype=torch.long)

    def pp():
        model.forward(ids, model.new_cache(a.p))

    def tg(n):
        cache, nxt = model.new_cache(n), 1
        for _ in range(n):
            nxt = int(torch.argmax(model.forward(torch.tensor([nxt]), cache)))

    with torch.inference_mode():
        model.forward(ids[: min(a.p, 32)], model.new_cache(32))
        tg(min(a.n, 4))
        pps, tgs = [], []
        for _ in range(a.r):
            t0 = time.perf_counter(); pp(); pps.append(time.perf_counter() - t0)
        for _ in range(a.r):
            t0 = time.perf_counter(); tg(a.n); tgs.append(time.perf_counter() - t0)
    print(json.dumps({"engine": "torch-eager " + torch.__version__, "dtype": a.dtype, "threads": a.threads,
                      "pp_tokens_per_s": a.p / min(pps), "tg_tokens_per_s": a.n / min(tgs),
                      "pp_seconds": pps, "tg_seconds": tgs}))


if __name__ == "__main__":
    main()
