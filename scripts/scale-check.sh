#!/usr/bin/env bash
# Scale check (issue #3): a model with Llama-3-8B layer shapes (2 layers, BF16, sharded HF safetensors).
# Each of ROUNDS rounds is a fresh JVM running scripts/DecodeBench.java: load (weights placed as LOAD says), >= 5 s of
# warm-up decoding, the peak RSS (VmHWM) against the file size, then 5 decode rounds of N tokens. Read bandwidth is
# measured on 1 GiB of huge-page memory with the same threads, three passes before each quarter of a round, and
# every round is set against the bound from its own passes (median pass bandwidth / weight bytes per token).
#
#   scripts/scale-check.sh [MODEL_DIR=/tmp/l8b] [THREADS=2]      (ROUNDS=3 N=16 LOAD=auto in the environment)
#
# LOAD places the weights as `--load` does: auto (default), mmap or copy.
# Builds the model with `taylormlp synth` when MODEL_DIR does not exist (~3 GB). Needs target/taylormlp.jar.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
model="${1:-/tmp/l8b}"
threads="${2:-2}"
rounds="${ROUNDS:-3}"
n="${N:-16}"
loading="${LOAD:-auto}"
java="${JAVA_HOME:-/usr/lib/jvm/temurin-25-jdk-amd64}/bin/java"
javac="${JAVA_HOME:-/usr/lib/jvm/temurin-25-jdk-amd64}/bin/javac"
jar="$root/target/taylormlp.jar"
flags=(--add-modules jdk.incubator.vector --enable-native-access=ALL-UNNAMED)

if [ ! -d "$model" ]; then
  echo "== synth $model"
  "$root/taylormlp" synth --family llama --preset llama3-8b --to hf --out "$model"
fi
classes="$(mktemp -d)"
trap 'rm -rf "$classes"' EXIT
"$javac" -nowarn --add-modules jdk.incubator.vector -d "$classes" -cp "$jar" "$root/scripts/DecodeBench.java" 2>/dev/null

size=$(du -cb "$model"/*.safetensors | tail -1 | cut -f1)
echo "== model $model: $size bytes of safetensors; threads $threads; $(nproc) cores; $(uptime | sed 's/.*load/load/')"
for r in $(seq 1 "$rounds"); do
  out=$("$java" "${flags[@]}" -cp "$jar:$classes" DecodeBench "$model" "$threads" "$n" 5 "$loading" 1024 2>/dev/null)
  echo "$out" | grep -E '^(LOAD|round)' | sed "s/^/round $r: /"
  load=$(echo "$out" | grep '^LOAD')
  res=$(echo "$out" | grep '^RESULT')
  bound=$(echo "$out" | grep '^BOUND')
  hwm=$(echo "$res" | sed -E 's/.*VmHWM ([0-9]+) kB.*/\1/')
  echo "round $r: $res"
  awk -v s="$size" -v h="$hwm" -v r="$r" -v b="$bound" 'BEGIN {
    printf "round %d: peak RSS %.2f GB = %.2f x file (%.2f GB); decode: %s\n", r, h * 1024 / 1e9, h * 1024 / s, s / 1e9, b }'
done
echo "== load after: $(uptime | sed 's/.*load/load/')"
