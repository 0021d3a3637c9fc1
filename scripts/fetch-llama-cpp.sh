#!/usr/bin/env bash
# llama.cpp as a peer, without building it: the source tree of the release node-llama-cpp 3.21.1 ships (its
# llama/gitRelease.bundle, cloned to WORK/llama.cpp: ggml-quants.c for the GGUF codec harness, gguf-py) and the
# same release's prebuilt CPU libraries (@node-llama-cpp/linux-x64, in WORK/nlc/package/bins/linux-x64:
# libggml-base and libllama for the quantizer agreement tests). Both come from npm. Idempotent.
# Usage: scripts/fetch-llama-cpp.sh [WORK]   (default /tmp/infb, where the tests look unless LLAMA_CPP_DIR/NLC_BINS say otherwise)
set -euo pipefail
WORK=${1:-/tmp/infb}
mkdir -p "$WORK" && cd "$WORK"
if [ ! -d package ]; then
  npm pack --silent node-llama-cpp@3.21.1 >/dev/null
  tar xzf node-llama-cpp-3.21.1.tgz
fi
[ -d llama.cpp ] || git -c advice.detachedHead=false clone -q package/llama/gitRelease.bundle llama.cpp
if [ ! -d nlc/package ]; then
  mkdir -p nlc && (cd nlc && npm pack --silent @node-llama-cpp/linux-x64@3.21.1 >/dev/null && tar xzf node-llama-cpp-linux-x64-3.21.1.tgz)
fi
echo "$WORK"
