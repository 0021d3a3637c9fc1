#!/usr/bin/env bash
# Fuzzes one parser with Jazzer (coverage-guided, libFuzzer engine) for its @FuzzTest maxDuration (5 minutes).
# Plain `mvn test` only replays the seed corpus; this is the real fuzzing run. Findings are written by
# Jazzer into the parser's seed folder src/test/resources/fuzz/<parser>/ (through the Inputs link), where
# every later `mvn test` replays them. The generated corpus stays in .cifuzz-corpus/ (ignored by git).
# Usage: scripts/fuzz.sh safetensors|shard-index|config|tokenizer|recipe|pickle|gguf|imatrix   (one at a time: it uses a core)
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
. "$here/scripts/find-jdk.sh"
case "${1:-}" in
  safetensors) t='dev.mergelab.format.SafetensorsFuzzTest#file' ;;
  shard-index) t='dev.mergelab.format.ShardIndexFuzzTest#index' ;;
  config) t='dev.mergelab.model.ModelConfigFuzzTest#config' ;;
  tokenizer) t='dev.mergelab.model.TokenizerFuzzTest#summary' ;;
  recipe) t='dev.mergelab.recipe.RecipeFuzzTest#recipe' ;;
  pickle) t='dev.mergelab.format.pickle.PickleFuzzTest#checkpoint' ;;
  gguf) t='dev.mergelab.format.gguf.GgufFuzzTest#file' ;;
  imatrix) t='dev.mergelab.format.gguf.ImatrixFuzzTest#file' ;;
  *) echo "usage: scripts/fuzz.sh safetensors|shard-index|config|tokenizer|recipe|pickle|gguf|imatrix" >&2; exit 2 ;;
esac
cd "$here"
status=0
JAZZER_FUZZ=1 mvn -B -q test -Dtest="$t" -Dsurefire.failIfNoSpecifiedTests=false || status=$?
report="$(ls target/surefire-reports/"${t%%#*}"-output.txt 2>/dev/null || true)"
if [ -n "$report" ]; then
  # libFuzzer's last status lines: executions, coverage, exec/s; then any finding.
  grep -E '^#[0-9]+|DONE|Done [0-9]+ runs|== Java Exception|FuzzTestFinding|crash-' "$report" | tail -n 8
fi
exit $status
