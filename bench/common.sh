# shellcheck shell=bash
# What bench/run.sh and bench/fault-injection.sh share: the build, its classpath and the private servers.
# Sourced from the repository's root directory; LOG_NAME names the messages.

log() { printf '[%s] %s\n' "$LOG_NAME" "$*" >&2; }

# MVN_FLAGS adds Maven flags, e.g. MVN_FLAGS=-o
# shellcheck disable=SC2206 # MVN_FLAGS is a list of flags
MVN=(./mvnw -B -q -Dstyle.color=never ${MVN_FLAGS:-})

# build_jar_and_test_classes: target/cache-invalidation.jar and the test classes, with the benchmarks' mains
# (src/bench/java, which the pom adds to the test sources) and JMH's list of them
build_jar_and_test_classes() {
  log "building the jar and the test classes"
  "${MVN[@]}" package -DskipTests >&2
  [ -f target/test-classes/META-INF/BenchmarkList ] || "${MVN[@]}" test-compile >&2
}

# write_classpath FILE: the dependencies of the build, test scope, as a class path
write_classpath() {
  "${MVN[@]}" dependency:build-classpath -Dmdep.outputFile="$1" >&2
}

# start_servers [DIR]: private MariaDB and Redis (scripts/servers.sh), in DIR/servers when given, else in
# SERVERS_DIR when set, else in a fresh temporary directory; stop_servers removes those of DIR or of the temporary
# directory and only stops those of a SERVERS_DIR of the caller (nothing before a start_servers)
SERVERS_CHOSEN=false
SERVERS_OWNED=false
SERVERS_TEMP=""
start_servers() {
  if [ -n "${1:-}" ]; then
    SERVERS_DIR="$1/servers"
    SERVERS_OWNED=true
  elif [ -z "${SERVERS_DIR:-}" ]; then
    SERVERS_TEMP="$(mktemp -d)"
    SERVERS_DIR="$SERVERS_TEMP/servers"
    SERVERS_OWNED=true
  fi
  export SERVERS_DIR
  SERVERS_CHOSEN=true
  log "starting private MariaDB and Redis"
  scripts/servers.sh start >/dev/null
}

stop_servers() {
  [ "$SERVERS_CHOSEN" = true ] || return 0
  if [ "$SERVERS_OWNED" = true ]; then
    scripts/servers.sh clean >/dev/null 2>&1 || scripts/servers.sh stop >/dev/null 2>&1 || true
  else
    scripts/servers.sh stop >/dev/null 2>&1 || true
  fi
  [ -z "$SERVERS_TEMP" ] || rm -rf "$SERVERS_TEMP"
}
