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
# The JVM options are those of scripts/jvm.options (beside this script), e.g. -XX:+ExitOnOutOfMemoryError: an
# OutOfMemoryError ends the process, which then replays from the saved position. Run from the directory that
# holds routes/ and application.properties.
#
# Environment:
#   JAVA_HOME                    the JDK or JRE to run (else `java` on the PATH)
#   CACHE_INVALIDATION_JAR       the jar (default: target/cache-invalidation.jar beside this script's directory)
#   CACHE_INVALIDATION_AOT       the cache file (default: the jar's name with .aot); "off": no cache
#   JAVA_OPTS                    more JVM options, e.g. -Xmx256m

set -euo pipefail

SCRIPT_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# java_major, jvm_options
source "$SCRIPT_DIR/jvm.sh"
JAR="${CACHE_INVALIDATION_JAR:-$SCRIPT_DIR/../target/cache-invalidation.jar}"
[ -f "$JAR" ] || { echo "cache-invalidation: $JAR not found: build it with ./mvnw -B package -DskipTests" >&2; exit 2; }
JAR="$(cd "$(dirname "$JAR")" && pwd)/$(basename "$JAR")"
AOT="${CACHE_INVALIDATION_AOT:-${JAR%.jar}.aot}"

if [ -n "${JAVA_HOME:-}" ]; then JAVA="$JAVA_HOME/bin/java"; else JAVA="java"; fi
MAJOR="$(java_major "$JAVA")"
[ -n "$MAJOR" ] || { echo "cache-invalidation: cannot run $JAVA" >&2; exit 2; }

mapfile -t OPTS < <(jvm_options "$MAJOR")
# shellcheck disable=SC2206 # JAVA_OPTS is a list of options
[ -n "${JAVA_OPTS:-}" ] && OPTS+=(${JAVA_OPTS})

train() {
  # the one-step workflow: the JVM runs the workload, then writes the cache at exit
  local tmp="$AOT.training"
  rm -f "$tmp"
  echo "cache-invalidation: training run for the ahead-of-time cache $AOT" >&2
  local logs
  mapfile -t logs < <(jvm_options_of aot)
  "$JAVA" "${OPTS[@]}" -XX:AOTCacheOutput="$tmp" "${logs[@]}" -jar "$JAR" train
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
  # with the options of the cases "aot-use" and "aot" of scripts/jvm.options
  if [ -f "$AOT" ]; then
    OPTS+=(-XX:AOTCache="$AOT")
    mapfile -t -O "${#OPTS[@]}" OPTS < <(jvm_options_of aot-use aot)
  fi
fi

exec "$JAVA" "${OPTS[@]}" -jar "$JAR" "$@"
