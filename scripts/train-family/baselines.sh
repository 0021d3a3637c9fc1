#!/usr/bin/env bash
# Scores the family and its hand-made recipes with `mergelab eval` on each domain's held-out (or dev) text and
# prints bits per byte per domain and their mean as a Markdown table.
# Usage (from anywhere): scripts/train-family/baselines.sh [heldout|dev] [MODEL_OR_RECIPE...]
# Without models: base, each child, and every recipe in examples/domains/recipes/.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$root"
split="${1:-heldout}"
shift || true
fam=examples/domains
models=("$@")
if [ ${#models[@]} -eq 0 ]; then
  models=("$fam/models/base")
  for d in "$fam"/models/*/; do d="${d%/}"; [ "$d" = "$fam/models/base" ] || models+=("$d"); done
  models+=("$fam"/recipes/*.yml)
fi
tasks=""
for f in "$fam/$split"/*.txt; do tasks="$tasks${tasks:+,}ppl:$f"; done
json="$(mktemp)"
trap 'rm -f "$json"' EXIT
./mergelab eval "${models[@]}" --tasks "$tasks" --threads "${THREADS:-2}" --json > "$json"
python3 - "$json" "$split" <<'PY'
import json, os, sys
data = json.load(open(sys.argv[1]))
rows = data["models"] if "models" in data else [data]
domains = None
print(f"bits per byte on {sys.argv[2]} text (lower is better)\n")
for r in rows:
    res = r["results"]
    names = sorted(res)
    if domains is None:
        domains = [n[len("ppl_"):] for n in names]
        print("| model | " + " | ".join(domains) + " | mean |")
        print("|---" * (len(domains) + 2) + "|")
    vals = [res["ppl_" + d]["bits_per_byte,none"] for d in domains]
    name = os.path.relpath(r["model"]) if os.path.exists(r["model"]) else r["model"]
    print(f"| {name} | " + " | ".join(f"{v:.4f}" for v in vals) + f" | {sum(vals) / len(vals):.4f} |")
PY
