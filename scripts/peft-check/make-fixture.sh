#!/usr/bin/env bash
# Builds the inputs of the PEFT/Transformers cross-check (scripts/peft-check/crosscheck.py) with the real
# CLI: a tiny float32 Llama family, adapters extracted from it, `lora merge` and `lora apply` outputs, and
# a full-model merge. Output: target-peft/ (git-ignored). Run from the repository root.
set -euo pipefail
F=target-peft
rm -rf "$F" && mkdir -p "$F/ours"
ml() { ./mergelab "$@" 2>&1 | grep -v '^WARNING: Using incubator' || true; }
ml synth --size tiny --dtype float32 --fine-tunes 2 "$F/family" >/dev/null
B="$F/family/base"
# Full rank, embeddings as LoRA: PEFT's merge_and_unload of it must give back ft1.
ml lora extract --quiet --base "$B" --model "$F/family/ft1" --rank 64 --embed-lora --dtype float32 "$F/ours/extract-full"
# Rank 8 with embeddings/lm_head/norms saved whole (modules_to_save).
ml lora extract --quiet --base "$B" --model "$F/family/ft1" --rank 8 --dtype float32 "$F/ours/extract-r8"
ml lora apply "$B" "$F/ours/extract-r8" "$F/ours/apply-extract-r8" | tail -1
# Two plain rank-8 adapters (attention and MLP only) for `lora merge`.
for ft in ft1 ft2; do
  ml lora extract --quiet --base "$B" --model "$F/family/$ft" --rank 8 --dtype float32 --skip-undecomposable \
     -e embed_tokens -e lm_head "$F/ours/plain-$ft"
done
for t in linear cat svd ties ties_svd magnitude_prune magnitude_prune_svd dare_linear dare_ties; do
  cat > "$F/ours/lmerge-$t.yml" <<YML
base_model: $B
combination_type: $t
adapters:
  - {adapter: $F/ours/plain-ft1, weight: 0.7}
  - {adapter: $F/ours/plain-ft2, weight: 0.5}
density: 0.5
majority_sign_method: total
dtype: float32
YML
  ml lora merge "$F/ours/lmerge-$t.yml" "$F/ours/lmerge-$t"
done
cat > "$F/ours/merge-ties.yml" <<YML
merge_method: ties
base_model: $B
models:
  - model: $F/family/ft1
    parameters: {weight: 0.6, density: 0.5}
  - model: $F/family/ft2
    parameters: {weight: 0.4, density: 0.5}
dtype: bfloat16
YML
ml merge "$F/ours/merge-ties.yml" "$F/ours/merge-ties" | tail -1
# GPT-2 (Conv1D layers): a fine-tune made by applying PEFT's reference adapter, then extracted again.
G=src/test/resources/peft/gpt2
ml lora apply "$G/base" "$G/adapter" "$F/ours/gpt2-ft" | tail -1
ml lora extract --quiet --base "$G/base" --model "$F/ours/gpt2-ft" --rank 4 --dtype float32 "$F/ours/gpt2-extract"
ls "$F/ours"
