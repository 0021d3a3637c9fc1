#!/usr/bin/env bash
# Runs the JMH benchmarks in src/test/java/dev/mergelab/bench with a JDK 25.
# Usage: bench/jmh.sh [JMH options and benchmark regexps], e.g.
#   bench/jmh.sh -f 1 -wi 2 -i 3 -r 1s CodecBench
# Arguments go straight to org.openjdk.jmh.Main (-h lists them).
set -euo pipefail
cd "$(dirname "$0")/.."

. scripts/find-jdk.sh

# MERGELAB_BUILD_DIR lets parallel work trees build into their own folder (the pom's mergelab.buildDir).
build_dir="${MERGELAB_BUILD_DIR:-target}"
mvn_args=(-q)
if [[ -n "${MERGELAB_BUILD_DIR:-}" ]]; then mvn_args+=("-Dmergelab.buildDir=$(realpath -m "$build_dir")"); fi
mvn "${mvn_args[@]}" test-compile
cp_file="$build_dir/bench-classpath.txt"
mvn "${mvn_args[@]}" dependency:build-classpath -Dmdep.outputFile="$cp_file" -Dmdep.includeScope=test >/dev/null
deps="$(cat "$cp_file")"

# JMH forks inherit these options (benchmarks' @Fork adds its own, e.g. heap sizes).
exec "$JAVA_HOME/bin/java" @scripts/jvm.options \
    -cp "$build_dir/test-classes:$build_dir/classes:$deps" org.openjdk.jmh.Main "$@"
