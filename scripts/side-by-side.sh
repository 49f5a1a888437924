#!/usr/bin/env bash
# Our bench and llama.cpp's (scripts/llamacpp-bench.sh) on the same GGUF file and thread counts, alternating
# ROUNDS times in one script so that both see the same machine (runs with fewer threads than cores are pinned to
# the same cores for both engines, other cores each round), then the ratio ours / llama.cpp per test from the
# medians of the round means.
#
#   scripts/side-by-side.sh MODEL.gguf [THREADS=1,2] [ROUNDS=3]      (REPS=5 P=128 N=128 in the environment)
#
# LLAMA_BENCH=/path/to/llama-bench uses a llama-bench binary instead of scripts/llamacpp-bench.sh. One can be
# built offline from the llama.cpp source that node-llama-cpp ships as a git bundle (after
# scripts/install-oracle.sh): git clone target/llama-oracle/node_modules/node-llama-cpp/llama/gitRelease.bundle
# /tmp/lcpp && cmake -S /tmp/lcpp -B /tmp/lcpp/build -G Ninja -DCMAKE_BUILD_TYPE=Release -DGGML_NATIVE=ON
# -DLLAMA_CURL=OFF && ninja -C /tmp/lcpp/build llama-bench
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
model="$1"; threads="${2:-1,2}"; rounds="${3:-3}"
reps="${REPS:-5}"; p="${P:-128}"; n="${N:-128}"
out="$(mktemp)"
trap 'rm -f "$out"' EXIT
echo "== $(basename "$model"), threads $threads, $rounds rounds; $(uptime | sed 's/.*load/load/')"
cores=$(nproc)
for r in $(seq 1 "$rounds"); do
  for t in ${threads//,/ }; do
    # fewer threads than cores: both engines pinned to the same cores, which move round by round. The vCPUs of
    # these machines differ in speed from minute to minute (a 1-thread decode ran 35 % slower on one than on the
    # other), and an unpinned run lands on either.
    pin=()
    if [ "$t" -lt "$cores" ]; then
      cpus=""
      for ((k = 0; k < t; k++)); do cpus+="${cpus:+,}$(( (r - 1 + k) % cores ))"; done
      pin=(taskset -c "$cpus")
    fi
    "${pin[@]}" "$root/taylormlp" bench -m "$model" -p "$p" -n "$n" -t "$t" -r "$reps" -o json 2>/dev/null \
      | python3 -c 'import json,sys; [print("ours", o["threads"], o["test"], o["tokens_per_second"]) for o in json.load(sys.stdin)]' >> "$out"
    if [ -n "${LLAMA_BENCH:-}" ]; then
      "${pin[@]}" "$LLAMA_BENCH" -m "$model" -p "$p" -n "$n" -t "$t" -r "$reps" -o json 2>/dev/null \
        | python3 -c 'import json,sys
for o in json.load(sys.stdin):
    test = ("pp%d" % o["n_prompt"]) if o["n_gen"] == 0 else ("tg%d" % o["n_gen"])
    print("llama", o["n_threads"], test, o["avg_ts"])' >> "$out"
    else
      "${pin[@]}" "$root/scripts/llamacpp-bench.sh" "$model" "$t" "$reps" "$p" "$n" \
        | awk -F'|' '/llama.cpp/ { gsub(/ /, "", $3); gsub(/ /, "", $4); split($5, a, " "); print "llama", $3, $4, a[1] }' >> "$out"
    fi
  done
done
python3 - "$out" <<'PY'
import sys, statistics, collections
d = collections.defaultdict(list)
for line in open(sys.argv[1]):
    who, t, test, v = line.split()
    d[(who, int(t), test)].append(float(v))
print("| test | threads | ours t/s (median of rounds) | llama.cpp t/s | ours / llama.cpp | rounds (ours; llama.cpp) |")
print("| --- | ---: | ---: | ---: | ---: | --- |")
for (who, t, test) in sorted(k for k in d if k[0] == "ours"):
    a, b = d[("ours", t, test)], d.get(("llama", t, test), [])
    if not b: continue
    ma, mb = statistics.median(a), statistics.median(b)
    print(f"| {test} | {t} | {ma:.1f} | {mb:.1f} | **{ma / mb:.2f}x** | {', '.join(f'{x:.0f}' for x in a)}; {', '.join(f'{x:.0f}' for x in b)} |")
PY
echo "== $(uptime | sed 's/.*load/load/')"
