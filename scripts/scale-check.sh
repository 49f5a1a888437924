#!/usr/bin/env bash
# Scale check (issue #3): a model with Llama-3-8B layer shapes (2 layers, BF16, sharded HF safetensors).
# Measures, interleaved over ROUNDS rounds in separate JVMs: memory read bandwidth (scripts/Bandwidth.java, on
# anonymous memory with huge pages advised, as --load copy uses),
# then load + decode of the model (scripts/DecodeBench.java): peak RSS (VmHWM) vs the file size, and decode
# tokens/s vs the bandwidth bound (weight bytes per token / measured bandwidth).
#
#   scripts/scale-check.sh [MODEL_DIR=/tmp/l8b] [THREADS=2]      (ROUNDS=3 N=16 LOAD=auto in the environment)
#
# LOAD places the weights as `--load` does: auto (default), mmap or copy.
#
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
"$javac" -nowarn --add-modules jdk.incubator.vector -d "$classes" -cp "$jar" \
  "$root/scripts/DecodeBench.java" "$root/scripts/Bandwidth.java" 2>/dev/null

size=$(du -cb "$model"/*.safetensors | tail -1 | cut -f1)
echo "== model $model: $size bytes of safetensors; threads $threads; $(nproc) cores; $(uptime | sed 's/.*load/load/')"
for r in $(seq 1 "$rounds"); do
  bw=$("$java" "${flags[@]}" -cp "$jar:$classes" Bandwidth 1024 "$threads" 5 2>/dev/null | grep "threads=$threads ")
  out=$("$java" "${flags[@]}" -cp "$jar:$classes" DecodeBench "$model" "$threads" "$n" 3 "$loading" 2>/dev/null)
  load=$(echo "$out" | grep '^LOAD')
  res=$(echo "$out" | grep '^RESULT')
  gbs=$(echo "$bw" | sed -E 's/.*best=([0-9.]+).*/\1/')
  gbc=$(echo "$bw" | sed -E 's/.*CPU-second: median ([0-9.]+) GB.*/\1/')
  bpt=$(echo "$load" | sed -E 's/.*weight bytes per token ([0-9]+).*/\1/')
  tps=$(echo "$res" | sed -E 's/.*median ([0-9.]+) tok\/s wall.*/\1/')
  cps=$(echo "$res" | sed -E 's/.*, ([0-9.]+) tok\/CPU-s.*/\1/')
  hwm=$(echo "$res" | sed -E 's/.*VmHWM ([0-9]+) kB.*/\1/')
  echo "round $r: $bw | $load"
  echo "round $r: $res"
  awk -v s="$size" -v h="$hwm" -v b="$bpt" -v g="$gbs" -v t="$tps" -v c="$cps" -v gc="$gbc" -v th="$threads" -v r="$r" 'BEGIN {
    bound = g * 1e9 / b;
    printf "round %d: peak RSS %.2f GB = %.2f x file (%.2f GB); decode %.2f tok/s wall; bound %.2f tok/s (%.1f GB/s / %.2f GB per token) -> %.0f %% of bound\n",
      r, h * 1024 / 1e9, h * 1024 / s, s / 1e9, t, bound, g, b / 1e9, 100 * t / bound;
    cbound = gc * 1e9 / b;
    printf "round %d: per CPU-second: decode %.2f tok, bound %.2f tok (%.1f GB per CPU-s) -> %.0f %% of bound\n", r, c, cbound, gc, 100 * c / cbound }'
done
echo "== load after: $(uptime | sed 's/.*load/load/')"
