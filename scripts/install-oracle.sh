#!/usr/bin/env bash
# Installs scripts/llama-oracle (the team's greedy.mjs + package.json: llama.cpp through node-llama-cpp, CPU build,
# from npm) into target/llama-oracle. Idempotent. Tests that compare against llama.cpp use it (and call this script if needed).
set -euo pipefail
cd "$(dirname "$0")/.."
src="scripts/llama-oracle"
dst="target/llama-oracle"
if [ -f "$dst/node_modules/node-llama-cpp/package.json" ] && [ -d "$dst/node_modules/@node-llama-cpp/linux-x64" ]; then
  exit 0
fi
mkdir -p "$dst"
cp "$src/greedy.mjs" "$src/package.json" "$dst/"
(cd "$dst" && npm i -E --no-audit --no-fund --loglevel=error node-llama-cpp@3.21.1 @node-llama-cpp/linux-x64@3.21.1 --omit=optional >/dev/null)
echo "llama-oracle installed in $dst"
