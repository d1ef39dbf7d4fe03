# shellcheck shell=bash
# The private Redis: start, RESP commands, readiness, stop. Sourced by scripts/servers.sh, which sets the paths and settings used here.

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
    stop_pid Redis "$pid" 30
  fi
  rm -f "$RD_PID"
}
