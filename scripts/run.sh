#!/usr/bin/env bash
#
# Starts cache-invalidation from its jar with the JVM options it is meant to run with:
#
#   scripts/run.sh [all|pipeline|worker] [Camel Main options]   run a role (all: pipeline and worker)
#   scripts/run.sh train                                        (re)build the ahead-of-time cache and exit
#
# On Java 25 and later the JVM starts from an ahead-of-time cache (the classes a training run loaded and linked;
# the profiles it also records are not used): the first start makes it with a training run that needs no
# database or Redis (role "train", about 10 s), later starts use it and read the binlog seconds earlier. A cache
# older than the jar is made again.
# On Java 17 to 24 the jar runs as plain `java -jar`.
#
# Always: -XX:+ExitOnOutOfMemoryError (an OutOfMemoryError ends the process, which then replays from the saved
# position). Run from the directory that holds routes/ and application.properties.
#
# Environment:
#   JAVA_HOME                    the JDK or JRE to run (else `java` on the PATH)
#   CACHE_INVALIDATION_JAR       the jar (default: target/cache-invalidation.jar beside this script's directory)
#   CACHE_INVALIDATION_AOT       the cache file (default: the jar's name with .aot); "off": no cache
#   JAVA_OPTS                    more JVM options, e.g. -Xmx256m

set -euo pipefail

SCRIPT_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
JAR="${CACHE_INVALIDATION_JAR:-$SCRIPT_DIR/../target/cache-invalidation.jar}"
[ -f "$JAR" ] || { echo "cache-invalidation: $JAR not found: build it with ./mvnw -B package -DskipTests" >&2; exit 2; }
JAR="$(cd "$(dirname "$JAR")" && pwd)/$(basename "$JAR")"
AOT="${CACHE_INVALIDATION_AOT:-${JAR%.jar}.aot}"

if [ -n "${JAVA_HOME:-}" ]; then JAVA="$JAVA_HOME/bin/java"; else JAVA="java"; fi
MAJOR="$("$JAVA" -version 2>&1 | sed -n 's/.*version "\([0-9][0-9]*\)[."].*/\1/p' | head -n 1)"
[ -n "$MAJOR" ] || { echo "cache-invalidation: cannot run $JAVA" >&2; exit 2; }

OPTS=(-XX:+ExitOnOutOfMemoryError)
# GraalJS's Truffle uses sun.misc.Unsafe, which Java 24 and later warn of at start unless allowed
[ "$MAJOR" -ge 24 ] && OPTS+=(--sun-misc-unsafe-memory-access=allow)
# shellcheck disable=SC2206 # JAVA_OPTS is a list of options
[ -n "${JAVA_OPTS:-}" ] && OPTS+=(${JAVA_OPTS})

train() {
  # the one-step workflow: the JVM runs the workload, then writes the cache at exit
  local tmp="$AOT.training"
  rm -f "$tmp"
  echo "cache-invalidation: training run for the ahead-of-time cache $AOT" >&2
  "$JAVA" "${OPTS[@]}" -XX:AOTCacheOutput="$tmp" -Xlog:aot*=off -Xlog:cds*=off -jar "$JAR" train
  mv -f "$tmp" "$AOT"
}

if [ "${1:-}" = train ]; then
  [ "$MAJOR" -ge 25 ] || { echo "cache-invalidation: the ahead-of-time cache needs Java 25 or later" >&2; exit 2; }
  [ "$AOT" != off ] || { echo "cache-invalidation: CACHE_INVALIDATION_AOT is off: no cache to make" >&2; exit 2; }
  train
  exit 0
fi

if [ "$MAJOR" -ge 25 ] && [ "$AOT" != off ]; then
  if [ ! -f "$AOT" ] || [ "$JAR" -nt "$AOT" ]; then
    # a failed training run costs the speed-up only, never the start
    train || echo "cache-invalidation: the training run failed; starting without the cache" >&2
  fi
  # a cache made by another JVM or for another jar is ignored (the JVM checks), silently: -Xlog:aot*=off.
  # Its classes, not its method profiles (-AOTReplayTraining): the training run has no binlog, and its
  # profiles of shared code made the binlog reader's compiled code dearer (see docs/performance.md)
  [ -f "$AOT" ] && OPTS+=(-XX:AOTCache="$AOT" -XX:+UnlockDiagnosticVMOptions -XX:-AOTReplayTraining
    -Xlog:aot*=off -Xlog:cds*=off)
fi

exec "$JAVA" "${OPTS[@]}" -jar "$JAR" "$@"
