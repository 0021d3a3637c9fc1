#!/usr/bin/python3
"""Writes the tiny Llama of the lm-eval reference run into OUT_DIR (src/test/resources/eval-ref/model).

2 layers, hidden 64, 4 heads (2 KV heads), max_position_embeddings 128, vocabulary 661 from the synthetic
Llama-2-style tokenizer (`tokenizer/synthetic/bpe-sentencepiece.json`: byte-fallback BPE, `▁` prepended, BOS
added). Weights start random (seeded) and are then trained for a few hundred float64 Adam steps on the task texts,
so the model prefers some answers, some continuations are its greedy choice, and scores are far from ties.
The forward pass is scripts/infer-ref/reference.py's float64 one. Stored as F32; the run scores with these F32
values widened to float64.

    /usr/bin/python3 scripts/eval-ref/make_model.py OUT_DIR DATA_DIR
"""
import glob
import importlib.util
import json
import os
import shutil
import subprocess
import sys

import torch

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
spec = importlib.util.spec_from_file_location("infer_reference", os.path.join(ROOT, "scripts", "infer-ref", "reference.py"))
ref = importlib.util.module_from_spec(spec)
spec.loader.exec_module(ref)

OUT, DATA = sys.argv[1], sys.argv[2]
STEPS = 1500
TOKENIZER = os.path.join(ROOT, "src", "test", "resources", "tokenizer", "synthetic", "bpe-sentencepiece.json")

CONFIG = {
    "architectures": ["LlamaForCausalLM"], "model_type": "llama", "hidden_size": 64, "intermediate_size": 128,
    "num_hidden_layers": 2, "num_attention_heads": 4, "num_key_value_heads": 2, "vocab_size": 661,
    "max_position_embeddings": 128, "rms_norm_eps": 1e-5, "hidden_act": "silu", "rope_theta": 10000.0,
    "tie_word_embeddings": False, "torch_dtype": "float32", "bos_token_id": 1, "eos_token_id": 2,
    "attention_bias": False, "mlp_bias": False,
}


def training_ids():
    """Every string of the task files, tokenized by the Rust library (through the node helper), one sequence."""
    def strings(v):
        if isinstance(v, str):
            yield v
        elif isinstance(v, dict):
            for x in v.values():
                yield from strings(x)
        elif isinstance(v, list):
            for x in v:
                yield from strings(x)

    texts = []
    for path in sorted(glob.glob(os.path.join(DATA, "**", "*.jsonl"), recursive=True)):
        with open(path, encoding="utf-8") as f:
            texts += [t for line in f if line.strip() for t in strings(json.loads(line)) if len(t) > 1]
    proc = subprocess.run(["node", os.path.join(HERE, "tokenize-server.js"), TOKENIZER], check=True,
                          input="".join(json.dumps({"text": t, "special": True}) + "\n" for t in texts),
                          capture_output=True, text=True)
    ids = []
    for line in proc.stdout.splitlines()[1:]:
        ids += json.loads(line)["ids"]
    return ids


def main():
    torch.manual_seed(7)
    torch.set_num_threads(1)
    cfg = dict(CONFIG)
    g = ref.Gen(7, "F32")
    hid, inter, H, KV = cfg["hidden_size"], cfg["intermediate_size"], cfg["num_attention_heads"], cfg["num_key_value_heads"]
    D = hid // H
    g.put("model.embed_tokens.weight", (cfg["vocab_size"], hid), 1.0)
    for i in range(cfg["num_hidden_layers"]):
        p = f"model.layers.{i}."
        g.norm(p + "input_layernorm.weight", hid, False)
        g.linear(p + "self_attn.q_proj", H * D, hid)
        g.linear(p + "self_attn.k_proj", KV * D, hid)
        g.linear(p + "self_attn.v_proj", KV * D, hid)
        g.linear(p + "self_attn.o_proj", hid, H * D)
        g.norm(p + "post_attention_layernorm.weight", hid, False)
        g.linear(p + "mlp.gate_proj", inter, hid)
        g.linear(p + "mlp.up_proj", inter, hid)
        g.linear(p + "mlp.down_proj", hid, inter)
    g.norm("model.norm.weight", hid, False)
    g.put("lm_head.weight", (cfg["vocab_size"], hid), hid ** -0.5)
    W = {k: v.clone().requires_grad_(True) for k, (_, v) in g.tensors.items()}

    ids = training_ids()
    gen = torch.Generator().manual_seed(8)
    opt = torch.optim.Adam(list(W.values()), lr=3e-3)
    n = cfg["max_position_embeddings"]
    for step in range(STEPS):
        start = int(torch.randint(0, len(ids) - n - 1, (1,), generator=gen))
        seq = ids[start:start + n + 1]
        logits = ref.forward(cfg, ref.LLAMA, W, seq[:-1])
        loss = torch.nn.functional.cross_entropy(logits, torch.tensor(seq[1:]))
        opt.zero_grad()
        loss.backward()
        opt.step()
        if step % 250 == 0 or step == STEPS - 1:
            print(f"step {step}: loss {loss.item():.3f}")

    os.makedirs(OUT, exist_ok=True)
    tensors = {k: ("F32", v.detach()) for k, v in W.items()}
    ref.write_safetensors(os.path.join(OUT, "model.safetensors"), tensors,
                          {"format": "pt", "made_by": "scripts/eval-ref/make_model.py"})
    with open(os.path.join(OUT, "config.json"), "w") as f:
        json.dump(cfg, f, indent=2)
        f.write("\n")
    shutil.copyfile(TOKENIZER, os.path.join(OUT, "tokenizer.json"))
    with open(os.path.join(OUT, "tokenizer_config.json"), "w") as f:
        json.dump({"tokenizer_class": "LlamaTokenizerFast", "bos_token": "<s>", "eos_token": "</s>",
                   "unk_token": "<unk>", "add_bos_token": True, "add_eos_token": False,
                   "model_max_length": cfg["max_position_embeddings"]}, f, indent=2)
        f.write("\n")


if __name__ == "__main__":
    main()
