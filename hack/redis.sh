#!/usr/bin/env bash
# Puts redis-server in bin/ for Argo CD (its controller and repo server cache in redis).
# Debian's packages are downloaded and unpacked under bin/.scratch/redis, not installed: no
# service is started and nothing outside bin/ changes. bin/redis-server is a wrapper that
# finds the unpacked libraries. Idempotent: skipped when bin/.stamps/redis names the version.
set -euo pipefail

TOOL=redis
# shellcheck source=hack/lib.sh
source "$(dirname "$0")/lib.sh"
DIR=$SCRATCH/redis

REDIS_SERIES=7 # Argo CD v2.14 is tested with redis 7
PACKAGES="redis-server redis-tools libjemalloc2 liblzf1"

if [ -x "$BIN/redis-server" ] && [ "$(cat "$STAMPS/redis" 2>/dev/null)" = "debian-$REDIS_SERIES" ] &&
  "$BIN/redis-server" --version >/dev/null 2>&1; then
  log "redis-server is up to date in $BIN"
  exit 0
fi
command -v apt-get >/dev/null || { echo "apt-get not found: install redis-server $REDIS_SERIES.x and link it as $BIN/redis-server" >&2; exit 1; }
log "downloading $PACKAGES from Debian's apt (unpacked, not installed)"
rm -rf "$DIR"; mkdir -p "$DIR/debs"
(cd "$DIR/debs" && { apt-get download $PACKAGES >/dev/null 2>&1 || { apt-get update -qq && apt-get download $PACKAGES; }; })
for deb in "$DIR"/debs/*.deb; do dpkg -x "$deb" "$DIR/root"; done
# Debian's redis-server is a link to redis-check-rdb, which picks its role by argv[0]: run the link.
real=$DIR/root/usr/bin/redis-server
[ -x "$real" ] || { echo "no redis-server in $PACKAGES" >&2; exit 1; }
libs=$DIR/root/usr/lib/x86_64-linux-gnu
cat >"$BIN/redis-server" <<SH
#!/bin/sh
# Debian's redis-server, unpacked by hack/redis.sh.
LD_LIBRARY_PATH="$libs\${LD_LIBRARY_PATH:+:\$LD_LIBRARY_PATH}" exec "$real" "\$@"
SH
chmod +x "$BIN/redis-server"
version=$("$BIN/redis-server" --version)
case $version in *"v=$REDIS_SERIES."*) ;; *) echo "unexpected redis: $version" >&2; exit 1 ;; esac
stamp redis "debian-$REDIS_SERIES"
log "ready: $version"
