#!/usr/bin/env bash
# Merges every method's bench recipe over a synthetic family and prints "METHOD SHA-256 FILE" for each output
# weight file: run it before and after a change and diff the two lists to show outputs stayed byte-identical.
#   scripts/method-outputs/hashes.sh FAMILY OUT.txt [merge options, e.g. --chunk-above 1KiB --chunk-elements 300]
# FAMILY: a folder from `./mergelab synth FAMILY` (base, ft1..ft3).
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(cd "$here/../.." && pwd)"
fam="$(cd "$1" && pwd)" out=$2; shift 2
. "$repo/scripts/find-jdk.sh"
"$repo/mergelab" methods >/dev/null   # builds the project if sources changed
recipes=$(mktemp -d); merged=$(mktemp -d)
trap 'rm -rf "$recipes" "$merged"' EXIT
"$JAVA_HOME/bin/java" -cp "$repo/target/classes" "$here/BenchRecipeFiles.java" "$fam" "$recipes"
: > "$out"
for r in "$recipes"/*.yml; do
  m=$(basename "$r" .yml)
  if "$repo/mergelab" merge "$r" "$merged/$m" --quiet "$@" >/dev/null 2>"$merged/err"; then
    (cd "$merged/$m" && sha256sum *.safetensors | sed "s|^|$m |") >> "$out"
  else
    echo "$m FAILED: $(tail -1 "$merged/err")" >> "$out"
  fi
  rm -rf "$merged/$m"
done
