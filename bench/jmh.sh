#!/usr/bin/env bash
# Runs the JMH benchmarks in src/test/java/dev/mergelab/bench with a JDK 25.
# Usage: bench/jmh.sh [JMH options and benchmark regexps], e.g.
#   bench/jmh.sh -f 1 -wi 2 -i 3 -r 1s CodecBench
# Arguments go straight to org.openjdk.jmh.Main (-h lists them).
set -euo pipefail
cd "$(dirname "$0")/.."

java_major() {
    "$1/bin/java" -XshowSettings:properties -version 2>&1 | sed -n 's/^ *java.specification.version = //p' | head -1
}

jdk=""
if [[ -n "${JAVA_HOME:-}" && -x "$JAVA_HOME/bin/java" ]] && (( $(java_major "$JAVA_HOME") >= 25 )); then
    jdk="$JAVA_HOME"
else
    for d in /usr/lib/jvm/*25*; do
        if [[ -x "$d/bin/java" ]]; then jdk="$d"; break; fi
    done
fi
if [[ -z "$jdk" ]]; then
    echo "bench/jmh.sh: no JDK 25 found (set JAVA_HOME or install one under /usr/lib/jvm)" >&2
    exit 2
fi
export JAVA_HOME="$jdk"

# MERGELAB_BUILD_DIR lets parallel work trees build into their own folder (the pom's mergelab.buildDir).
build_dir="${MERGELAB_BUILD_DIR:-target}"
mvn_args=(-q)
if [[ -n "${MERGELAB_BUILD_DIR:-}" ]]; then mvn_args+=("-Dmergelab.buildDir=$(realpath -m "$build_dir")"); fi
mvn "${mvn_args[@]}" test-compile
cp_file="$build_dir/bench-classpath.txt"
mvn "${mvn_args[@]}" dependency:build-classpath -Dmdep.outputFile="$cp_file" -Dmdep.includeScope=test >/dev/null
deps="$(cat "$cp_file")"

exec "$JAVA_HOME/bin/java" --add-modules jdk.incubator.vector --enable-native-access=ALL-UNNAMED \
    -cp "$build_dir/test-classes:$build_dir/classes:$deps" org.openjdk.jmh.Main "$@"
