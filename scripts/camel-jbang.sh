#!/usr/bin/env bash
#
# The Camel JBang command line (`camel`) for machines without the jbang launcher: runs
# main.CamelJBang of org.apache.camel:camel-jbang-main on the classpath that jbang/pom.xml
# resolves with the project's Maven wrapper, ./mvnw (cached under target/camel-jbang/, resolved again when jbang/pom.xml
# changes or a jar of it is gone).
#
# Usage: scripts/camel-jbang.sh <camel arguments>, for example from the repository root:
#
#   scripts/camel-jbang.sh run routes/*.yaml application.properties
#   alias camel="$PWD/scripts/camel-jbang.sh"      # then: camel run ..., camel ps, camel stop
#
# Environment:
#   CAMEL_JBANG_JAVA_OPTS   extra JVM options for the camel process (e.g. -Xmx1g)
#
# Maven's output goes to stderr; the java process replaces this script (exec), so signals
# reach Camel directly.

set -euo pipefail

ROOT_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
POM="$ROOT_DIR/jbang/pom.xml"
CACHE_DIR="$ROOT_DIR/target/camel-jbang"
CLASSPATH_FILE="$CACHE_DIR/classpath"
STAMP_FILE="$CACHE_DIR/pom.sha256"

log() { printf '[camel-jbang] %s\n' "$*" >&2; }

classpath_is_current() {
  [ -s "$CLASSPATH_FILE" ] && [ -f "$STAMP_FILE" ] || return 1
  [ "$(sha256sum < "$POM")" = "$(cat "$STAMP_FILE")" ] || return 1
  local jar
  local IFS=':'
  for jar in $(cat "$CLASSPATH_FILE"); do
    [ -f "$jar" ] || return 1
  done
}

if ! classpath_is_current; then
  log "resolving the Camel JBang classpath from jbang/pom.xml"
  mkdir -p "$CACHE_DIR"
  tmp="$CLASSPATH_FILE.$$"
  "$ROOT_DIR/mvnw" -B -q -Dstyle.color=never -f "$POM" dependency:build-classpath -Dmdep.outputFile="$tmp" >&2
  mv -f "$tmp" "$CLASSPATH_FILE"
  sha256sum < "$POM" > "$STAMP_FILE"
fi

# shellcheck disable=SC2086 # CAMEL_JBANG_JAVA_OPTS holds several options
# an OutOfMemoryError ends the process (a restart replays from the saved position) instead of leaving it half alive
# the options of every start of the application (scripts/jvm.options)
source "$ROOT_DIR/scripts/jvm.sh"
mapfile -t OPTS < <(jvm_options "$(java_major java)")
exec java "${OPTS[@]}" ${CAMEL_JBANG_JAVA_OPTS:-} -cp "$(cat "$CLASSPATH_FILE")" main.CamelJBang "$@"
