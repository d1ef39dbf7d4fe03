#!/usr/bin/env bash
#
# Tries cache-invalidation on this machine; a JDK (17 or newer) is all it needs. It
#   1. builds target/cache-invalidation.jar with ./mvnw when the jar is missing or older than the sources,
#   2. starts a private MariaDB (binlog on, the example schema) and Redis in demo/servers
#      (scripts/servers.sh: the installed packages, else the servers of two Maven Central jars),
#   3. runs pipeline and worker in one process, its position and schema history in demo/data,
#   4. shows the original example's scenario: cache keys set, alice's email changed, the worker
#      invalidating the five keys of that change, user:2 left alone,
#   5. keeps everything running for you to go on by hand, until Ctrl+C stops all it started.
#
# Every run starts from a fresh demo/ (the tests use target/servers, never this).
#
# Usage: scripts/try.sh [--exit]     --exit: stop everything after the scenario instead of waiting
#
# Environment:
#   TRY_DIR   the demo's directory (default: <repo>/demo); the tests point it elsewhere
set -euo pipefail

ROOT_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT_DIR"
DEMO_DIR="${TRY_DIR:-$ROOT_DIR/demo}"
DEMO="${DEMO_DIR#"$ROOT_DIR"/}"   # as messages show it: relative to the repository where it is inside
JAR=target/cache-invalidation.jar
export SERVERS_DIR="$DEMO_DIR/servers"

say() { printf '[try] %s\n' "$*" >&2; }
die() { printf '[try] ERROR: %s\n' "$*" >&2; exit 1; }

exit_after_scenario=false
case "${1:-}" in
  --exit) exit_after_scenario=true ;;
  '') ;;
  *) echo "usage: $0 [--exit]" >&2; exit 2 ;;
esac

JAVA="${JAVA_HOME:+$JAVA_HOME/bin/}java"
command -v "$JAVA" >/dev/null 2>&1 || die "no java found: install a JDK 17 or newer (or set JAVA_HOME)"
# java_major, jvm_options
source scripts/jvm.sh
major="$(java_major "$JAVA")"
[ "${major:-0}" -ge 17 ] || die "$JAVA is Java ${major:-?}: Java 17 or newer is needed"
# Maven's Guice still uses sun.misc.Unsafe, which Java 24 and later warn of at every start
unsafe_allowed=()
if [ "$major" -ge 24 ]; then unsafe_allowed=(--sun-misc-unsafe-memory-access=allow); fi

# ------------------------------------------------------------------ build

if [ ! -f "$JAR" ] || [ -n "$(find pom.xml src/main -newer "$JAR" -print -quit)" ]; then
  say "building $JAR (./mvnw -B -q package -DskipTests)"
  MAVEN_OPTS="${MAVEN_OPTS:-} ${unsafe_allowed[*]}" ./mvnw -B -q package -DskipTests >&2 || die "the build failed"
fi

# ------------------------------------------------------------------ servers and application

app_pid=""
tail_pid=""
stop_all() {
  trap - INT TERM EXIT
  [ -n "$tail_pid" ] && kill "$tail_pid" 2>/dev/null || true
  if [ -n "$app_pid" ] && kill -0 "$app_pid" 2>/dev/null; then
    say "stopping the application (pid $app_pid)"
    kill -TERM "$app_pid" 2>/dev/null || true
    wait "$app_pid" 2>/dev/null || true
  fi
  scripts/servers.sh stop || true
  say "stopped; the demo's data stays in $DEMO_DIR until the next run"
}
trap stop_all EXIT
trap 'exit 130' INT TERM

if [ -d "$SERVERS_DIR" ]; then
  scripts/servers.sh clean >/dev/null 2>&1 \
    || die "could not stop the servers of the last try: SERVERS_DIR=$DEMO/servers scripts/servers.sh status"
fi
if [ -d "$DEMO_DIR" ] && [ -n "$(ls -A "$DEMO_DIR")" ] && [ ! -e "$DEMO_DIR/app.log" ] && [ ! -d "$DEMO_DIR/servers" ]; then
  die "$DEMO_DIR holds something else than a demo: not removing it"
fi
rm -rf "$DEMO_DIR"
mkdir -p "$DEMO_DIR"

eval "$(scripts/servers.sh start)"

# a free port for health and metrics
management_port=""
for candidate in $(seq $(( 40000 + RANDOM % 10000 )) 50999); do
  if ! (exec 3<>"/dev/tcp/127.0.0.1/$candidate") 2>/dev/null; then management_port="$candidate"; break; fi
done
[ -n "$management_port" ] || die "no free TCP port for the health endpoint"

# the options of every start (scripts/jvm.options), then the demo's settings
mapfile -t app_options < <(jvm_options "$major")
app_options+=("-Dcdc.dataDir=$DEMO_DIR/data" "-Dcamel.management.port=$management_port")

say "starting pipeline and worker: java ${app_options[0]} -jar $JAR (log: $DEMO/app.log)"
: >"$DEMO_DIR/app.log"
# the demo's servers only: nothing else of the caller's environment (a CACHE_URI, a key's override) reaches it
env -i PATH="$PATH" HOME="$HOME" MYSQL_DSN="$MYSQL_DSN" REDIS_URI="$REDIS_URI" \
  "$JAVA" "${app_options[@]}" -jar "$JAR" >>"$DEMO_DIR/app.log" 2>&1 </dev/null &
app_pid=$!
tail -n +1 -f "$DEMO_DIR/app.log" >&2 &
tail_pid=$!

# health_ready: the binlog is being read (readiness UP)
health_ready() {
  local status
  status="$( (exec 4<>"/dev/tcp/127.0.0.1/$management_port" \
    && printf 'GET /observe/health/ready HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n' >&4 \
    && IFS= read -r -t 5 line <&4 && printf '%s' "$line") 2>/dev/null || true)"
  case "$status" in *' 200 '*) return 0 ;; *) return 1 ;; esac
}

for _ in $(seq 1 600); do
  health_ready && break
  kill -0 "$app_pid" 2>/dev/null || die "the application stopped (log: $DEMO/app.log)"
  sleep 0.2
done
health_ready || die "the application did not get ready within 120 s (log: $DEMO/app.log)"

# ------------------------------------------------------------------ the scenario

redis() { scripts/servers.sh redis "$@"; }

sleep 0.5   # let the start-up lines finish before the scenario's
say "--- the original example's scenario"
say "cache keys: user:1 user:email:alice@example.com user:1:orders user:1:profile user:2"
redis mset user:1 x user:email:alice@example.com x user:1:orders x user:1:profile x user:2 x >/dev/null
say "UPDATE app.users SET email = 'alice.new@example.com' WHERE id = 1"
scripts/servers.sh sql "UPDATE app.users SET email = 'alice.new@example.com' WHERE id = 1"

for _ in $(seq 1 300); do
  grep -q 'Invalidated 5 keys for app.users' "$DEMO_DIR/app.log" && break
  kill -0 "$app_pid" 2>/dev/null || die "the application stopped (log: $DEMO/app.log)"
  sleep 0.2
done
grep -q 'Invalidated 5 keys for app.users' "$DEMO_DIR/app.log" \
  || die "the worker did not log 'Invalidated 5 keys for app.users' within 60 s (log: $DEMO/app.log)"
sleep 0.2
say "cache keys left: $(redis keys 'user:*' | sort | paste -sd ' ' -)"
say "---"

if $exit_after_scenario; then
  exit 0
fi

cat >&2 <<EOF
[try] Running: pipeline and worker (pid $app_pid, log $DEMO/app.log), MariaDB and Redis of $DEMO/servers.
[try] Go on by hand in another terminal:
    cd $ROOT_DIR
    export SERVERS_DIR=$DEMO/servers
    eval "\$(scripts/servers.sh env)"        # MYSQL_DSN, MYSQL_ADMIN_DSN, REDIS_URI
    scripts/servers.sh redis mset product:1 x product:1:details x category:10:products x product:2 x
    scripts/servers.sh sql "UPDATE app.products SET price = 10.99 WHERE id = 1"
    scripts/servers.sh redis keys '*'                     # product:2 is left
    curl -s http://127.0.0.1:$management_port/observe/health
[try] Ctrl+C stops the application and the servers.
EOF
wait "$app_pid" || true
app_pid=""
say "the application stopped (log: $DEMO/app.log)"
