#!/usr/bin/env bash
# Sourced by .ci/run and bench/run.sh: points JAVA_HOME and PATH at the JDK to build, test and measure with.
# Java 25 is what the project is measured and tested on; any JDK from 17 on runs it (the code targets 17), so
# without a 25 the newest JDK found is used.

# java_major
source "$(dirname "${BASH_SOURCE[0]}")/jvm.sh"

pick_jdk() {
  local best="" best_major=0 candidate major
  for candidate in ${JAVA_HOME:-} /usr/lib/jvm/*; do
    [ -x "$candidate/bin/javac" ] || continue
    major="$(java_major "$candidate/bin/java")"
    [ -n "$major" ] || continue
    if [ "$major" = 25 ]; then
      best="$candidate"
      break
    fi
    if [ "$major" -ge 17 ] && [ "$major" -gt "$best_major" ]; then
      best="$candidate"
      best_major="$major"
    fi
  done
  [ -n "$best" ] || return 1
  export JAVA_HOME="$best"
  export PATH="$JAVA_HOME/bin:$PATH"
}
