#!/usr/bin/env bash
# Cost of checking a release's digests at load: alternating fresh JVMs of `generate -n 1 -v`, with and without
# --no-verify, reading the "loaded ... in X ms" line each prints (load = open + checks + weight placement + JIT
# warm-up). One warm-up pair first (fills the page cache), then ROUNDS pairs, the order flipped every round.
#
#   scripts/verify-cost.sh RELEASE [THREADS=2]        (ROUNDS=5 LOAD=mmap in the environment)
#
# Prints one line per run and the median load time of each mode; the load average before and after.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
release="$1"
threads="${2:-2}"
rounds="${ROUNDS:-5}"
loading="${LOAD:-mmap}"

one() { # $1 = verify | no-verify
  local extra=()
  [ "$1" = no-verify ] && extra=(--no-verify)
  local log
  log="$("$root/taylormlp" generate -m "$release" -n 1 -t "$threads" --load "$loading" -v "${extra[@]}" 2>&1 >/dev/null)"
  local ms
  ms="$(grep -oE '\) in [0-9]+ ms' <<<"$log" | grep -oE '[0-9]+')"
  local check
  check="$(grep -E '^release check' <<<"$log" || true)"
  echo "$1 $ms ms  ${check}"
  [ "${2:-}" = warm-up ] || echo "$1 $ms" >>"$tmp"
}
tmp="$(mktemp)"
trap 'rm -f "$tmp"' EXIT
echo "load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
one verify warm-up >/dev/null; one no-verify warm-up >/dev/null
for r in $(seq 1 "$rounds"); do
  if [ $((r % 2)) -eq 1 ]; then one verify; one no-verify; else one no-verify; one verify; fi
done
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
for m in verify no-verify; do
  printf '%s: median load %s ms over %s runs\n' "$m" "$(grep "^$m " "$tmp" | cut -d' ' -f2 | sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}')" "$rounds"
done
