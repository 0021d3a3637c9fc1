#!/usr/bin/env python3
"""llama.cpp's convert_hf_to_gguf.py with its vocabulary step, for GgufVocabularyConverterTest.

Like convert_ref.py, but set_vocab runs: the converter's own code (get_vocab_base, get_vocab_base_pre's hash table,
LlamaHfVocab, SpecialVocab) chooses every tokenizer.* key. This machine has no transformers, so AutoTokenizer is a
stand-in that answers what the converter asks of a fast tokenizer from the folder's tokenizer.json and
tokenizer_config.json, and encodes and decodes with the Rust tokenizers library (npm tokenizers 0.23.2 through
tokenizer_peer.js), which is what a fast tokenizer runs. What the stand-in does not do: transformers' tokenizer classes
that rewrite the post-processor from add_bos_token (LlamaTokenizerFast) are not imitated; the file's post-processor is
used as PreTrainedTokenizerFast uses it. A folder with tokenizer.model is not supported (no sentencepiece here).

Usage: /usr/bin/python3 convert_vocab_ref.py LLAMA_TREE MODEL_DIR OUT.gguf
"""
import json
import os
import subprocess
import sys
import types

tree, model, out = sys.argv[1:4]
sys.path.insert(0, tree)
sys.path.insert(0, tree + "/gguf-py")
HERE = os.path.dirname(os.path.abspath(__file__))


class _Peer:
    """The Rust library over a pipe: one node process per tokenizer.json."""

    def __init__(self, tokenizer_json):
        self.proc = subprocess.Popen(["node", os.path.join(HERE, "tokenizer_peer.js"), tokenizer_json],
                                     stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, encoding="utf-8")

    def ask(self, query):
        self.proc.stdin.write(json.dumps(query) + "\n")
        self.proc.stdin.flush()
        line = self.proc.stdout.readline()
        if not line:
            raise RuntimeError("tokenizer_peer.js stopped")
        return json.loads(line)


class _AddedToken:
    def __init__(self, entry):
        self.content = entry["content"]
        self.special = entry.get("special", False)
        self.normalized = entry.get("normalized", True)


def _content(value):
    if isinstance(value, dict):
        return value.get("content")
    return value


# transformers' clean_up_tokenization
_CLEAN_UP = [(" .", "."), (" ?", "?"), (" !", "!"), (" ,", ","), (" ' ", "'"), (" n't", "n't"), (" 'm", "'m"),
             (" 's", "'s"), (" 've", "'ve"), (" 're", "'re")]


class _FastTokenizer:
    """What convert_hf_to_gguf.py and gguf-py's LlamaHfVocab read from a fast tokenizer."""

    is_fast = True

    def __init__(self, folder):
        path = os.path.join(folder, "tokenizer.json")
        with open(path, encoding="utf-8") as f:
            self._json = json.load(f)
        config_path = os.path.join(folder, "tokenizer_config.json")
        self._config = {}
        if os.path.isfile(config_path):
            with open(config_path, encoding="utf-8") as f:
                self._config = json.load(f)
        self._peer = _Peer(path)
        model_vocab = self._json["model"]["vocab"]
        self.vocab_size = len(model_vocab)  # backend get_vocab_size(with_added_tokens=False)
        self.vocab = dict(model_vocab)
        self.added_tokens_decoder = {}
        for entry in self._json.get("added_tokens", []):
            self.vocab[entry["content"]] = entry["id"]
            self.added_tokens_decoder[entry["id"]] = _AddedToken(entry)
        named = []
        for typ in ("bos", "eos", "unk", "sep", "pad", "cls", "mask"):
            c = _content(self._config.get(typ + "_token"))
            if c is not None:
                named.append(c)
        for extra in self._config.get("additional_special_tokens", []) or []:
            named.append(_content(extra))
        self.all_special_tokens = list(dict.fromkeys(named))
        self.all_special_ids = [self.vocab[t] for t in self.all_special_tokens if t in self.vocab]

    def get_vocab(self):
        return dict(self.vocab)

    def get_added_vocab(self):
        return {t.content: i for i, t in sorted(self.added_tokens_decoder.items())}

    def encode(self, text, add_special_tokens=True):
        return self._peer.ask({"encode": text, "special": add_special_tokens})["ids"]

    def decode(self, ids):
        text = self._peer.ask({"decode": list(ids)})["text"]
        if self._config.get("clean_up_tokenization_spaces", False):
            for a, b in _CLEAN_UP:
                text = text.replace(a, b)
        return text


class _AutoTokenizer:
    @staticmethod
    def from_pretrained(folder, *args, **kwargs):
        return _FastTokenizer(str(folder))


class _NoAutoConfig:
    @staticmethod
    def from_pretrained(*args, **kwargs):
        raise RuntimeError("transformers is not installed here: read config.json")


stand_in = types.ModuleType("transformers")
stand_in.AutoConfig = _NoAutoConfig
stand_in.AutoTokenizer = _AutoTokenizer
sys.modules["transformers"] = stand_in


class _NoSentencePiece:
    def __init__(self, *args, **kwargs):
        raise RuntimeError("sentencepiece is not installed here")


sentencepiece = types.ModuleType("sentencepiece")
sentencepiece.SentencePieceProcessor = _NoSentencePiece
sys.modules["sentencepiece"] = sentencepiece

import torch  # noqa: E402

for _name in ("float8_e4m3fn", "float8_e5m2", "float8_e8m0fnu", "uint16", "uint32", "uint64"):
    if not hasattr(torch, _name):
        setattr(torch, _name, "absent-" + _name)

import convert_hf_to_gguf  # noqa: E402

sys.argv = ["convert_hf_to_gguf.py", model, "--outfile", out, "--outtype", "f32"]
convert_hf_to_gguf.main()
