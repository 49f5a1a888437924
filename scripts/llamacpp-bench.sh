#!/usr/bin/env bash
# llama.cpp's decode (tgN) and prompt (ppP) speed on this machine, llama-bench style (one warm-up run, then REPS
# runs, mean ± sd of tokens/s), through the llama.cpp library inside the oracle's npm install
# (scripts/install-oracle.sh), flash attention off as in llama-bench's default (LLAMA_FLASH_ATTN=auto keeps
# llama.cpp's own default). For side-by-side comparisons with `taylormlp bench`: run both in one script,
# alternating, on the same GGUF file and thread counts.
#
#   scripts/llamacpp-bench.sh MODEL.gguf [THREADS=1,2] [REPS=5] [P=128] [N=128]
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
model="$1"; threads="${2:-1,2}"; reps="${3:-5}"; p="${4:-128}"; n="${5:-128}"
lib="$root/target/llama-oracle/node_modules/@node-llama-cpp/linux-x64/bins/linux-x64"
[ -d "$lib" ] || "$root/scripts/install-oracle.sh" >&2
exe="$root/target/llamacpp-bench"
if [ ! -x "$exe" ] || [ "$root/scripts/llamacpp-bench.c" -nt "$exe" ]; then
  cc -O2 -o "$exe" "$root/scripts/llamacpp-bench.c" -ldl -lm
fi
echo "| engine | threads | test | t/s |"
echo "| --- | ---: | --- | ---: |"
for t in ${threads//,/ }; do
  "$exe" "$lib" "$model" "$t" "$reps" "$p" "$n" 2>/dev/null
done
