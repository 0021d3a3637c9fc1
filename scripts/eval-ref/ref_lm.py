"""`mergelab-ref`: an lm-eval model (a TemplateLM, so lm-eval's own request building runs) whose tokenizer is the
Rust tokenizers library (npm `tokenizers`, through tokenize-server.js) and whose scores come from the float64
forward pass of scripts/infer-ref/reference.py.

What lm-eval code runs, and what is mirrored from its HF model (lm_eval/models/huggingface.py, the backend a
MergeLab user compares with):
- TemplateLM.loglikelihood and _encode_pair (lm_eval/api/model.py): trailing context spaces move to the
  continuation, context+continuation encoded whole and split, an empty context becomes [prefix_token_id].
- utils.get_rolling_token_windows / utils.make_disjoint_window (lm_eval/utils.py) for loglikelihood_rolling, with
  the arguments HFLM.loglikelihood_rolling passes: prefix_token=prefix_token_id, max_seq_len=max_length,
  context_len=1, token_list=tok_encode(string) (default special tokens, so BOS included).
- Mirrored from HFLM: tok_encode (the tokenizer's default special tokens unless told; none when the string
  already starts with the decoded prefix token), prefix_token_id (BOS, else EOS), max_length (the config's
  max_position_embeddings), and _loglikelihood_tokens' left truncation: input = (context + continuation)
  [-(max_length + 1):][:-1]; the continuation is scored on the last len(continuation) positions; is_greedy means
  every continuation token is the argmax.

Every request is also written to a trace (EVAL_REF_TRACE, JSONL) with its token ids, so the fixtures can say
exactly which sequence each number came from.
"""
import json
import os
import struct
import subprocess

import numpy as np
import torch
import torch.nn.functional as F
from tqdm import tqdm

from lm_eval import utils
from lm_eval.api.model import TemplateLM
from lm_eval.api.registry import register_model

import importlib.util

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
_spec = importlib.util.spec_from_file_location("infer_reference", os.path.join(ROOT, "scripts", "infer-ref", "reference.py"))
reference = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(reference)

torch.set_default_dtype(torch.float64)


def read_safetensors_f32(path):
    with open(path, "rb") as f:
        n = struct.unpack("<Q", f.read(8))[0]
        header = json.loads(f.read(n))
        data = f.read()
    out = {}
    for name, e in header.items():
        if name == "__metadata__":
            continue
        assert e["dtype"] == "F32", name
        a, b = e["data_offsets"]
        arr = np.frombuffer(data[a:b], dtype="<f4").reshape(e["shape"])
        out[name] = torch.from_numpy(arr.astype(np.float64))
    return out


class RustTokenizer:
    def __init__(self, tokenizer_json):
        self.proc = subprocess.Popen(["node", os.path.join(HERE, "tokenize-server.js"), tokenizer_json],
                                     stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, encoding="utf-8")
        hello = json.loads(self.proc.stdout.readline())
        self.version = hello["tokenizers"]

    def _ask(self, req):
        self.proc.stdin.write(json.dumps(req) + "\n")
        self.proc.stdin.flush()
        return json.loads(self.proc.stdout.readline())

    def encode(self, text, add_special_tokens=True):
        return self._ask({"text": text, "special": add_special_tokens})["ids"]

    def decode(self, ids):
        if isinstance(ids, int):
            ids = [ids]
        return self._ask({"decode": ids})["text"]


@register_model("mergelab-ref")
class MergeLabReferenceLM(TemplateLM):
    def __init__(self, pretrained, add_bos_token=None, **kwargs):
        super().__init__()
        with open(os.path.join(pretrained, "config.json")) as f:
            self.config = json.load(f)
        self.weights = read_safetensors_f32(os.path.join(pretrained, "model.safetensors"))
        self.tokenizer = RustTokenizer(os.path.join(pretrained, "tokenizer.json"))
        self.add_bos_token = add_bos_token
        self.trace = open(os.environ["EVAL_REF_TRACE"], "w", encoding="utf-8")
        self._instances = None

    # --- mirrored from HFLM (lm_eval/models/huggingface.py) ---
    @property
    def eot_token_id(self):
        return self.config["eos_token_id"]

    @property
    def prefix_token_id(self):
        bos = self.config.get("bos_token_id")
        return bos if bos is not None else self.config["eos_token_id"]

    @property
    def max_length(self):
        return self.config["max_position_embeddings"]

    def tok_encode(self, string, add_special_tokens=None, left_truncate_len=None, **kwargs):
        if add_special_tokens is not None:
            special = add_special_tokens
        elif self.add_bos_token is not None:
            special = self.add_bos_token
        else:
            special = True  # the tokenizer's default (Transformers: add_special_tokens=True)
        if add_special_tokens is None and string.startswith(self.tokenizer.decode(self.prefix_token_id)):
            special = False
        enc = self.tokenizer.encode(string, special)
        if left_truncate_len:
            enc = enc[-left_truncate_len:]
        return enc

    def _score(self, context_enc, continuation_enc):
        assert len(context_enc) > 0 and len(continuation_enc) > 0
        assert len(continuation_enc) <= self.max_length
        inp = (context_enc + continuation_enc)[-(self.max_length + 1):][:-1]
        with torch.no_grad():
            logits = F.log_softmax(reference.forward(self.config, reference.LLAMA, self.weights, inp), dim=-1)
        contlen = len(continuation_enc)
        logits = logits[len(inp) - contlen:len(inp)]
        greedy = bool((logits.argmax(dim=-1) == torch.tensor(continuation_enc)).all())
        logprob = float(torch.gather(logits, 1, torch.tensor(continuation_enc)[:, None]).sum())
        return logprob, greedy, inp

    def _loglikelihood_tokens(self, requests, disable_tqdm=False, override_bs=None):
        res = []
        for i, (request_str, context_enc, continuation_enc) in enumerate(tqdm(requests, disable=disable_tqdm)):
            logprob, greedy, inp = self._score(context_enc, continuation_enc)
            res.append((logprob, greedy))
            if request_str is not None:
                self.cache_hook.add_partial("loglikelihood", request_str, (logprob, greedy))
                inst = self._instances[i]
                self._write({"task": inst.task_name, "doc_id": inst.doc_id, "idx": inst.idx,
                             "request_type": "loglikelihood", "context": request_str[0],
                             "continuation": request_str[1], "context_ids": context_enc,
                             "continuation_ids": continuation_enc, "input_ids": inp,
                             "loglikelihood": logprob, "is_greedy": greedy})
        return res

    def loglikelihood(self, requests, disable_tqdm=False):
        self._instances = requests
        return super().loglikelihood(requests, disable_tqdm=disable_tqdm)

    def loglikelihood_rolling(self, requests, disable_tqdm=False):
        out = []
        for inst in tqdm(requests, disable=disable_tqdm):
            (string,) = inst.args
            token_list = self.tok_encode(string)
            windows = list(map(utils.make_disjoint_window, utils.get_rolling_token_windows(
                token_list=token_list, prefix_token=self.prefix_token_id, max_seq_len=self.max_length,
                context_len=1)))
            total = 0.0
            traced = []
            for context_enc, continuation_enc in windows:
                logprob, _, inp = self._score(context_enc, continuation_enc)
                total += logprob
                traced.append({"context_ids": context_enc, "continuation_ids": continuation_enc,
                               "input_ids": inp, "loglikelihood": logprob})
            out.append(total)
            self.cache_hook.add_partial("loglikelihood_rolling", (string,), total)
            self._write({"task": inst.task_name, "doc_id": inst.doc_id, "idx": inst.idx,
                         "request_type": "loglikelihood_rolling", "text": string, "token_ids": token_list,
                         "windows": traced, "loglikelihood": total})
        return out

    def generate_until(self, requests, disable_tqdm=False):
        raise NotImplementedError("generation is not part of the reference fixtures")

    def _write(self, row):
        self.trace.write(json.dumps(row, ensure_ascii=False) + "\n")
        self.trace.flush()
