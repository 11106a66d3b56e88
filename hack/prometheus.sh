#!/usr/bin/env bash
# Makes sure a prometheus binary is on PATH: Debian's package (2.42), installed with apt when
# missing. Analysis tests, the e2e suite and the demo start it as a plain process on 127.0.0.1.
set -euo pipefail
if command -v prometheus >/dev/null 2>&1; then
  exit 0
fi
echo "[prometheus] installing Debian's prometheus package (about 30 s)"
SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO=sudo
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends prometheus >/dev/null
command -v prometheus
