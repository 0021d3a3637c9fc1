# Sourced by the launcher and the test script: sets JAVA_HOME to a JDK >= 25 or exits with a clear error.
java_major() { # prints the major version of the java binary $1, or 0
  local v
  v="$("$1" -XshowSettings:properties -version 2>&1 | awk -F'= ' '/java.specification.version/ {print $2; exit}')"
  echo "${v%%.*}" | grep -E '^[0-9]+$' || echo 0
}

find_jdk() {
  local cand
  if [ -n "${JAVA_HOME:-}" ] && [ -x "$JAVA_HOME/bin/javac" ] && [ "$(java_major "$JAVA_HOME/bin/java")" -ge 25 ]; then
    echo "$JAVA_HOME"; return 0
  fi
  for cand in /usr/lib/jvm/* /opt/java/* /opt/jdk* "$HOME"/.sdkman/candidates/java/* /Library/Java/JavaVirtualMachines/*/Contents/Home; do
    if [ -x "$cand/bin/javac" ] && [ "$(java_major "$cand/bin/java")" -ge 25 ]; then
      echo "$cand"; return 0
    fi
  done
  return 1
}

if ! JDK="$(find_jdk)"; then
  echo "mergelab: no JDK 25 or newer found (checked JAVA_HOME and /usr/lib/jvm); install Temurin 25 and set JAVA_HOME" >&2
  exit 2
fi
export JAVA_HOME="$JDK"
