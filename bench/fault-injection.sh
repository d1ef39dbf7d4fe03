#!/usr/bin/env bash
#
# Fault injection: proves that no invalidation is lost when things fail.
#
#   bench/fault-injection.sh [a|b|c|d ...] [harness options]
#
#   a  the pipeline is killed with kill -9 five times at random points of a 50,000-change workload and
#      started again each time
#   b  Redis is shut down (append-only file kept) mid-load and started again 10 s later
#   c  MariaDB is restarted mid-load (scripts/servers.sh restart-mariadb)
#   d  the stream is loaded first, then one of two workers is killed with kill -9 mid-drain
#
# No scenario given: all four. Each scenario pre-sets the cache key of every row its workload touches plus
# control keys of rows it never touches, runs the packaged application (one pipeline process, worker
# processes) on a stream of its own, injects the fault, waits until the pipeline has caught up and the
# consumer group is drained, and prints one line:
#
#   scenario=a-pipeline-kill9x5 changes=50000 ... keys_to_delete=N still_present=0 control_deleted=0
#     stream_missing=0 duplicate_deliveries=N dead_letters=0 ... recovery_ms=N ... result=PASS
#
#   still_present         keys of changed rows still in Redis at the end (lost invalidations)
#   control_deleted       keys of untouched rows that were deleted
#   stream_missing        committed changes that never reached the stream
#   duplicate_deliveries  stream entries whose (source.file, source.pos, source.row, table) came before
#   dead_letters          entries in the scenario's dead-letter stream (never invalidated)
#   recovery_ms           from the end of the fault (process started again, server answering again; in d
#                         the kill) until every change committed before it is in the stream and every key of
#                         those rows is deleted (in d: and nothing is pending); the longest of the faults,
#                         each one in recovery_ms_each; -1: not within the time limit
#
# Exit status 0 only if every scenario passed. Harness options (see --help): --changes=N, --changes-b=N
# (per scenario), --kills=N, --seed=N, --redis-gap-ms=N, --claim-idle-ms=N, --timeout-s=N,
# --set=key=value (a property for every application process), --keep.
#
# The script starts private MariaDB and Redis instances (scripts/servers.sh in a fresh temporary
# SERVERS_DIR) and removes them at the end, builds the jar and the test classes (FAULTS_SKIP_BUILD=1
# skips that; MVN_FLAGS adds Maven flags, e.g. MVN_FLAGS=-o; both as bench/common.sh does), and keeps the application logs of a failed
# run (its temporary directory is printed). KEEP_SERVERS=1 leaves the servers running.

set -euo pipefail

ROOT_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT_DIR"

case "${1:-}" in
  -h|--help|help)
    sed -n '2,/^$/p' "$0" | sed 's/^# \{0,1\}//'
    exit 0
    ;;
esac

LOG_NAME=fault-injection
source bench/common.sh

WORK_DIR="$(mktemp -d -t fault-injection.XXXXXX)"
STATUS=1

finish() {
  if [ "${KEEP_SERVERS:-}" = 1 ]; then
    log "servers left running: SERVERS_DIR=${SERVERS_DIR:-} scripts/servers.sh env"
  else
    stop_servers
  fi
  if [ "$STATUS" = 0 ]; then
    [ "${KEEP_SERVERS:-}" = 1 ] || rm -rf "$WORK_DIR"
  else
    log "application logs kept in $WORK_DIR/logs"
  fi
}
trap finish EXIT

[ "${FAULTS_SKIP_BUILD:-}" = 1 ] || build_jar_and_test_classes
[ -f target/cache-invalidation.jar ] || { log "target/cache-invalidation.jar is missing"; exit 1; }
[ -f target/test-classes/dev/cacheinvalidation/faults/FaultInjectionHarness.class ] \
  || { log "the test classes are missing (./mvnw -B -q package -DskipTests builds them)"; exit 1; }
write_classpath "$WORK_DIR/classpath"

# always servers of its own, in the run's temporary directory
start_servers "$WORK_DIR"

set +e
java -Dservers.env="$SERVERS_DIR/env" \
  -cp "target/classes:target/test-classes:$(cat "$WORK_DIR/classpath")" \
  dev.cacheinvalidation.faults.FaultInjectionHarness --log-dir="$WORK_DIR/logs" "$@"
STATUS=$?
set -e
exit "$STATUS"
