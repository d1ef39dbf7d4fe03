# shellcheck shell=bash
# Logging, the servers of the Maven Central jars, processes and ports. Sourced by scripts/servers.sh, which sets the paths and settings used here.

log() { printf '[servers] %s\n' "$*" >&2; }
die() { printf '[servers] ERROR: %s\n' "$*" >&2; exit 1; }

# find_bin NAME...: the first NAME of the installed packages: on the PATH, or in the sbin directory
# beside a PATH entry (Debian puts mariadbd in /usr/sbin, which a user's PATH often leaves out).
# With SERVERS_FROM=jars none is found, as on a machine with only a JDK.
find_bin() {
  local name dir
  [ "$SERVERS_FROM" = jars ] && return 1
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

# jar_fallback SERVER PACKAGE: the server is not installed; dies where the jar's cannot be used instead.
jar_fallback() {
  [ "$SERVERS_FROM" != packages ] || die "SERVERS_FROM=packages, but $1 is not installed: install the $2 package"
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

# stop_pid NAME PID SECONDS: SIGTERM, then SIGKILL if PID has not ended within SECONDS.
stop_pid() {
  local name="$1" pid="$2" seconds="$3"
  kill -TERM "$pid" 2>/dev/null || true
  if ! wait_pid_exit "$pid" "$seconds"; then
    log "$name did not stop within ${seconds}s, killing it"
    kill -KILL "$pid" 2>/dev/null || true
    wait_pid_exit "$pid" 10 || die "could not stop $name pid $pid"
  fi
}
