#!/usr/bin/env bash
# Makes sure a headless-capable Chromium is on PATH for the dashboard's browser tests:
# Debian's chromium package, installed with apt when missing (about a minute). The tests run
# it headless on 127.0.0.1 only.
set -euo pipefail
if command -v chromium >/dev/null 2>&1; then
  exit 0
fi
echo "[chromium] installing Debian's chromium package (about a minute)"
SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO=sudo
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends chromium fonts-dejavu-core >/dev/null
command -v chromium
