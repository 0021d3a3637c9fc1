#!/usr/bin/env bash
# The Rust library's ids of the family's held-out and dev text, for DomainFamilyTest
# (src/test/resources/domains/tokenizer-ids.json.gz). Needs `(cd scripts/tokenizer-ref && npm ci)` once.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$root"
out=src/test/resources/domains
mkdir -p "$out"
node scripts/train-family/tokenizer-ids.js examples/domains/models/base/tokenizer.json "$out/tokenizer-ids.json" \
  examples/domains/heldout/*.txt examples/domains/dev/*.txt
gzip -n -9 -f "$out/tokenizer-ids.json"
