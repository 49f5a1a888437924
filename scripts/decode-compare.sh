#!/usr/bin/env bash
# Side-by-side decode speed of two builds (e.g. main vs this branch), interleaved: A, B, A, B, ... in fresh JVMs,
# so that both see the same machine load. Each run is scripts/DecodeBench.java (2 warm-up rounds, then ROUNDS
# measured rounds of N tokens). Prints one RESULT line per run; compare medians across runs.
#
#   scripts/decode-compare.sh JAR_A JAR_B MODEL THREADS [REPEATS=3]      (N=128 ROUNDS=5 in the environment)
#
# A JAR is a taylormlp.jar with its lib/ folder beside it (a copy of target/ after `mvn package`).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
a="$1"; b="$2"; model="$3"; threads="$4"; repeats="${5:-3}"
n="${N:-128}"; rounds="${ROUNDS:-5}"
java="${JAVA_HOME:-/usr/lib/jvm/temurin-25-jdk-amd64}/bin/java"
javac="${JAVA_HOME:-/usr/lib/jvm/temurin-25-jdk-amd64}/bin/javac"
classes="$(mktemp -d)"
trap 'rm -rf "$classes"' EXIT
"$javac" -nowarn -d "$classes" -cp "$a" "$root/scripts/DecodeBench.java" 2>/dev/null
echo "== $(basename "$model") threads=$threads; $(uptime | sed 's/.*load/load/')"
for r in $(seq 1 "$repeats"); do
  for jar in "$a" "$b"; do
    printf '%s: ' "$jar"
    "$java" --add-modules jdk.incubator.vector --enable-native-access=ALL-UNNAMED -cp "$jar:$classes" \
      DecodeBench "$model" "$threads" "$n" "$rounds" 2>/dev/null | grep '^RESULT' | sed 's/^RESULT //'
  done
done
echo "== $(uptime | sed 's/.*load/load/')"
