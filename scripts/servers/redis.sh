# shellcheck shell=bash
# The private Redis: start, readiness, commands, stop. Sourced by scripts/servers.sh, which sets the paths and settings used here.

# ------------------------------------------------------------------ Redis

redis_alive() { pid_alive "$RD_PID" 'redis-server|redis'; }

redis_port() { read_number "$RD_PORT_FILE"; }

# Sets RD_SERVER: the installed redis-server, else the one of the embedded-redis jar.
redis_binaries() {
  if RD_SERVER="$(find_bin redis-server)"; then return 0; fi
  jar_fallback redis-server redis-server
  RD_SERVER="$(unpack_jar "$(maven_artifact "$EMBEDDED_REDIS_JAR")" "$EMBEDDED_REDIS_PATH")"
  log "using Redis of $EMBEDDED_REDIS_JAR ($RD_SERVER)"
}

# redis_command ARGS...: runs one command on the private Redis with redis-cli, else with the JDK alone
# (scripts/RedisCommand.java), and prints the reply as redis-cli does off a terminal
redis_command() {
  local cli port
  port="$(redis_port)" || die "Redis port unknown"
  if cli="$(find_bin redis-cli)"; then
    "$cli" -h 127.0.0.1 -p "$port" "$@"
  else
    "${JAVA_HOME:+$JAVA_HOME/bin/}java" "$ROOT_DIR/scripts/RedisCommand.java" "$port" "$@"
  fi
}

# redis_ready LOG_START: the Redis started after byte LOG_START of its log has loaded its data and takes commands
redis_ready() {
  [ -f "$RD_PID" ] && tail -c +$(( $1 + 1 )) "$RD_LOG" 2>/dev/null | grep -q 'Ready to accept connections'
}

# redis_start [same-port]
redis_start() {
  local mode="${1:-}" port i log_start
  mkdir -p "$RD_DATA"

  if redis_alive; then
    port="$(redis_port)" || die "Redis is running (pid file $RD_PID) but $RD_PORT_FILE is missing"
    for i in $(seq 1 $(( START_TIMEOUT * 5 ))); do
      port_in_use "$port" && break
      sleep 0.2
    done
    port_in_use "$port" || die "Redis (pid $(cat "$RD_PID")) is running but does not answer"
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
  log_start="$(stat -c %s "$RD_LOG" 2>/dev/null || echo 0)"
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
    if redis_ready "$log_start"; then
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
  local pid
  pid="$(cat "$RD_PID")"
  log "stopping Redis (pid $pid)"
  # SIGTERM: Redis flushes and fsyncs the append-only file and, with no save points (--save ""), writes no RDB
  # snapshot, as SHUTDOWN NOSAVE does
  stop_pid Redis "$pid" 50
  rm -f "$RD_PID"
}
