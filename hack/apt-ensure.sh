#!/usr/bin/env bash
# hack/apt-ensure.sh COMMAND WHAT PACKAGE... — makes sure COMMAND is on PATH, installing
# Debian's PACKAGEs with apt when it is missing (WHAT says how long, for the progress line).
# Idempotent: nothing is fetched when COMMAND is there.
set -euo pipefail
cmd=$1 what=$2
shift 2
if command -v "$cmd" >/dev/null 2>&1; then
  exit 0
fi
echo "[$cmd] installing Debian's $* ($what)"
SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO=sudo
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "$@" >/dev/null
command -v "$cmd"
