#!/usr/bin/env python3
"""llama.cpp's convert_hf_to_gguf.py, run unchanged on a model folder, for GgufConverterAgreementTest.

This machine lacks what the converter imports only to read tokenizers (transformers, sentencepiece) and has
Debian's torch 1.13, older than the converter expects. So: a stand-in transformers module whose AutoConfig fails
(the converter then reads config.json itself), stand-ins for torch dtypes it only names in tables, and the
vocabulary step (set_vocab) left out, since it needs transformers' AutoTokenizer. Everything else (general.*
metadata, hyper-parameters, tensor names, order, permutations, rope_freqs, data) is the converter's own.
MergeLab's tokenizer keys are checked against llama.cpp's tokenizer instead (GgufLlamaCppTest).

Usage: /usr/bin/python3 convert_ref.py LLAMA_TREE MODEL_DIR OUT.gguf {f32,f16,bf16}
"""
import sys
import types

tree, model, out, outtype = sys.argv[1:5]
sys.path.insert(0, tree)
sys.path.insert(0, tree + "/gguf-py")


class _NoAutoConfig:
    @staticmethod
    def from_pretrained(*args, **kwargs):
        raise RuntimeError("transformers is not installed here: read config.json")


stand_in = types.ModuleType("transformers")
stand_in.AutoConfig = _NoAutoConfig
sys.modules["transformers"] = stand_in

import torch  # noqa: E402

for _name in ("float8_e4m3fn", "float8_e5m2", "float8_e8m0fnu", "uint16", "uint32", "uint64"):
    if not hasattr(torch, _name):
        setattr(torch, _name, "absent-" + _name)

import convert_hf_to_gguf  # noqa: E402
import importlib  # noqa: E402

for _name in ("base", "llama", "qwen", "gemma", "phi", "olmo", "granite"):
    importlib.import_module("conversion." + _name)


def _no_vocab(self):
    pass


# every class that defines set_vocab, in every conversion module loaded
for _module in list(sys.modules.values()):
    if getattr(_module, "__name__", "").startswith("conversion"):
        for _value in list(vars(_module).values()):
            if isinstance(_value, type) and "set_vocab" in vars(_value):
                _value.set_vocab = _no_vocab

sys.argv = ["convert_hf_to_gguf.py", model, "--outfile", out, "--outtype", outtype]
convert_hf_to_gguf.main()
