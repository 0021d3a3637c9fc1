#!/usr/bin/env bash
# Lists the BPE pre-tokenizer names llama.cpp's converter picks by the SHA-256 of a fixed text's token ids
# (get_vocab_base_pre in conversion/base.py), as "hash<TAB>name" lines, for MergeLab's GGUF export, which must
# write the same tokenizer.ggml.pre. Facts read from the tree (the hash each name is chosen for), not code.
# Usage: scripts/gguf-ref/bpe-pre-table.sh [LLAMA_TREE] > src/main/resources/dev/mergelab/export/gguf/bpe-pre.tsv
set -euo pipefail
TREE=${1:-/tmp/infb/llama.cpp}
# the text whose token ids are hashed, as a JSON string
python3 -c 'import ast,json,re,sys; src=open(sys.argv[1]).read(); m=re.search(r"def get_vocab_base_pre.*?chktxt = (.*?)\n", src, re.S); print("chktxt\t" + json.dumps(ast.literal_eval(m.group(1))))' "$TREE/conversion/base.py"
echo "# tokenizer.ggml.pre by chkhsh, from $(cd "$TREE" && git rev-parse --short HEAD) conversion/base.py get_vocab_base_pre (scripts/gguf-ref/bpe-pre-table.sh)"
sed -n '/def get_vocab_base_pre/,/Marker: End get_vocab_base_pre/p' "$TREE/conversion/base.py" \
  | grep -oE 'chkhsh == "[0-9a-f]{64}"|res = "[^"]+"' \
  | paste - - | sed -E 's/chkhsh == "([0-9a-f]+)"\tres = "([^"]+)"/\1\t\2/'
