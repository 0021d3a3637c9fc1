#!/bin/sh
# Stands in for lm_eval in the tests: called as fake_lm_eval.sh MODEL TASKS OUT, it writes a results file
# where lm-eval's EvaluationTracker puts it (OUT/<model name sanitized>/results_<date>.json), plus an older one.
set -e
model="$1"; tasks="$2"; out="$3"
dir="$out/$(echo "$model" | tr '/' '_')"
mkdir -p "$dir"
echo '{"results": {"old": {"acc,none": 0.1}}}' > "$dir/results_2020-01-01T00-00-00.000000.json"
touch -t 202001010000 "$dir/results_2020-01-01T00-00-00.000000.json"
cat > "$dir/results_2026-12-07T21-00-00.000000.json" <<JSON
{"results": {"$tasks": {"alias": "$tasks", "acc,none": 0.625, "acc_stderr,none": 0.125, "acc_norm,none": 0.5, "acc_norm_stderr,none": 0.1}},
 "configs": {}, "versions": {"$tasks": 1.0}, "n-shot": {"$tasks": 0}, "config": {"model": "hf"}}
JSON
echo "fake evaluator done for $model"
