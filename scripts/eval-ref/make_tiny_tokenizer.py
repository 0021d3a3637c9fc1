#!/usr/bin/env python3
"""Writes src/test/resources/eval/tiny/tokenizer.json: a 96-token character BPE (the size of the tiny Llama in
src/test/resources/infer/llama) with a few merges that cross spaces, and a TemplateProcessing post-processor
adding <s>, so the eval tests see lm-eval's conventions (BOS, trailing-space moves, merges across the
context/continuation boundary). Run with any python3; it uses only the standard library."""
import json, os

specials = ["<unk>", "<s>", "</s>"]
chars = ["\n", " "] + [chr(c) for c in range(ord("a"), ord("z") + 1)] + [chr(c) for c in range(ord("A"), ord("Z") + 1)] \
    + [str(d) for d in range(10)] + list(".,:?!'\"-();_")
merges = [(" ", "t"), ("h", "e"), (" t", "he"), ("i", "n"), (" ", "a"), ("e", "r"), ("A", "n"), ("s", "w"),
          ("An", "sw"), ("Answ", "er"), ("Answer", ":"), ("o", "n"), (" ", "o"), ("r", "e"), ("a", "t"), (" ", "s"),
          ("\n", "\n")]
vocab = {}
for t in specials + chars:
    vocab[t] = len(vocab)
for a, b in merges:
    vocab[a + b] = len(vocab)
assert len(vocab) == 96, len(vocab)
tok = {
    "version": "1.0",
    "truncation": None,
    "padding": None,
    "added_tokens": [{"id": i, "content": t, "single_word": False, "lstrip": False, "rstrip": False,
                      "normalized": False, "special": True} for i, t in enumerate(specials)],
    "normalizer": None,
    "pre_tokenizer": None,
    "post_processor": {
        "type": "TemplateProcessing",
        "single": [{"SpecialToken": {"id": "<s>", "type_id": 0}}, {"Sequence": {"id": "A", "type_id": 0}}],
        "pair": [{"SpecialToken": {"id": "<s>", "type_id": 0}}, {"Sequence": {"id": "A", "type_id": 0}},
                 {"Sequence": {"id": "B", "type_id": 1}}],
        "special_tokens": {"<s>": {"id": "<s>", "ids": [1], "tokens": ["<s>"]}},
    },
    "decoder": None,
    "model": {"type": "BPE", "dropout": None, "unk_token": "<unk>", "continuing_subword_prefix": None,
              "end_of_word_suffix": None, "fuse_unk": False, "byte_fallback": False, "ignore_merges": False,
              "vocab": vocab, "merges": [[a, b] for a, b in merges]},
}
out = os.path.join(os.path.dirname(__file__), "../../src/test/resources/eval/tiny")
with open(os.path.join(out, "tokenizer.json"), "w") as f:
    json.dump(tok, f, ensure_ascii=False, indent=1)
with open(os.path.join(out, "tokenizer_config.json"), "w") as f:
    json.dump({"bos_token": "<s>", "eos_token": "</s>", "unk_token": "<unk>",
               "model_max_length": 1000000000000000019884624838656}, f, indent=1)
