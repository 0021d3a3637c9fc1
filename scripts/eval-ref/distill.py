#!/usr/bin/python3
"""Copies lm-eval's own outputs of each reference run into src/test/resources/eval-ref/expected/<run>/lm-eval/
(results.json and samples_<task>.jsonl, timestamps dropped from the names) and distils one <task>.json per task
(and mmlu.json for the group) in the format README.md describes, joining lm-eval's samples with the token ids
that ref_lm.py traced for every request. Every traced log-likelihood is checked against the one lm-eval logged.

    /usr/bin/python3 scripts/eval-ref/distill.py WORK_OUT EXPECTED_DIR LM_EVAL_COMMIT
"""
import glob
import json
import os
import re
import shutil
import sys

OUT, EXPECTED, COMMIT = sys.argv[1], sys.argv[2], sys.argv[3]

DATA = {
    "arc_easy": "data/arc_easy/test.jsonl", "arc_challenge": "data/arc_challenge/test.jsonl",
    "hellaswag": "data/hellaswag/validation.jsonl", "piqa": "data/piqa/validation.jsonl",
    "winogrande": "data/winogrande/validation.jsonl", "lambada_openai": "data/lambada_openai/test.jsonl",
    "wikitext": "data/wikitext/test.jsonl", "truthfulqa_mc1": "data/truthfulqa_mc1/validation.jsonl",
    "custom_qa": "data/custom_qa/test.jsonl", "ppl_document": "data/ppl/document.txt",
}
for s in ("anatomy", "world_religions", "marketing", "sociology"):
    DATA[f"mmlu_{s}"] = f"data/mmlu/{s}/test.jsonl"
META_KEYS = ("name", "alias", "sample_len", "sample_count")


def dump(path, obj):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w", encoding="utf-8") as f:
        json.dump(obj, f, ensure_ascii=False, indent=1)
        f.write("\n")


def distil_run(run_dir, dest):
    results_file = glob.glob(os.path.join(run_dir, "lm-eval", "*", "results_*.json"))[0]
    with open(results_file, encoding="utf-8") as f:
        results = json.load(f)
    raw = os.path.join(dest, "lm-eval")
    os.makedirs(raw, exist_ok=True)
    shutil.copyfile(results_file, os.path.join(raw, "results.json"))
    trace = {}
    with open(os.path.join(run_dir, "trace.jsonl"), encoding="utf-8") as f:
        for line in f:
            t = json.loads(line)
            trace[(t["task"], t["doc_id"], t["idx"])] = t
    used = set()
    for sample_file in sorted(glob.glob(os.path.join(run_dir, "lm-eval", "*", "samples_*.jsonl"))):
        task = re.match(r"samples_(.+)_\d{4}-\d\d-\d\dT[\d.-]+\.jsonl$", os.path.basename(sample_file)).group(1)
        shutil.copyfile(sample_file, os.path.join(raw, f"samples_{task}.jsonl"))
        cfg = results["configs"][task]
        docs = []
        with open(sample_file, encoding="utf-8") as f:
            for line in f:
                s = json.loads(line)
                requests, lls, greedy = [], [], []
                for idx, resp in enumerate(s["resps"]):
                    t = trace[(task, s["doc_id"], idx)]
                    used.add((task, s["doc_id"], idx))
                    logged = float(resp[0][0]) if cfg["output_type"] != "loglikelihood_rolling" else float(resp[0])
                    if logged != t["loglikelihood"]:
                        raise SystemExit(f"{task} doc {s['doc_id']} request {idx}: trace {t['loglikelihood']!r} "
                                         f"!= lm-eval's {logged!r}")
                    lls.append(t["loglikelihood"])
                    if t["request_type"] == "loglikelihood":
                        greedy.append(t["is_greedy"])
                        requests.append({k: t[k] for k in ("context", "continuation", "context_ids",
                                                           "continuation_ids", "input_ids")})
                    else:
                        greedy.append(None)
                        requests.append({"text": t["text"], "token_ids": t["token_ids"], "windows": t["windows"]})
                doc = {"doc_id": s["doc_id"], "loglikelihoods": lls, "is_greedy": greedy}
                doc.update({m: s[m] for m in s["metrics"]})
                doc["target"] = s["target"]
                doc["requests"] = requests
                docs.append(doc)
        docs.sort(key=lambda d: d["doc_id"])
        dump(os.path.join(dest, f"{task}.json"), {
            "task": task,
            "lm_eval_commit": COMMIT,
            "data": DATA[task],
            "output_type": cfg["output_type"],
            "num_fewshot": results["n-shot"][task],
            "limit": results["config"]["limit"],
            "max_length": 128,
            "results": {k: v for k, v in results["results"][task].items() if k not in META_KEYS},
            "n-samples": results["n-samples"][task],
            "samples": docs,
        })
    missing = set(trace) - used
    if missing:
        raise SystemExit(f"traced requests with no lm-eval sample: {sorted(missing)[:5]}")
    if results.get("groups"):
        dump(os.path.join(dest, "mmlu.json"), {
            "group": "mmlu",
            "lm_eval_commit": COMMIT,
            "num_fewshot": results["n-shot"]["mmlu_anatomy"],
            "groups": {g: {k: v for k, v in m.items() if k not in META_KEYS}
                       for g, m in results["groups"].items()},
            "group_subtasks": results["group_subtasks"],
            "subtask_sizes": {t: results["n-samples"][t]["effective"] for t in results["n-samples"]
                              if t.startswith("mmlu_")},
        })


def main():
    if os.path.isdir(EXPECTED):
        shutil.rmtree(EXPECTED)
    for run in sorted(os.listdir(OUT)):
        distil_run(os.path.join(OUT, run), os.path.join(EXPECTED, run))
        print(f"{run}: distilled")


if __name__ == "__main__":
    main()
