#!/usr/bin/env bash
# Regenerates the bad-input table in docs/SECURITY.md (between the bad-input-table markers): damaged copies of a
# small synthetic model in each format, run through `taylormlp generate` and `serve` in fresh JVMs
# (org.taylormlp.robust.BadInputTable). Takes a few minutes on an idle machine.
set -euo pipefail
cd "$(dirname "$0")/.."
export JAVA_HOME="${JAVA_HOME:-/usr/lib/jvm/temurin-25-jdk-amd64}"
mvn -B -q -DskipTests package test-compile
CP="target/test-classes:target/classes:$(ls target/lib/*.jar | tr '\n' ':')"
"$JAVA_HOME/bin/java" --add-modules jdk.incubator.vector --enable-native-access=ALL-UNNAMED -Xss8m -Xmx2g \
  -cp "$CP" org.taylormlp.robust.BadInputTable docs/SECURITY.md
