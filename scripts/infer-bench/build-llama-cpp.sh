#!/usr/bin/env bash
# Builds llama.cpp's llama-bench (CPU only) from the source bundle shipped in the npm package
# node-llama-cpp@3.21.1, as a peer for `mergelab bench infer`. Nothing of llama.cpp is committed here:
# the tree lives in WORK (default /tmp/infb).
# Usage: scripts/infer-bench/build-llama-cpp.sh [WORK]
set -euo pipefail
WORK=${1:-/tmp/infb}
mkdir -p "$WORK" && cd "$WORK"
if [ ! -d package ]; then
  npm pack node-llama-cpp@3.21.1
  tar xzf node-llama-cpp-3.21.1.tgz
fi
[ -d llama.cpp ] || git clone -q package/llama/gitRelease.bundle llama.cpp
mkdir -p llama.cpp/build && cd llama.cpp/build
cmake .. -DCMAKE_BUILD_TYPE=Release -DGGML_NATIVE=ON -DLLAMA_CURL=OFF -DGGML_CUDA=OFF > cmake.log
cmake --build . --target llama-bench -j2 > build.log
ls -l bin/llama-bench
