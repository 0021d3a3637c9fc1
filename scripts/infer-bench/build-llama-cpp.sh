#!/usr/bin/env bash
# llama.cpp's llama-bench (CPU), as a peer for `mergelab bench infer`. Nothing of llama.cpp is committed here:
# everything lives in WORK (default /tmp/infb).
#
# The source is the bundle shipped in the npm package node-llama-cpp@3.21.1 (llama/gitRelease.bundle).
# Default: compile only tools/llama-bench (two files) against the same release's libraries prebuilt in
# @node-llama-cpp/linux-x64@3.21.1 (libllama, libggml, libllama-common and the CPU backend variants; ggml
# picks the variant for this CPU at run time, e.g. sapphirerapids). --from-source: the full cmake build
# (-DGGML_NATIVE=ON -DLLAMA_CURL=OFF -DGGML_CUDA=OFF, target llama-bench), over an hour on two busy cores.
# Usage: scripts/infer-bench/build-llama-cpp.sh [WORK] [--from-source]   -> prints the llama-bench path
set -euo pipefail
WORK=${1:-/tmp/infb}
"$(dirname "$0")/../fetch-llama-cpp.sh" "$WORK" >/dev/null
cd "$WORK"
if [ "${2:-}" = "--from-source" ]; then
  mkdir -p llama.cpp/build && cd llama.cpp/build
  cmake .. -DCMAKE_BUILD_TYPE=Release -DGGML_NATIVE=ON -DLLAMA_CURL=OFF -DGGML_CUDA=OFF > cmake.log
  cmake --build . --target llama-bench -j2 > build.log
  echo "$PWD/bin/llama-bench"
  exit 0
fi
B=$WORK/nlc/package/bins/linux-x64
L=$WORK/llama.cpp
mkdir -p lb && cd lb
ln -sf "$B/libllama.v0.4.0.so" libllama.so
ln -sf "$B/libggml.v0.4.0.so" libggml.so
for f in "$B"/libggml-cpu-*.so; do ln -sf "$f" .; done   # ggml looks for CPU backends beside the executable
g++ -O2 -DNDEBUG -std=c++17 -I "$L/include" -I "$L/ggml/include" -I "$L/common" -I "$L/vendor" -I "$L/tools/llama-bench" \
    "$L/tools/llama-bench/llama-bench.cpp" "$L/tools/llama-bench/main.cpp" \
    -L. -L "$B" -lllama -lggml -lggml-base -lllama-common -Wl,-rpath,"$B" -o llama-bench
echo "$PWD/llama-bench"
