#!/usr/bin/env bash
#
# Benchmarks of cache-invalidation, one command per figure:
#
#   bench/run.sh catchup   (1) catch-up throughput of the pipeline on a 100,000-change backlog (2 runs)
#   bench/run.sh drain     (2) one worker draining 50,000 events of 5 keys, against the seed's algorithm (2 runs)
#   bench/run.sh latency   (3) end-to-end latency at 5,000 changes/s, pipeline + worker (20 s; --duration 60)
#   bench/run.sh startup   (5) process start to "Connected to binlog" (2 runs)
#   bench/run.sh jmh       (6) the JavaScript step per event (JMH, ScriptStepBenchmark)
#   bench/run.sh all       all of the above; (4) memory comes with catchup, drain and latency
#   bench/run.sh jfr-top FILE.jfr   the hottest frames of a flight recording
#
# Options (after the figure): --runs N, --duration S, --warmup S, --rate N, --tx-rows N, --connections N,
# --events N; --jfr records every application process (the .jfr files land in the run directory).
#
# Each run starts private MariaDB and Redis instances (scripts/servers.sh, in a fresh temporary SERVERS_DIR unless
# SERVERS_DIR is set) and stops them at the end, builds the jar and the test classes (BENCH_SKIP_BUILD=1 skips
# that), prints a markdown table and writes bench/results/latest.md; the latency figure also writes
# bench/results/latency.png. Logs of the application processes: target/bench/<figure>-<time>/.

set -euo pipefail

ROOT_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT_DIR"

FIGURE="${1:-all}"
[ $# -gt 0 ] && shift

jfr_top() {
  local file="$1"
  echo "== top of stack (self samples) =="
  jfr print --events jdk.ExecutionSample "$file" \
    | awk '/stackTrace = \[/ { getline; sub(/^[ \t]+/, ""); sub(/line:.*/, ""); print }' \
    | sort | uniq -c | sort -rn | head -25
  echo "== anywhere on the stack (inclusive samples) =="
  jfr print --events jdk.ExecutionSample "$file" | grep 'at ' | sed 's/^[ \t]*//; s/line:.*//' \
    | sort | uniq -c | sort -rn | head -40
}

case "$FIGURE" in
  catchup|drain|latency|startup|jmh|all) ;;
  jfr-top)
    [ $# -eq 1 ] || { echo "usage: $0 jfr-top FILE.jfr" >&2; exit 2; }
    jfr_top "$1"
    exit 0
    ;;
  -h|--help|help)
    sed -n '2,/^$/p' "$0" | sed 's/^# \{0,1\}//'
    exit 0
    ;;
  *)
    echo "usage: $0 [catchup|drain|latency|startup|jmh|all|jfr-top FILE] [options]" >&2
    exit 2
    ;;
esac

JFR=false
ARGS=()
for arg in "$@"; do
  case "$arg" in
    --jfr) JFR=true ;;
    *) ARGS+=("$arg") ;;
  esac
done

log() { printf '[bench] %s\n' "$*" >&2; }

# ------------------------------------------------------------------ build

if [ "${BENCH_SKIP_BUILD:-}" != 1 ]; then
  log "building the jar and the test classes"
  mvn -B -q package -DskipTests
  [ -f target/test-classes/META-INF/BenchmarkList ] || mvn -B -q test-compile
  mvn -B -q dependency:build-classpath -Dmdep.outputFile=target/bench-classpath.txt
fi
[ -f target/cache-invalidation.jar ] || { log "target/cache-invalidation.jar is missing"; exit 1; }
[ -f target/test-classes/META-INF/BenchmarkList ] || { log "no JMH BenchmarkList in target/test-classes"; exit 1; }

RUN_DIR="target/bench/$FIGURE-$(date +%Y%m%d-%H%M%S)"
mkdir -p "$RUN_DIR" bench/results
log "run directory $RUN_DIR"

# A copy of what was built, so that other builds in target/ during the run do not change what is measured
# (the application still runs from the project directory: routes/ and application.properties).
BUILD="$RUN_DIR/build"
mkdir -p "$BUILD"
cp -r target/classes target/test-classes target/cache-invalidation.jar "$BUILD/"
cp -al target/lib "$BUILD/lib" 2>/dev/null || cp -r target/lib "$BUILD/lib"
CP="$BUILD/classes:$BUILD/test-classes:$(cat target/bench-classpath.txt)"

# ------------------------------------------------------------------ servers

OWN_SERVERS_DIR=""
if [ "$FIGURE" != jmh ]; then
  if [ -z "${SERVERS_DIR:-}" ]; then
    OWN_SERVERS_DIR="$(mktemp -d)"
    SERVERS_DIR="$OWN_SERVERS_DIR/servers"
  fi
  export SERVERS_DIR
  stop_servers() {
    if [ -n "$OWN_SERVERS_DIR" ]; then
      scripts/servers.sh clean || true
      rm -rf "$OWN_SERVERS_DIR"
    else
      scripts/servers.sh stop || true
    fi
  }
  trap stop_servers EXIT
  scripts/servers.sh start >/dev/null
fi

bench_java() {
  java -cp "$CP" -Xmx512m -Djava.awt.headless=true -Dservers.env="${SERVERS_DIR:-}/env" -Dbench.out="$RUN_DIR" \
    -Dbench.jar="$BUILD/cache-invalidation.jar" -Dbench.jfr="$JFR" "$@"
}

run_figure() {
  case "$1" in
    catchup) bench_java dev.cacheinvalidation.bench.CatchupBench ${ARGS[@]+"${ARGS[@]}"} ;;
    drain) bench_java dev.cacheinvalidation.bench.DrainBench ${ARGS[@]+"${ARGS[@]}"} ;;
    latency) bench_java dev.cacheinvalidation.bench.LatencyBench ${ARGS[@]+"${ARGS[@]}"} ;;
    startup) bench_java dev.cacheinvalidation.bench.StartupBench ${ARGS[@]+"${ARGS[@]}"} ;;
    jmh)
      java -cp "$CP" org.openjdk.jmh.Main ScriptStepBenchmark -f 1 -wi 3 -i 5 -rf json -rff "$RUN_DIR/jmh.json" \
        | tee "$RUN_DIR/jmh.log"
      ;;
  esac
}

if [ "$FIGURE" = all ]; then
  for figure in startup catchup drain latency jmh; do
    log "figure: $figure"
    run_figure "$figure"
  done
else
  run_figure "$FIGURE"
fi

bench_java dev.cacheinvalidation.bench.BenchReport "bench/run.sh $FIGURE${ARGS[*]+ ${ARGS[*]}}$([ "$JFR" = true ] && echo ' --jfr')"
