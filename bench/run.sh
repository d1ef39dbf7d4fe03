#!/usr/bin/env bash
#
# Benchmarks of cache-invalidation, one command per figure (bench/run.sh help lists them, from the table FIGURES
# below):
#
#   bench/run.sh FIGURE [options]   one figure; "all": those marked so in the table
#   bench/run.sh jfr-top FILE.jfr [THREAD-REGEX]   where the CPU samples of a flight recording are
#   bench/run.sh help                               this text and the figures
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
# (4) memory comes with catchup, drain, latency and restart; reference and cpu fetch Debezium Server 3.6, 780 MB,
# from Maven Central into target/ once.
#
# Each run starts private MariaDB and Redis instances (scripts/servers.sh, in a fresh temporary SERVERS_DIR unless
# SERVERS_DIR is set) and stops them at the end, builds the jar and the test classes (BENCH_SKIP_BUILD=1 skips
# that; MVN_FLAGS adds Maven flags), prints a markdown table and writes bench/results/latest.md (bulk:
# bench/results/bulk.md); the latency figure also writes bench/results/latency.png. Logs of the application processes: target/bench/<figure>-<time>/.

set -euo pipefail

ROOT_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT_DIR"
# the JDK the figures are quoted for (Java 25 when there is one)
source scripts/pick-jdk.sh
pick_jdk || true

# The figures: name | main class in dev.cacheinvalidation.bench (jmh: JMH's ScriptStepBenchmark) | in "all" |
# what it needs besides the JVM (servers: MariaDB and Redis and the ahead-of-time cache; debezium: also Debezium
# Server) | what it measures (a line of its own per "|" continuation). "all" runs them in this order.
FIGURES="$(cat <<'TABLE'
startup     | StartupBench          | all | servers  | (5) process start to "Connected to binlog" (2 runs)
catchup     | CatchupBench          | all | servers  | (1) catch-up throughput of the pipeline on a 100,000-change backlog (2 runs)
reference   | CatchupReferenceBench | all | debezium | (11) catch-up from process start against Debezium Server 3.6 in the same run: the
            |                       |     |          | pipeline with the ahead-of-time cache, as plain java -jar, and Debezium Server, one backlog, in turn (2 runs)
cpu         | CpuPerChangeBench     | all | debezium | (12) CPU per change at 5,000 changes/s for 60 s, pipeline and Debezium Server side by side
restart     | RestartBench          | all | servers  | (13) pipeline and worker down while 100,000 changes commit: restart to the last key deleted
drain       | DrainBench            | all | servers  | (2) one worker draining 50,000 events of 5 keys, against the seed's algorithm (2 runs)
latency     | LatencyBench          | all | servers  | (3) end-to-end latency at 5,000 changes/s, pipeline + worker (20 s; --duration 60)
consistency | ConsistencyBench      | all | servers  | (7) racing read-through readers: plain GET/SET, + second delete, lease protocol;
            |                       |     |          | (8) lease-get + lease-fill against GET + SET (30 s per protocol)
jmh         | -                     | all | -        | (6) the JavaScript step per event (JMH, ScriptStepBenchmark)
bulk        | BulkBench             | -   | servers  | (9) one transaction of 1,000,000 rows at -Xmx256m against the catch-up of as many changes
            |                       |     |          | in transactions of 100; (10) workers stopped while 1,500,000 changes commit above a stream
            |                       |     |          | bound of 1,000,000, then one worker (about 10 minutes)
replay      | ReplayBench           | -   | servers  | (14) replay --since of 100,000 changes against the catch-up of the same backlog
TABLE
)"

# figure_field NAME COLUMN: a column of the figure's row (2 main class, 3 in all, 4 needs), nothing for no figure
figure_field() {
  awk -F'|' -v name="$1" -v column="$2" '{ gsub(/ /, "", $1) } $1 == name { gsub(/^ +| +$/, "", $column); print $column }' \
    <<<"$FIGURES"
}

# figure_names [all]: every figure's name, or those of "all", in the table's order
figure_names() {
  awk -F'|' -v only="${1:-}" '{ gsub(/ /, "", $1); gsub(/ /, "", $3) } $1 != "" && (only == "" || $3 == only) { print $1 }' \
    <<<"$FIGURES"
}

usage() {
  sed -n '2,/^$/p' "$0" | sed 's/^# \{0,1\}//'
  echo "Figures:"
  awk -F'|' '{ name = $1; gsub(/ /, "", name); gsub(/ /, "", $3); text = $5; sub(/^ /, "", text) }
    NF == 5 { printf "  %-12s %s%s\n", name, (name != "" && $3 != "all" ? "[not in all] " : ""), text }' <<<"$FIGURES"
}

FIGURE="${1:-all}"
[ $# -gt 0 ] && shift

case "$FIGURE" in
  all) ;;
  jfr-top)
    [ $# -ge 1 ] || { echo "usage: $0 jfr-top FILE.jfr [thread-name-regex]" >&2; exit 2; }
    [ -f target/test-classes/dev/cacheinvalidation/bench/JfrTop.class ] || ./mvnw -B -q test-compile
    exec java -cp target/test-classes dev.cacheinvalidation.bench.JfrTop "$@"
    ;;
  -h|--help|help)
    usage
    exit 0
    ;;
  *)
    if [ -z "$(figure_field "$FIGURE" 2)" ]; then
      echo "usage: $0 [$(figure_names | tr '\n' '|')all|jfr-top FILE] [options]" >&2
      exit 2
    fi
    ;;
esac
if [ "$FIGURE" = all ]; then
  FIGURES_TO_RUN="$(figure_names all)"
else
  FIGURES_TO_RUN="$FIGURE"
fi
# needs_of WHAT: some figure of the run needs it (servers: "servers" or "debezium"; debezium)
needs_of() {
  local figure
  for figure in $FIGURES_TO_RUN; do
    case "$1:$(figure_field "$figure" 4)" in
      servers:servers|servers:debezium|debezium:debezium) return 0 ;;
    esac
  done
  return 1
}

JFR=false
ARGS=()
for arg in "$@"; do
  case "$arg" in
    --jfr) JFR=true ;;
    *) ARGS+=("$arg") ;;
  esac
done

LOG_NAME=bench
source bench/common.sh

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
  # the figures' mains and JMH's list of them (written by its annotation processor as they compile)
  [ -f "$BUILD/test-classes/META-INF/BenchmarkList" ] \
    && [ -f "$BUILD/test-classes/dev/cacheinvalidation/bench/BenchSupport.class" ] \
    && [ -f "$BUILD/classes/dev/cacheinvalidation/Application.class" ]
}
for attempt in 1 2 3; do
  if [ "${BENCH_SKIP_BUILD:-}" != 1 ]; then
    build_jar_and_test_classes
    write_classpath target/bench-classpath.txt
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
if [ "${BENCH_AOT:-1}" != 0 ] && needs_of servers && [ "$(java_major "$(command -v java)")" -ge 25 ]; then
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
if needs_of debezium; then fetch_debezium_server; fi

# ------------------------------------------------------------------ servers

if needs_of servers; then
  trap stop_servers EXIT
  start_servers
fi

bench_java() {
  java -cp "$CP" -Xmx512m -Djava.awt.headless=true -Dservers.env="${SERVERS_DIR:-}/env" -Dbench.out="$RUN_DIR" \
    -Dbench.jar="$BUILD/cache-invalidation.jar" -Dbench.appDir="$BUILD/app" -Dbench.jfr="$JFR" \
    -Dbench.appOptions="$APP_OPTS" -Dbench.aotCache="$AOT_CACHE" -Dbench.debeziumServer="$DEBEZIUM_SERVER_HOME" "$@"
}

run_figure() {
  local main
  main="$(figure_field "$1" 2)"
  if [ "$main" != - ]; then
    bench_java "dev.cacheinvalidation.bench.$main" ${ARGS[@]+"${ARGS[@]}"}
    return
  fi
  # jmh
  java -cp "$CP" -Dbench.script="$BUILD/app/routes/cache-keys.js" org.openjdk.jmh.Main ScriptStepBenchmark \
    -f 1 -wi 3 -i 5 -rf json -rff "$RUN_DIR/jmh.json" \
    | tee "$RUN_DIR/jmh.log"
  if [ -n "$GRAAL_ARGS" ]; then
    # the same with the Graal JIT compiling the script (more warm-up: Truffle compiles in the background)
    java "$GRAAL_ARGS" -cp "$CP" -Dbench.script="$BUILD/app/routes/cache-keys.js" org.openjdk.jmh.Main \
      ScriptStepBenchmark -f 1 -wi 5 -i 5 -jvmArgsPrepend "$GRAAL_ARGS" -rf json -rff "$RUN_DIR/jmh-graal.json" \
      | tee "$RUN_DIR/jmh-graal.log"
  fi
}

FAILED=0
for figure in $FIGURES_TO_RUN; do
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
