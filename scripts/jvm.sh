# shellcheck shell=bash
# The Java version check and the JVM options of the application (scripts/jvm.options), for the scripts that
# source it: scripts/run.sh, scripts/pick-jdk.sh, scripts/try.sh, scripts/camel-jbang.sh.

JVM_OPTIONS_FILE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/jvm.options"

# java_major JAVA: the major version of the given java binary (e.g. 25), or nothing
java_major() {
  "$1" -version 2>&1 | sed -n 's/.*version "\([0-9][0-9]*\)[."].*/\1/p' | head -n 1
}

# jvm_options MAJOR: the options of scripts/jvm.options for every start with that Java version, one a line: those
# of "all", and those of "java24" from Java 24 on
jvm_options() {
  local case option
  while read -r case option; do
    case "$case" in
      all) printf '%s\n' "$option" ;;
      java[0-9]*) [ "$1" -lt "${case#java}" ] || printf '%s\n' "$option" ;;
    esac
  done <"$JVM_OPTIONS_FILE"
}

# jvm_options_of CASE...: the options of scripts/jvm.options for those cases only (aot, aot-use), one a line
jvm_options_of() {
  local case option
  while read -r case option; do
    [[ " $* " != *" $case "* ]] || printf '%s\n' "$option"
  done <"$JVM_OPTIONS_FILE"
}
