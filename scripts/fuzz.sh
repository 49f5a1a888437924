#!/usr/bin/env bash
# Runs a coverage-guided Jazzer campaign on one fuzz target for MINUTES minutes:
#   scripts/fuzz.sh TARGET MINUTES        (TARGET: gguf safetensors hf-folder llama2c release calibration
#                                          chat-template api-request; "list" prints them)
# The target's seeds (src/test/resources/**/<Target>Inputs/fuzz/) start the corpus; the corpus grows under
# .cifuzz-corpus/ (git-ignored). A finding (untyped exception, a hang over 2 s, allocation over the target's
# bound; see FuzzHarness) stops the campaign and is written beside the seeds as crash-<sha1>: commit it with the
# fix, and `mvn test` replays it from then on. The log (execs/s, coverage, findings) goes to
# target/fuzz/TARGET.log; the closing summary line is printed at the end.
# Campaigns use 1 CPU and a 1 GiB heap; run them with `nice` on a shared machine.
set -euo pipefail
cd "$(dirname "$0")/.."
export JAVA_HOME="${JAVA_HOME:-/usr/lib/jvm/temurin-25-jdk-amd64}"
declare -A CLASSES=(
  [gguf]=org.taylormlp.fuzz.GgufFuzzTest
  [safetensors]=org.taylormlp.fuzz.SafetensorsFuzzTest
  [hf-folder]=org.taylormlp.fuzz.HfFolderFuzzTest
  [llama2c]=org.taylormlp.fuzz.Llama2cFuzzTest
  [release]=org.taylormlp.fuzz.ReleaseFuzzTest
  [calibration]=org.taylormlp.fuzz.CalibrationFuzzTest
  [chat-template]=org.taylormlp.fuzz.ChatTemplateFuzzTest
  [api-request]=org.taylormlp.server.ApiRequestFuzzTest
)
if [[ $# -lt 1 || "$1" == list || -z "${CLASSES[$1]:-}" ]]; then
  echo "usage: scripts/fuzz.sh TARGET MINUTES; targets: ${!CLASSES[*]}" >&2
  [[ "${1:-}" == list ]] && exit 0 || exit 2
fi
TARGET=$1
MINUTES=${2:-10}
CLASS=${CLASSES[$TARGET]}
# coverage feedback from the project's classes, plus the library that parses the input where there is one
INSTRUMENT='org.taylormlp.**'
case "$TARGET" in
  chat-template) INSTRUMENT+=',com.hubspot.jinjava.**' ;;
  api-request|hf-folder) INSTRUMENT+=',com.fasterxml.jackson.**' ;;
esac
mkdir -p target/fuzz
LOG=target/fuzz/$TARGET.log
[[ "${SKIP_COMPILE:-}" == 1 ]] || mvn -B -q test-compile
# surefire:test runs the default execution only (not the vector-width re-runs); one fork, no reuse
JAZZER_FUZZ=1 mvn -B surefire:test -Dtest="$CLASS" -Dsurefire.failIfNoSpecifiedTests=false \
  -Djazzer.max_duration="${MINUTES}m" -Djazzer.keep_going="${KEEP_GOING:-50}" -Djazzer.instrument="$INSTRUMENT" \
  -Dfuzz.argLine="-Xmx1g -XX:+EnableDynamicAgentLoading -Djdk.attach.allowAttachSelf=true -Dtaylormlp.warmupMillis=0" \
  > "$LOG" 2>&1 || true
OUT=$(ls -t target/surefire-reports/"$CLASS"-output.txt 2>/dev/null | head -1 || true)
[[ -n "$OUT" ]] && cat "$OUT" >> "$LOG"
echo "== $TARGET: $MINUTES min; log $LOG"
grep -E "^#[0-9]+.*(DONE|pulse)|Done [0-9]+ runs|== Java Exception|FuzzTestFindingException|crash-|Tests run:|stat::" "$LOG" | tail -8 || true
