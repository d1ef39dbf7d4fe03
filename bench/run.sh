#!/usr/bin/env bash
#
# Benchmarks of cache-invalidation, one command per figure:
#
#   bench/run.sh catchup   (1) catch-up throughput of the pipeline on a 100,000-change backlog (2 runs)
#   bench/run.sh drain     (2) one worker draining 50,000 events of 5 keys, against the seed's algorithm (2 runs)
#   bench/run.sh latency   (3) end-to-end latency at 5,000 changes/s, pipeline + worker (20 s; --duration 60)
#   bench/run.sh startup   (5) process start to "Connected to binlog" (2 runs)
#   bench/run.sh jmh       (6) the JavaScript step per event (JMH, ScriptStepBenchmark)
#   bench/run.sh consistency  (7) racing read-through readers: plain GET/SET, + second delete, lease protocol;
#                          (8) lease-get + lease-fill against GET + SET (30 s per protocol)
#   bench/run.sh bulk      (9) one transaction of 1,000,000 rows at -Xmx256m against the catch-up of as many changes
#                          in transactions of 100; (10) workers stopped while 1,500,000 changes commit above a stream
#                          bound of 1,000,000, then one worker (not part of all: about 10 minutes)
#   bench/run.sh reference (11) catch-up from process start against Debezium Server 3.6 in the same run: the pipeline with
#                          the ahead-of-time cache, as plain java -jar, and Debezium Server, one backlog, in turn (2 runs)
#   bench/run.sh cpu       (12) CPU per change at 5,000 changes/s for 60 s, pipeline and Debezium Server side by side
#   bench/run.sh restart   (13) pipeline and worker down while 100,000 changes commit: restart to the last key deleted
#   bench/run.sh replay    (14) replay --since of 100,000 changes against the catch-up of the same backlog
#   bench/run.sh all       all of the above but bulk; (4) memory comes with catchup, drain, latency and restart
#                          (reference and cpu fetch Debezium Server 3.6, 780 MB, from Maven Central into target/ once)
#   bench/run.sh jfr-top FILE.jfr [THREAD-REGEX]   where the CPU samples of a flight recording are
#
# Options (after the figure), passed to each figure's main, which ignores those it does not know:
#   --runs N (catchup, drain, startup)     --rows N --rounds N --warm-rounds N --histogram (catchup)
#   --events N --tuned k=v,... --no-seed (drain)
#   --cache cluster (drain): the cache on a 3-master Redis Cluster on loopback against the standalone cache
#   --duration S --warmup S --rate N --tx-rows N --connections N (latency)
#   --readers N --writers N --fill-delay MS --hot N --duration S --rate N --tx-rows N --read-pause MS --warmup S
#   --settle S --protocols plain,redelete,lease --cost-seconds S --cost-threads N (consistency)
#   --rows N --backlog N --bound N --skip-reference --skip-transaction --skip-outage (bulk)
#   --runs N --rows N --rounds N (reference, restart)   --runs N --duration S --rate N --tx-rows N (cpu)
#   --jfr   a flight recording of every application process (.jfr files in the run directory)
#
# On Java 25 the run first makes the ahead-of-time cache with the image's training command (scripts/run.sh train); the
# figures that start the application as shipped (startup, reference, cpu, restart) use it, the others run plain java
# -jar as before. BENCH_AOT=0 skips it.
# BENCH_APP_OPTS="-Xmx512m -Dkey=value" adds JVM options and properties to every application process (experiments;
# the report records them). BENCH_GRAAL=1 runs the application processes with target/graal.args (Java 21+).
# The figures are measured with Java 25 when /usr/lib/jvm has it (scripts/pick-jdk.sh), else with the newest JDK.
#
# Each run starts private MariaDB and Redis instances (scripts/servers.sh, in a fresh temporary SERVERS_DIR unless
# SERVERS_DIR is set) and stops them at the end, builds the jar and the test classes (BENCH_SKIP_BUILD=1 skips
# that), prints a markdown table and writes bench/results/latest.md (bulk: bench/results/bulk.md); the latency figure also writes
# bench/results/latency.png. Logs of the application processes: target/bench/<figure>-<time>/.

set -euo pipefail

ROOT_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT_DIR"
# the JDK the figures are quoted for (Java 25 when there is one)
source scripts/pick-jdk.sh
pick_jdk || true

FIGURE="${1:-all}"
[ $# -gt 0 ] && shift

case "$FIGURE" in
  catchup|drain|latency|startup|jmh|consistency|bulk|reference|cpu|restart|replay|all) ;;
  jfr-top)
    [ $# -ge 1 ] || { echo "usage: $0 jfr-top FILE.jfr [thread-name-regex]" >&2; exit 2; }
    [ -f target/test-classes/dev/cacheinvalidation/bench/JfrTop.class ] || ./mvnw -B -q test-compile
    exec java -cp target/test-classes dev.cacheinvalidation.bench.JfrTop "$@"
    ;;
  -h|--help|help)
    sed -n '2,/^$/p' "$0" | sed 's/^# \{0,1\}//'
    exit 0
    ;;
  *)
    echo "usage: $0 [catchup|drain|latency|startup|jmh|consistency|bulk|reference|cpu|restart|replay|all|jfr-top FILE]" \
      "[options]" >&2
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

RUN_DIR="target/bench/$FIGURE-$(date +%Y%m%d-%H%M%S)"
mkdir -p "$RUN_DIR" bench/results
log "run directory $RUN_DIR"

# The run works on a copy of what was built and of the configuration next to it (routes/, application.properties;
# the application runs in $BUILD/app), so that builds and edits in the working tree during the run do not change
# what is measured.
BUILD="$RUN_DIR/build"
build_copy() {
  rm -rf "$BUILD" && mkdir -p "$BUILD/app"
  cp -r target/classes target/test-classes target/cache-invalidation.jar "$BUILD/" 2>/dev/null || return 1
  cp -al target/lib "$BUILD/lib" 2>/dev/null || cp -r target/lib "$BUILD/lib" || return 1
  cp -r routes application.properties "$BUILD/app/" || return 1
  if [ -d target/graal ]; then
    cp -r target/graal "$BUILD/graal" || return 1
    sed "s#target/#$ROOT_DIR/$BUILD/#g" target/graal.args >"$BUILD/graal.args" || return 1
  fi
  # the figures' mains come from src/bench/java, which the pom adds to the test sources; JMH's list of them is
  # written by its annotation processor as they compile
  [ -f "$BUILD/test-classes/META-INF/BenchmarkList" ] \
    && [ -f "$BUILD/test-classes/dev/cacheinvalidation/bench/BenchSupport.class" ] \
    && [ -f "$BUILD/classes/dev/cacheinvalidation/Application.class" ]
}
for attempt in 1 2 3; do
  if [ "${BENCH_SKIP_BUILD:-}" != 1 ]; then
    log "building the jar and the test classes"
    ./mvnw -B -q package -DskipTests
    [ -f target/test-classes/META-INF/BenchmarkList ] || ./mvnw -B -q test-compile
    ./mvnw -B -q dependency:build-classpath -Dmdep.outputFile=target/bench-classpath.txt
  fi
  if build_copy; then break; fi
  [ "$attempt" = 3 ] && { log "the build in target/ is incomplete (another build running?)"; exit 1; }
  log "the build in target/ changed while copying it; building again"
  sleep 10
done
[ -f target/bench-classpath.txt ] || { log "target/bench-classpath.txt is missing"; exit 1; }
CP="$BUILD/classes:$BUILD/test-classes:$(cat target/bench-classpath.txt)"
GRAAL_ARGS=""
if [ -f "$BUILD/graal.args" ] && [ "$(java_major "$(command -v java)")" -ge 21 ]; then
  GRAAL_ARGS="@$ROOT_DIR/$BUILD/graal.args"
fi
# the JVM options of every application process: the experiment's, and the Graal JIT's with BENCH_GRAAL=1
APP_OPTS="${BENCH_APP_OPTS:-}"
if [ "${BENCH_GRAAL:-}" = 1 ]; then
  [ -n "$GRAAL_ARGS" ] || { log "BENCH_GRAAL=1 needs Java 21 or newer and target/graal.args"; exit 1; }
  APP_OPTS="$APP_OPTS $GRAAL_ARGS"
fi

# ------------------------------------------------------------------ the ahead-of-time cache

AOT_CACHE=""
if [ "${BENCH_AOT:-1}" != 0 ] && [ "$FIGURE" != jmh ] && [ "$(java_major "$(command -v java)")" -ge 25 ]; then
  log "making the ahead-of-time cache (scripts/run.sh train, as the Docker image does)"
  if (cd "$BUILD/app" && CACHE_INVALIDATION_JAR="$ROOT_DIR/$BUILD/cache-invalidation.jar" \
      CACHE_INVALIDATION_AOT="$ROOT_DIR/$BUILD/cache-invalidation.aot" "$ROOT_DIR/scripts/run.sh" train \
      >"$ROOT_DIR/$RUN_DIR/aot-training.log" 2>&1); then
    AOT_CACHE="$ROOT_DIR/$BUILD/cache-invalidation.aot"
  else
    log "the training run failed (see $RUN_DIR/aot-training.log): every figure runs without the cache"
  fi
fi

# ------------------------------------------------------------------ the reference: Debezium Server 3.6

DEBEZIUM_SERVER_VERSION=3.6.0.Final
DEBEZIUM_SERVER_HOME=""
fetch_debezium_server() {
  # from Maven Central, checked against its SHA-1 there, unpacked once under target/
  local dir="target/debezium-server/$DEBEZIUM_SERVER_VERSION"
  local url="https://repo.maven.apache.org/maven2/io/debezium/debezium-server-dist/$DEBEZIUM_SERVER_VERSION"
  local file="debezium-server-dist-$DEBEZIUM_SERVER_VERSION.tar.gz"
  if [ ! -d "$dir/debezium-server/lib" ]; then
    mkdir -p "$dir"
    if [ ! -f "$dir/$file" ]; then
      log "fetching Debezium Server $DEBEZIUM_SERVER_VERSION from Maven Central (780 MB, once)"
      curl -fsSL -o "$dir/$file.part" "$url/$file"
      [ "$(curl -fsSL "$url/$file.sha1" | cut -c1-40)" = "$(sha1sum "$dir/$file.part" | cut -c1-40)" ] \
        || { log "the download does not match its SHA-1"; rm -f "$dir/$file.part"; return 1; }
      mv "$dir/$file.part" "$dir/$file"
    fi
    tar xzf "$dir/$file" -C "$dir"
  fi
  DEBEZIUM_SERVER_HOME="$ROOT_DIR/$dir/debezium-server"
}
case "$FIGURE" in
  reference|cpu|all) fetch_debezium_server ;;
esac

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
    -Dbench.jar="$BUILD/cache-invalidation.jar" -Dbench.appDir="$BUILD/app" -Dbench.jfr="$JFR" \
    -Dbench.appOptions="$APP_OPTS" -Dbench.aotCache="$AOT_CACHE" -Dbench.debeziumServer="$DEBEZIUM_SERVER_HOME" "$@"
}

run_figure() {
  case "$1" in
    catchup) bench_java dev.cacheinvalidation.bench.CatchupBench ${ARGS[@]+"${ARGS[@]}"} ;;
    drain) bench_java dev.cacheinvalidation.bench.DrainBench ${ARGS[@]+"${ARGS[@]}"} ;;
    latency) bench_java dev.cacheinvalidation.bench.LatencyBench ${ARGS[@]+"${ARGS[@]}"} ;;
    startup) bench_java dev.cacheinvalidation.bench.StartupBench ${ARGS[@]+"${ARGS[@]}"} ;;
    consistency) bench_java dev.cacheinvalidation.bench.ConsistencyBench ${ARGS[@]+"${ARGS[@]}"} ;;
    bulk) bench_java dev.cacheinvalidation.bench.BulkBench ${ARGS[@]+"${ARGS[@]}"} ;;
    reference) bench_java dev.cacheinvalidation.bench.CatchupReferenceBench ${ARGS[@]+"${ARGS[@]}"} ;;
    cpu) bench_java dev.cacheinvalidation.bench.CpuPerChangeBench ${ARGS[@]+"${ARGS[@]}"} ;;
    restart) bench_java dev.cacheinvalidation.bench.RestartBench ${ARGS[@]+"${ARGS[@]}"} ;;
    replay) bench_java dev.cacheinvalidation.bench.ReplayBench ${ARGS[@]+"${ARGS[@]}"} ;;
    jmh)
      java -cp "$CP" -Dbench.script="$BUILD/app/routes/cache-keys.js" org.openjdk.jmh.Main ScriptStepBenchmark \
        -f 1 -wi 3 -i 5 -rf json -rff "$RUN_DIR/jmh.json" \
        | tee "$RUN_DIR/jmh.log"
      if [ -n "$GRAAL_ARGS" ]; then
        # the same with the Graal JIT compiling the script (more warm-up: Truffle compiles in the background)
        java "$GRAAL_ARGS" -cp "$CP" -Dbench.script="$BUILD/app/routes/cache-keys.js" org.openjdk.jmh.Main \
          ScriptStepBenchmark -f 1 -wi 5 -i 5 -jvmArgsPrepend "$GRAAL_ARGS" -rf json -rff "$RUN_DIR/jmh-graal.json" \
          | tee "$RUN_DIR/jmh-graal.log"
      fi
      ;;
  esac
}

FAILED=0
if [ "$FIGURE" = all ]; then
  FIGURES="startup catchup reference cpu restart drain latency consistency jmh"
else
  FIGURES="$FIGURE"
fi
for figure in $FIGURES; do
  log "figure: $figure"
  if ! run_figure "$figure"; then
    log "figure $figure failed"
    printf '%s\t%s\t\t\n' "$figure" "FAILED (see the output above and $RUN_DIR)" >>"$RUN_DIR/rows.tsv"
    FAILED=1
  fi
done

COMMAND="bench/run.sh $FIGURE${ARGS[*]+ ${ARGS[*]}}"
if [ "$JFR" = true ]; then COMMAND="$COMMAND --jfr"; fi
if [ "${BENCH_GRAAL:-}" = 1 ]; then COMMAND="BENCH_GRAAL=1 $COMMAND"; fi
if [ -n "${BENCH_APP_OPTS:-}" ]; then COMMAND="BENCH_APP_OPTS='$BENCH_APP_OPTS' $COMMAND"; fi
REVISION="$(git rev-parse --short HEAD 2>/dev/null || echo '?')"
if [ -n "$(git status --porcelain -- src/main routes application.properties pom.xml 2>/dev/null || true)" ]; then
  REVISION="$REVISION with local changes"
fi
bench_java dev.cacheinvalidation.bench.BenchReport "$COMMAND" "$REVISION"
exit "$FAILED"
