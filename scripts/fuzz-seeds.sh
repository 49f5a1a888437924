#!/usr/bin/env bash
# Rewrites the fuzz targets' seed corpora (src/test/resources/**/*FuzzTestInputs/fuzz/seed-*) with the project's
# own writers (org.taylormlp.fuzz.FuzzSeeds). Findings' regression inputs (crash-*, timeout-*) are left alone.
set -euo pipefail
cd "$(dirname "$0")/.."
export JAVA_HOME="${JAVA_HOME:-/usr/lib/jvm/temurin-25-jdk-amd64}"
mvn -B -q -DskipTests package test-compile
"${JAVA_HOME:-/usr/lib/jvm/temurin-25-jdk-amd64}/bin/java" --add-modules jdk.incubator.vector --enable-native-access=ALL-UNNAMED \
  -cp "target/test-classes:target/classes:$(ls target/lib/*.jar | tr '\n' ':')" org.taylormlp.fuzz.FuzzSeeds src/test/resources
ls -l src/test/resources/org/taylormlp/*/*Inputs/fuzz/
