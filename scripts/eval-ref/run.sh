#!/usr/bin/env bash
# Regenerates src/test/resources/eval-ref/ (model, data, lm-eval's outputs, distilled expected.json files)
# by running lm-evaluation-harness's own code at a pinned commit. See src/test/resources/eval-ref/README.md.
#
#   LM_EVAL_GIT=<a git clone of EleutherAI/lm-evaluation-harness> scripts/eval-ref/run.sh
#
# Needs Debian's python3-torch, python3-yaml, python3-tqdm, python3-numpy plus the packages below, node, and
# the Rust tokenizers binding from scripts/tokenizer-ref (npm ci there).
set -euo pipefail
HERE="$(cd "$(dirname "$0")" && pwd)"
ROOT="$(cd "$HERE/../.." && pwd)"
RES="$ROOT/src/test/resources/eval-ref"
LM_EVAL_COMMIT=4e7e0d47f33bc71070c1d38394bafbb52b117163
LM_EVAL_GIT="${LM_EVAL_GIT:-/work/.mirror/EleutherAI+lm-evaluation-harness/repo}"
WORK="${TMPDIR:-/tmp}/eval-ref-work"
PY=/usr/bin/python3

missing=()
for m in more_itertools dill zstandard sqlitedict jinja2 pandas yaml tqdm torch numpy packaging; do
  "$PY" -c "import $m" 2>/dev/null || missing+=("$m")
done
if ((${#missing[@]})); then
  echo "installing Debian packages for: ${missing[*]}"
  apt-get install -y python3-more-itertools python3-dill python3-zstandard python3-sqlitedict python3-jinja2 \
    python3-pandas python3-yaml python3-tqdm python3-torch python3-numpy python3-packaging >/dev/null
fi
[ -d "$ROOT/scripts/tokenizer-ref/node_modules/tokenizers" ] || (cd "$ROOT/scripts/tokenizer-ref" && npm ci)

rm -rf "$WORK" && mkdir -p "$WORK"
git clone -q "$LM_EVAL_GIT" "$WORK/lm-eval"
git -C "$WORK/lm-eval" checkout -q "$LM_EVAL_COMMIT"

# lm-eval's real task YAMLs (and their Python helpers) for the tasks under test, copied from the pinned commit.
T="$WORK/lm-eval/lm_eval/tasks"
mkdir -p "$WORK/tasks/mmlu"
cp "$T/arc/arc_easy.yaml" "$T/arc/arc_challenge.yaml" "$T/hellaswag/hellaswag.yaml" "$T/hellaswag/utils.py" \
   "$T/piqa/piqa.yaml" "$T/lambada/lambada_openai.yaml" "$T/truthfulqa/truthfulqa_mc1.yaml" "$WORK/tasks/"
mkdir -p "$WORK/tasks/winogrande" "$WORK/tasks/wikitext"
cp "$T/winogrande/default.yaml" "$T/winogrande/preprocess_winogrande.py" "$WORK/tasks/winogrande/"
cp "$T/wikitext/wikitext.yaml" "$T/wikitext/preprocess_wikitext.py" "$WORK/tasks/wikitext/"
cp "$T/mmlu/default/_default_template_yaml" "$T/mmlu/default/_mmlu.yaml" "$T/mmlu/default/_mmlu_stem.yaml" \
   "$T/mmlu/default/_mmlu_humanities.yaml" "$T/mmlu/default/_mmlu_other.yaml" \
   "$T/mmlu/default/_mmlu_social_sciences.yaml" "$T/mmlu/default/mmlu_anatomy.yaml" \
   "$T/mmlu/default/mmlu_world_religions.yaml" "$T/mmlu/default/mmlu_marketing.yaml" \
   "$T/mmlu/default/mmlu_sociology.yaml" "$WORK/tasks/mmlu/"
# MergeLab's own task YAMLs beside them (lm-eval takes one --include_path).
mkdir -p "$WORK/tasks/mergelab"
cp "$RES/tasks/"*.yaml "$HERE/tasks/"* "$WORK/tasks/mergelab/"

"$PY" "$HERE/make_data.py" "$RES/data"
"$PY" "$HERE/make_model.py" "$RES/model" "$RES/data"

D="$RES/data"
cat > "$WORK/datasets.json" <<JSON
{
  "allenai/ai2_arc|ARC-Easy": {"test": "$D/arc_easy/test.jsonl"},
  "allenai/ai2_arc|ARC-Challenge": {"test": "$D/arc_challenge/test.jsonl"},
  "Rowan/hellaswag|None": {"validation": "$D/hellaswag/validation.jsonl"},
  "baber/piqa|None": {"validation": "$D/piqa/validation.jsonl"},
  "allenai/winogrande|winogrande_xl": {"validation": "$D/winogrande/validation.jsonl"},
  "EleutherAI/lambada_openai|default": {"test": "$D/lambada_openai/test.jsonl"},
  "EleutherAI/wikitext_document_level|wikitext-2-raw-v1": {"test": "$D/wikitext/test.jsonl"},
  "cais/mmlu|anatomy": {"test": "$D/mmlu/anatomy/test.jsonl", "dev": "$D/mmlu/anatomy/dev.jsonl"},
  "cais/mmlu|world_religions": {"test": "$D/mmlu/world_religions/test.jsonl", "dev": "$D/mmlu/world_religions/dev.jsonl"},
  "cais/mmlu|marketing": {"test": "$D/mmlu/marketing/test.jsonl", "dev": "$D/mmlu/marketing/dev.jsonl"},
  "cais/mmlu|sociology": {"test": "$D/mmlu/sociology/test.jsonl", "dev": "$D/mmlu/sociology/dev.jsonl"},
  "truthfulqa/truthful_qa|multiple_choice": {"validation": "$D/truthfulqa_mc1/validation.jsonl"}
}
JSON

export PYTHONPATH="$HERE:$HERE/stubs:$WORK/lm-eval"
export EVAL_REF_DATASETS="$WORK/datasets.json"
export HF_DATASETS_OFFLINE=1 HF_HUB_OFFLINE=1 TOKENIZERS_PARALLELISM=false

run() {  # run NAME lm-eval-arguments...
  local name="$1"; shift
  mkdir -p "$WORK/out/$name"
  # lm-eval resolves a custom task's data_files against the working directory: start it in the tasks folder.
  (cd "$RES/tasks" && EVAL_REF_TRACE="$WORK/out/$name/trace.jsonl" "$PY" "$HERE/lm_eval_cli.py" run \
      --model mergelab-ref --model_args "pretrained=$RES/model" --batch_size 1 --seed 1234 \
      --include_path "$WORK/tasks" \
      --output_path "$WORK/out/$name/lm-eval" --log_samples "$@") 2>&1 | tee "$WORK/out/$name/log.txt"
}
ALL=arc_easy,arc_challenge,hellaswag,piqa,winogrande,lambada_openai,wikitext,mmlu,truthfulqa_mc1,custom_qa,ppl_document
run zeroshot --tasks "$ALL"
run mmlu_2shot --tasks mmlu --num_fewshot 2
run limit2 --tasks arc_easy,hellaswag,wikitext --limit 2

[ -n "${SKIP_DISTILL:-}" ] || "$PY" "$HERE/distill.py" "$WORK/out" "$RES/expected" "$LM_EVAL_COMMIT"
