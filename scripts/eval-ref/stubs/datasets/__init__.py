"""A small local stand-in for Hugging Face `datasets`, enough for lm-eval's task code on local JSONL files.

lm-eval (lm_eval/api/task.py) calls `datasets.load_dataset(path=..., name=..., **dataset_kwargs)` and then
uses the splits as sequences of dict rows: len(), [i], iteration, `.features`, `.map(fn)` (hellaswag's
process_docs), `.filter`, `.select`, `.shuffle`. The real library is not in Debian; this module maps a hub
dataset (path, name) to local files through EVAL_REF_DATASETS, a JSON file written by the reference runner:
{"<path>|<name>": {"<split>": "<file.jsonl>"}}. `path="json"` with `data_files` (lm-eval's way of reading a
local file) is supported as the real library does it.
"""
import json
import os

__version__ = "2.19.0"  # below 4.0: lm-eval keeps dataset_kwargs as they are


class DownloadMode:
    REUSE_DATASET_IF_EXISTS = "reuse_dataset_if_exists"
    REUSE_CACHE_IF_EXISTS = "reuse_cache_if_exists"
    FORCE_REDOWNLOAD = "force_redownload"


class _Config:
    HF_DATASETS_TRUST_REMOTE_CODE = False


config = _Config()


def _features_of(rows):
    keys = {}
    for r in rows:
        for k in r:
            keys.setdefault(k, None)
    return keys


class Dataset:
    def __init__(self, rows):
        self._rows = [dict(r) for r in rows]

    @property
    def features(self):
        return _features_of(self._rows)

    @property
    def column_names(self):
        return list(self.features)

    @property
    def num_rows(self):
        return len(self._rows)

    def __len__(self):
        return len(self._rows)

    def __iter__(self):
        return iter([dict(r) for r in self._rows])

    def __getitem__(self, key):
        if isinstance(key, int):
            return dict(self._rows[key])
        if isinstance(key, slice):
            rows = self._rows[key]
            return {k: [r.get(k) for r in rows] for k in _features_of(rows)}
        if isinstance(key, str):
            return [r.get(key) for r in self._rows]
        raise TypeError(f"unsupported index {key!r}")

    def map(self, function, with_indices=False, remove_columns=None, batched=False, **kwargs):
        if batched:
            raise NotImplementedError("batched map is not on the reference path")
        out = []
        for i, r in enumerate(self._rows):
            new = function(dict(r), i) if with_indices else function(dict(r))
            # Like the real library: the function's columns update the row's columns.
            merged = dict(r)
            merged.update(new or {})
            for c in ([remove_columns] if isinstance(remove_columns, str) else remove_columns or []):
                merged.pop(c, None)
            out.append(merged)
        return Dataset(out)

    def filter(self, function, with_indices=False, **kwargs):
        keep = [r for i, r in enumerate(self._rows)
                if (function(dict(r), i) if with_indices else function(dict(r)))]
        return Dataset(keep)

    def select(self, indices):
        return Dataset([self._rows[i] for i in indices])

    def shuffle(self, seed=None, **kwargs):
        raise NotImplementedError("shuffle is not on the reference path (its order follows numpy's generator)")

    def to_list(self):
        return [dict(r) for r in self._rows]


class DatasetDict(dict):
    """A split the local files leave out reads as empty. lm-eval touches the training split of ARC, PIQA,
    HellaSwag and WinoGrande when it sets up its few-shot sampler, and reads it only for few-shot examples,
    which the reference runs take from MMLU's dev split alone."""

    def __missing__(self, split):
        return Dataset([])


def _read_jsonl(path):
    rows = []
    with open(path, encoding="utf-8") as f:
        for line in f:
            if line.strip():
                rows.append(json.loads(line))
    return rows


def _read_any(path):
    if path.endswith(".json"):
        with open(path, encoding="utf-8") as f:
            data = json.load(f)
        return data if isinstance(data, list) else [data]
    return _read_jsonl(path)


def load_dataset(path=None, name=None, data_files=None, split=None, **kwargs):
    if path == "json":
        files = data_files if isinstance(data_files, dict) else {"train": data_files}
        splits = {s: Dataset([r for f in ([p] if isinstance(p, str) else p) for r in _read_any(f)])
                  for s, p in files.items()}
    else:
        with open(os.environ["EVAL_REF_DATASETS"], encoding="utf-8") as f:
            table = json.load(f)
        key = f"{path}|{name}"
        if key not in table:
            raise FileNotFoundError(f"no local data for dataset {key}")
        splits = {s: Dataset(_read_any(p)) for s, p in table[key].items()}
    result = DatasetDict(splits)
    return result[split] if split is not None else result
