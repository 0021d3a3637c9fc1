#!/usr/bin/env python3
"""Converts a `mergelab synth` Llama folder to GGUF with llama.cpp's own convert_hf_to_gguf.py, for llama-bench.

Two things of this machine stand in the way and are worked around here, nothing else is changed:
  * transformers is not installed: the converter only uses AutoConfig to read config.json, and falls back to
    reading the file itself when AutoConfig fails, so a stand-in module whose AutoConfig always fails is enough;
  * torch is Debian's 1.13, older than the converter expects: dtypes it only names in tables are stood in for;
  * the synthetic tokenizer is a WordLevel tokenizer.json the converter cannot read: the vocabulary is written
    as a plain SentencePiece-style token list (ids, names, zero scores, <unk>/<s>/</s> as control tokens), which
    is all llama-bench needs (it feeds random token ids and never tokenizes text).

Usage: /usr/bin/python3 convert_synth_to_gguf.py LLAMA_CPP_TREE MODEL_DIR OUT.gguf {f16,bf16,f32}
"""
import json
import sys
import types
from pathlib import Path

tree, model, out, outtype = sys.argv[1:5]
sys.path.insert(0, tree)
sys.path.insert(0, str(Path(tree) / "gguf-py"))


class _NoAutoConfig:
    @staticmethod
    def from_pretrained(*args, **kwargs):
        raise RuntimeError("transformers is not installed here: read config.json")


stand_in = types.ModuleType("transformers")
stand_in.AutoConfig = _NoAutoConfig
sys.modules["transformers"] = stand_in

import torch  # noqa: E402

# torch 1.13 (Debian's) lacks dtypes the converter names in lookup tables; the synthetic model uses none of them
for _name in ("float8_e4m3fn", "float8_e5m2", "float8_e8m0fnu", "uint16", "uint32", "uint64"):
    if not hasattr(torch, _name):
        setattr(torch, _name, "absent-" + _name)

import gguf  # noqa: E402
import convert_hf_to_gguf  # noqa: E402
from conversion.llama import LlamaModel  # noqa: E402


def word_level_vocab(self):
    tok = json.loads((self.dir_model / "tokenizer.json").read_text())
    n = self.hparams["vocab_size"]
    tokens = [f"[PAD{i}]" for i in range(n)]
    for name, i in tok["model"]["vocab"].items():
        if i < n:
            tokens[i] = name
    special = {a["id"] for a in tok.get("added_tokens", []) if a.get("special")}
    kinds = [gguf.TokenType.CONTROL if i in special else gguf.TokenType.NORMAL for i in range(n)]
    w = self.gguf_writer
    w.add_tokenizer_model("llama")
    w.add_tokenizer_pre("default")
    w.add_token_list(tokens)
    w.add_token_scores([0.0] * n)
    w.add_token_types(kinds)
    w.add_unk_token_id(0)
    w.add_bos_token_id(1)
    w.add_eos_token_id(2)


LlamaModel.set_vocab = word_level_vocab
sys.argv = ["convert_hf_to_gguf.py", model, "--outfile", out, "--outtype", outtype]
convert_hf_to_gguf.main()
