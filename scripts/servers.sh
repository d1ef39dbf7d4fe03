#!/usr/bin/env bash
#
# Private MariaDB (binlog in ROW format, for CDC) and Redis instances for local runs and
# integration tests, started from the installed MariaDB and Redis packages. Nothing is
# shared with system-wide servers: every file lives under $SERVERS_DIR and both servers
# listen on free TCP ports of 127.0.0.1.
#
# Usage: scripts/servers.sh start|stop|status|env|restart-mariadb|restart-redis|clean|sql
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
#
# Environment:
#   SERVERS_DIR            state directory (default: <repo>/target/servers)
#   SERVERS_START_TIMEOUT  seconds to wait for a server to answer (default: 90)
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

log() { printf '[servers] %s\n' "$*" >&2; }
die() { printf '[servers] ERROR: %s\n' "$*" >&2; exit 1; }

find_bin() {
  local name path
  for name in "$@"; do
    if path="$(PATH="$PATH:/usr/sbin:/usr/local/sbin:/sbin:/usr/bin:/usr/local/bin" command -v "$name" 2>/dev/null)"; then
      printf '%s\n' "$path"
      return 0
    fi
  done
  return 1
}

need_bin() {
  find_bin "$@" || die "none of [$*] found; install the mariadb-server, mariadb-client and redis-server packages"
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

my_root() {
  local client
  client="$(need_bin mariadb mysql)"
  "$client" --no-defaults --protocol=socket --socket="$MY_SOCK" -uroot "$@"
}

mariadb_ping() { my_root -N -e 'SELECT 1' >/dev/null 2>&1; }

mariadb_port() { read_number "$MY_PORT_FILE"; }

mariadb_install() {
  local install_db
  install_db="$(need_bin mariadb-install-db mysql_install_db)"
  local args=(--no-defaults "--datadir=$MY_DATA" --auth-root-authentication-method=normal --skip-test-db)
  if [ "$(id -u)" = 0 ]; then args+=("--user=$(id -un)"); fi
  # shellcheck disable=SC2206 # extra server options, split on spaces (e.g. the TLS test's certificates)
  args+=(${MARIADB_EXTRA_ARGS:-})
  log "initialising MariaDB data directory $MY_DATA"
  rm -rf "$MY_DATA"
  mkdir -p "$MY_DATA"
  if ! "$install_db" "${args[@]}" >"$MY_DIR/install.log" 2>&1; then
    tail -n 30 "$MY_DIR/install.log" >&2 || true
    die "mariadb-install-db failed (see $MY_DIR/install.log)"
  fi
  rm -f "$MY_READY"
}

# Loads the application schema and creates the users, once per data directory.
mariadb_init() {
  [ -f "$MY_READY" ] && return 0
  [ -f "$SCHEMA_FILE" ] || die "schema file not found: $SCHEMA_FILE"
  log "loading $(basename "$SCHEMA_FILE")"
  my_root <"$SCHEMA_FILE" || die "loading the schema failed"
  log "creating users '$CDC_USER' and '$ADMIN_USER'"
  local anon drop_anon=""
  anon="$(my_root -N -e "SELECT CONCAT('DROP USER IF EXISTS ''''@''', Host, ''';') FROM mysql.user WHERE User = ''")" || true
  drop_anon="$anon"
  my_root <<SQL || die "creating the users failed"
SET SESSION sql_log_bin = 0;
$drop_anon
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
  touch "$MY_READY"
}

# mariadb_start [same-port]: with "same-port" the recorded port is mandatory.
mariadb_start() {
  local mode="${1:-}" port daemon
  mkdir -p "$MY_DIR"

  if mariadb_alive; then
    port="$(mariadb_port)" || die "MariaDB is running (pid file $MY_PID) but $MY_PORT_FILE is missing"
    if ! mariadb_wait_ready ""; then
      die "MariaDB (pid $(cat "$MY_PID")) is running but does not answer on $MY_SOCK"
    fi
    log "reusing MariaDB pid $(cat "$MY_PID") on 127.0.0.1:$port"
    mariadb_init
    return 0
  fi

  daemon="$(need_bin mariadbd mysqld)"
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
  if [ "$(id -u)" = 0 ]; then args+=("--user=$(id -un)"); fi
  # shellcheck disable=SC2206 # extra server options, split on spaces (e.g. the TLS test's certificates)
  args+=(${MARIADB_EXTRA_ARGS:-})

  log "starting MariaDB on 127.0.0.1:$port (data $MY_DATA)"
  spawn_daemon "$MY_LOG" "$daemon" "${args[@]}"
  if ! mariadb_wait_ready "$SPAWNED_PID"; then
    tail -n 40 "$MY_LOG" >&2 || true
    die "MariaDB did not become ready within ${START_TIMEOUT}s (log: $MY_LOG)"
  fi
  log "MariaDB is ready (pid $(cat "$MY_PID"))"
  mariadb_init
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

redis_ping() {
  local cli port
  cli="$(need_bin redis-cli)"
  port="$(redis_port)" || return 1
  [ "$("$cli" -h 127.0.0.1 -p "$port" ping 2>/dev/null)" = PONG ]
}

# redis_start [same-port]
redis_start() {
  local mode="${1:-}" port server i
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

  server="$(need_bin redis-server)"
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
  spawn_daemon "$RD_LOG" "$server" \
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
  local pid port cli
  pid="$(cat "$RD_PID")"
  log "stopping Redis (pid $pid)"
  # NOSAVE skips the RDB snapshot only; the append-only file is still flushed and fsynced.
  if port="$(redis_port)" && cli="$(find_bin redis-cli)"; then
    "$cli" -h 127.0.0.1 -p "$port" shutdown nosave >/dev/null 2>&1 || true
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
      my_root "$APP_DB" -e "$*"
      ;;
    -h|--help|help)
      sed -n '2,/^$/p' "$0" | sed 's/^# \{0,1\}//' >&2
      ;;
    *)
      echo "usage: $0 start|stop|status|env|restart-mariadb|restart-redis|clean|sql" >&2
      exit 2
      ;;
  esac
}

main "$@"
