#!/usr/bin/env bash
# Builds the harness against ggml's own sources (ggml-quants.c and the headers it includes, nothing else) and
# writes the fixtures of src/test/resources/gguf/. LLAMA: a llama.cpp tree from node-llama-cpp@3.21.1's
# llama/gitRelease.bundle (scripts/infer-bench/build-llama-cpp.sh clones it to /tmp/infb/llama.cpp).
# Flags: ggml-base (which holds ggml-quants.c) is built without -march flags, so on x86-64 there is no FMA to
# contract into; -ffp-contract=off says so explicitly. NDEBUG as in a Release build (asserts off).
# Usage: scripts/gguf-ref/build.sh [LLAMA] [OUT]
# Env: SEED (other random inputs), BLOCKS_LEGACY / BLOCKS_K (blocks per file; the committed fixtures: 96 / 32).
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
LLAMA=${1:-/tmp/infb/llama.cpp}
OUT=${2:-$HERE/../../src/test/resources/gguf}
G=$LLAMA/ggml
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
CFLAGS="-O2 -ffp-contract=off -DNDEBUG -std=gnu11 -I$G/include -I$G/src -I$G/src/ggml-cpu"
gcc $CFLAGS -c "$G/src/ggml-quants.c" -o "$WORK/ggml-quants.o"
gcc $CFLAGS "$HERE/harness.c" "$HERE/stubs.c" "$WORK/ggml-quants.o" -lm -o "$WORK/harness"
mkdir -p "$OUT"
for t in f16 bf16 q4_0 q4_1 q5_0 q5_1 q8_0; do "$WORK/harness" $t "$OUT" "${BLOCKS_LEGACY:-96}" ${SEED:-}; done
for t in q2_K q3_K q4_K q5_K q6_K; do "$WORK/harness" $t "$OUT" "${BLOCKS_K:-32}" ${SEED:-}; done
if [ -z "${SEED:-}" ]; then
  (cd "$LLAMA" && echo "llama.cpp $(git rev-parse HEAD) (node-llama-cpp@3.21.1 gitRelease.bundle)") > "$OUT/SOURCE"
fi
ls -l "$OUT"
