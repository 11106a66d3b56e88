#!/usr/bin/env bash
# Makes sure a prometheus binary (and promtool, for the alert rules' tests) is on PATH:
# Debian's package (2.42), installed with apt when missing. Analysis tests, the e2e suite and
# the demo start it as a plain process on 127.0.0.1.
exec "$(dirname "$0")/apt-ensure.sh" prometheus "about 30 s" prometheus
