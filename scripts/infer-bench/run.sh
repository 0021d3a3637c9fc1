#!/usr/bin/env bash
# pp512/tg64 on a synthetic 1B Llama (TinyLlama shapes), BF16 and F16: mergelab, PyTorch eager, llama.cpp; then
# the same model quantized (QUANTS, default "q8_0 q4_k_m"; mergelab's `export gguf` re-quantizes the converter's
# BF16 GGUF as llama-quantize does, byte for byte): mergelab on the GGUF file beside llama.cpp. QUANTS="" skips it.
# Usage: scripts/infer-bench/run.sh [WORK] [THREADS]   (WORK default /tmp/infb; llama.cpp built there by
# build-llama-cpp.sh; Debian's python3-torch and python3-tqdm for /usr/bin/python3)
set -euo pipefail
WORK=${1:-/tmp/infb}
T=${2:-2}
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
for dt in bfloat16 float16; do
  d=$WORK/synth-$dt
  [ -d "$d/base" ] || "$ROOT/mergelab" synth "$d" --size 1b --fine-tunes 0 --dtype $dt
done
uptime
. "$ROOT/scripts/find-jdk.sh"
"$JAVA_HOME/bin/java" --add-modules jdk.incubator.vector "$HERE/ReadBandwidth.java" 2 "$T" 2>/dev/null
for dt in bfloat16 float16; do
  "$ROOT/mergelab" bench infer "$WORK/synth-$dt/base" -p 512 -n 64 -r 3 --threads "$T" --json
done
/usr/bin/python3 "$HERE/torch_bench.py" "$WORK/synth-bfloat16/base" -p 512 -n 64 -r 2 --threads "$T" --dtype bfloat16
/usr/bin/python3 "$HERE/torch_bench.py" "$WORK/synth-bfloat16/base" -p 512 -n 64 -r 2 --threads "$T" --dtype float32
BENCH=$WORK/lb/llama-bench   # scripts/infer-bench/build-llama-cpp.sh
if [ -x "$BENCH" ]; then
  for pair in bfloat16:bf16 float16:f16; do
    dt=${pair%%:*}; gt=${pair##*:}
    g=$WORK/synth-$dt.$gt.gguf
    [ -f "$g" ] || /usr/bin/python3 "$HERE/convert_synth_to_gguf.py" "$WORK/llama.cpp" "$WORK/synth-$dt/base" "$g" "$gt"
    "$BENCH" -m "$g" -p 512 -n 64 -t "$T" -r 3
  done
fi
for q in ${QUANTS-q8_0 q4_k_m}; do
  g=$WORK/synth-bfloat16.$q.gguf
  [ -f "$g" ] || "$ROOT/mergelab" export gguf "$WORK/synth-bfloat16.bf16.gguf" "$g" --type "$q"
  "$ROOT/mergelab" bench infer "$g" -p 512 -n 64 -r 3 --threads "$T" --json
  if [ -x "$BENCH" ]; then "$BENCH" -m "$g" -p 512 -n 64 -t "$T" -r 3; fi
done
uptime
