#!/usr/bin/env bash
# Compiles llama.cpp's own llama-quantize and llama-imatrix from the llama.cpp tree (tools/quantize/quantize.cpp +
# main.cpp, tools/imatrix/imatrix.cpp) against node-llama-cpp 3.21.1's prebuilt libllama-common, libllama and libggml
# (the same release: scripts/fetch-llama-cpp.sh fetches both), plus weighted_quant_check.c against libggml-base.
# g++/gcc only, no cmake: about 15 s. export.GgufImatrixTest and format.gguf.WeightedQuantsTest do the same themselves.
# Usage: scripts/imatrix-ref/build.sh [LLAMA_TREE] [NLC_BINS] [OUT_DIR]
# Then, for example (run in NLC_BINS, where ggml finds its CPU backends):
#   (cd NLC_BINS && OUT_DIR/llama-imatrix -m model-f32.gguf -f text.txt -o imatrix.gguf -c 64 --chunks 8 --process-output)
#   OUT_DIR/llama-quantize --imatrix imatrix.gguf model-f32.gguf model-q4_k_m.gguf Q4_K_M
set -euo pipefail
tree="${1:-${LLAMA_CPP_DIR:-/tmp/infb/llama.cpp}}"
bins="${2:-${NLC_BINS:-/tmp/infb/nlc/package/bins/linux-x64}}"
out="${3:-/tmp/imatrix-ref}"
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
mkdir -p "$out"
inc=(-I"$tree/common" -I"$tree/include" -I"$tree/ggml/include" -I"$tree/vendor")
libs=(-L"$bins" -l:libllama-common.so -l:libllama.v0.4.0.so -l:libggml.v0.4.0.so -lggml-base -Wl,-rpath,"$bins")
g++ -std=c++17 -O2 "${inc[@]}" "$tree/tools/quantize/quantize.cpp" "$tree/tools/quantize/main.cpp" "${libs[@]}" -o "$out/llama-quantize"
g++ -std=c++17 -O2 "${inc[@]}" "$tree/tools/imatrix/imatrix.cpp" "${libs[@]}" -o "$out/llama-imatrix"
gcc -O2 -I"$tree/ggml/include" "$here/weighted_quant_check.c" -L"$bins" -lggml-base -Wl,-rpath,"$bins" -o "$out/weighted_quant_check"
echo "built $out/llama-quantize, $out/llama-imatrix, $out/weighted_quant_check"
