#!/usr/bin/env bash
# Runs every `./taylormlp ...` line of README.md's "Usage" section, as a user would after `./taylormlp demo`, and
# fails on the first one that does not exit 0. Names that stand for the user's own files are replaced by the demo's:
#   model.gguf, ORIGINAL, stories15M.bin  -> stories15M as the demo found it (user cache, or ../shared)
#   RELEASE, MODEL_OR_RELEASE             -> demo-out/stories15M.taylor.safetensors
# `serve` runs in the background on a free port until /health answers; `chat` reads an empty stdin.
# Outputs of the examples go to the repository root, as they would for the user (s15.calib, eval-out/, ...).
set -euo pipefail
cd "$(dirname "$0")/.."
release=demo-out/stories15M.taylor.safetensors
[ -f "$release" ] || { echo "readme-examples: $release missing; run ./taylormlp demo first" >&2; exit 1; }
model=""
for d in "${TAYLORMLP_MODELS:+$TAYLORMLP_MODELS/stories15M}" "${TAYLORMLP_SHARED:+$TAYLORMLP_SHARED/models/stories15M}" \
         ../shared/models/stories15M "${XDG_CACHE_HOME:-$HOME/.cache}/taylormlp/stories15M"; do
  if [ -n "$d" ] && [ -f "$d/stories15M.bin" ]; then model="$d/stories15M.bin"; break; fi
done
[ -n "$model" ] || { echo "readme-examples: stories15M not found where the demo looks" >&2; exit 1; }
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')

# ./taylormlp commands inside ```bash blocks between "## Usage" and the next "## " heading
# (a line ending in a backslash continues on the next one)
lines="$(awk '/^## /{u = ($0 ~ /^## Usage/)} u && /^```bash$/{f=1; c=0; next} /^```$/{f=0}
  u && f { if (c) buf = buf " " $0; else if ($0 ~ /^\.\/taylormlp /) buf = $0; else next
           c = ($0 ~ /\\$/); if (c) sub(/[ ]*\\$/, "", buf); else print buf }' README.md)"
[ -n "$lines" ] || { echo "readme-examples: no ./taylormlp lines in README.md's Usage section" >&2; exit 1; }
n=0
while IFS= read -r line; do
  cmd="${line%%#*}"  # README comments after the command
  cmd="$(printf '%s' "$cmd" | sed -E \
      -e "s#(^| )model\.gguf( |$)#\1$model\2#g" -e "s#(^| )ORIGINAL( |$)#\1$model\2#g" \
      -e "s#(^| )stories15M\.bin( |$)#\1$model\2#g" \
      -e "s#(^| )MODEL_OR_RELEASE( |$)#\1$release\2#g" -e "s#(^| )RELEASE( |$)#\1$release\2#g" \
      -e "s#--port [0-9]+#--port $port#")"
  n=$((n + 1))
  echo "+ [$n] $cmd"
  case "$cmd" in
    "./taylormlp serve "*)
      eval "$cmd" < /dev/null > /tmp/readme-serve.$$.log 2>&1 &
      pid=$!
      ok=0
      for _ in $(seq 1 120); do
        if curl -fsS "http://127.0.0.1:$port/health" >/dev/null 2>&1; then ok=1; break; fi
        kill -0 "$pid" 2>/dev/null || break
        sleep 1
      done
      kill "$pid" 2>/dev/null || true
      wait "$pid" 2>/dev/null || true
      if [ "$ok" != 1 ]; then cat /tmp/readme-serve.$$.log >&2; rm -f /tmp/readme-serve.$$.log; echo "readme-examples: serve never answered /health" >&2; exit 1; fi
      rm -f /tmp/readme-serve.$$.log
      ;;
    "./taylormlp chat "*)
      eval "$cmd" < /dev/null > /dev/null
      ;;
    *)
      eval "$cmd" < /dev/null > /dev/null
      ;;
  esac
done <<< "$lines"
echo "readme-examples: all $n ./taylormlp lines of README.md's Usage section exited 0"
