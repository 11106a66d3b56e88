#!/usr/bin/env bash
# Makes sure a headless-capable Chromium is on PATH for the dashboard's browser tests:
# Debian's chromium package, installed with apt when missing (about 25 s). The tests run it
# headless, over a pipe (no debugging port).
exec "$(dirname "$0")/apt-ensure.sh" chromium "about 25 s" chromium fonts-dejavu-core
