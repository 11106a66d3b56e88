#!/usr/bin/env bash
# Builds Traefik v3 (Weir's Gateway API implementation) from the Go module proxy into bin/traefik.
# Idempotent: skipped when bin/traefik exists and bin/.stamps/traefik names the pinned version.
# A cold build takes ~12 minutes on 2 busy cores (Go build cache +3 GB); a warm one ~40 s.
#
# `go install github.com/traefik/traefik/v3/cmd/traefik@VERSION` is refused because Traefik's go.mod
# has replace directives, so a scratch module in bin/.scratch/traefik-VERSION requires Traefik and
# carries its replace/exclude lines. Three of those can't be satisfied from the module proxy alone;
# each gap is filled locally in the scratch dir. Traefik's routing code is never changed.
#  1. github.com/traefik/traefik/dynamic/ext is a separate module inside Traefik's repository
#     (replace => ./pkg/config/dynamic/ext) that the proxy doesn't serve. In open-source Traefik it
#     only holds the empty structs HTTP and Router, embedded in the dynamic config: a stub module
#     with those two empty structs is equivalent.
#  2. Traefik replaces github.com/abbot/go-http-auth with the fork github.com/containous/go-http-auth,
#     which the proxy refuses (403). Upstream v0.4.0 is served; Traefik additionally calls
#     CheckSecret(password, secret) and (*DigestAuth).RequireAuthStale, so a local copy of v0.4.0
#     gets a small file adding those two. Affects only the basicAuth/digestAuth middlewares (v0.4.0
#     never reports a stale digest nonce, so a stale nonce gets a plain re-challenge).
#  3. github.com/go-acme/lego/v5 registers 13 ACME DNS-01 providers whose SDKs the proxy refuses
#     ($LEGO_DROPPED below). A writable copy of lego from the module cache has them removed from
#     providers/dns/zz_gen_dns_providers.go. Affects only ACME DNS-01 challenges with those providers.
set -euo pipefail

TOOL=traefik
# shellcheck source=hack/lib.sh
source "$(dirname "$0")/lib.sh"

TRAEFIK_VERSION=v3.7.13 # built against sigs.k8s.io/gateway-api v1.6.1
GO_HTTP_AUTH_VERSION=v0.4.0
LEGO_DROPPED="edgedns azion dnsimple alidns aliesa tencentcloud edgeone huaweicloud oraclecloud regfish sakuracloud ucloud yandexcloud"

export CGO_ENABLED=0 GOFLAGS=-mod=mod GOTOOLCHAIN=local GOWORK=off


# mod_field MODULE@VERSION FIELD: a field (Dir, GoMod) of `go mod download -json`.
mod_field() {
  go mod download -json "$1" | sed -n "s/.*\"$2\": \"\\(.*\\)\".*/\\1/p"
}

if [ -x "$BIN/traefik" ] && [ "$(cat "$STAMPS/traefik" 2>/dev/null)" = "$TRAEFIK_VERSION" ]; then
  log "traefik $TRAEFIK_VERSION is up to date in $BIN"
  exit 0
fi

dir=$SCRATCH/traefik-$TRAEFIK_VERSION
if [ ! -f "$dir/.ready" ]; then
  log "preparing scratch module $dir"
  rm -rf "$dir"
  mkdir -p "$dir"

  log "downloading traefik $TRAEFIK_VERSION's go.mod"
  gomod=$(mod_field "github.com/traefik/traefik/v3@$TRAEFIK_VERSION" GoMod)
  [ -f "$gomod" ] || { echo "no go.mod for traefik $TRAEFIK_VERSION" >&2; exit 1; }
  # Traefik's own exclude lines and its mux fork are kept as they are; the replaces for the
  # three gaps are rewritten below.
  grep -E '^exclude ' "$gomod" >"$dir/traefik-excludes.txt"
  mux=$(grep -E '^\s*github\.com/gorilla/mux => ' "$gomod" | sed 's/^\s*//')
  [ -n "$mux" ] || { echo "traefik's go.mod no longer replaces gorilla/mux" >&2; exit 1; }

  # Gap 1: the in-repo module github.com/traefik/traefik/dynamic/ext.
  log "gap 1: stub module github.com/traefik/traefik/dynamic/ext"
  mkdir -p "$dir/dynamic-ext"
  printf 'module github.com/traefik/traefik/dynamic/ext\n\ngo 1.26.0\n' >"$dir/dynamic-ext/go.mod"
  cat >"$dir/dynamic-ext/ext.go" <<'GO'
// Package ext stands in for Traefik's in-repo module pkg/config/dynamic/ext, which the module
// proxy doesn't serve. Its types are empty in open-source Traefik.
package ext

// HTTP is embedded in dynamic.HTTPConfiguration.
type HTTP struct{}

// Router is embedded in dynamic.Router.
type Router struct{}
GO

  # Gap 2: github.com/abbot/go-http-auth v0.4.0 plus the two functions of containous' fork.
  log "gap 2: github.com/abbot/go-http-auth $GO_HTTP_AUTH_VERSION plus CheckSecret and RequireAuthStale"
  auth=$(mod_field "github.com/abbot/go-http-auth@$GO_HTTP_AUTH_VERSION" Dir)
  mkdir -p "$dir/go-http-auth"
  cp "$auth/LICENSE" "$dir/go-http-auth/"
  for f in "$auth"/*.go; do
    case $f in *_test.go) ;; *) cp "$f" "$dir/go-http-auth/" ;; esac
  done
  chmod -R u+w "$dir/go-http-auth"
  printf 'module github.com/abbot/go-http-auth\n\ngo 1.21\n' >"$dir/go-http-auth/go.mod"
  cat >"$dir/go-http-auth/traefik_compat.go" <<'GO'
package auth

// Added to upstream v0.4.0 by Weir's hack/traefik.sh: the two functions Traefik uses from its
// fork github.com/containous/go-http-auth, which the module proxy refuses.

import (
	"fmt"
	"net/http"
	"strings"
	"time"
)

// CheckSecret reports whether password matches the hashed secret (MD5 crypt, {SHA} or bcrypt),
// picking the comparison by the secret's prefix exactly as (*BasicAuth).CheckAuth does.
func CheckSecret(password, secret string) bool {
	compare := compareFuncs[0].compare
	for _, cmp := range compareFuncs[1:] {
		if strings.HasPrefix(secret, cmp.prefix) {
			compare = cmp.compare
			break
		}
	}
	return compare([]byte(secret), []byte(password)) == nil
}

// RequireAuthStale is RequireAuth with stale=true in the challenge (RFC 2617 section 3.2.1): the
// client may retry with the new nonce without asking the user again.
func (a *DigestAuth) RequireAuthStale(w http.ResponseWriter, r *http.Request) {
	a.mutex.Lock()
	if len(a.clients) > a.ClientCacheSize+a.ClientCacheTolerance {
		a.Purge(a.ClientCacheTolerance * 2)
	}
	nonce := RandomKey()
	a.clients[nonce] = &digest_client{nc: 0, last_seen: time.Now().UnixNano()}
	a.mutex.Unlock()
	w.Header().Set(contentType, a.Headers.V().UnauthContentType)
	w.Header().Set(a.Headers.V().Authenticate,
		fmt.Sprintf(`Digest realm="%s", nonce="%s", opaque="%s", algorithm="MD5", qop="auth", stale=true`,
			a.Realm, nonce, a.Opaque))
	w.WriteHeader(a.Headers.V().UnauthCode)
	w.Write([]byte(a.Headers.V().UnauthResponse))
}
GO

  # Gap 3: lego without the DNS providers whose SDKs the proxy refuses.
  lego_version=$(grep -E '^\s*github\.com/go-acme/lego/v5 v' "$gomod" | awk '{print $2}')
  [ -n "$lego_version" ] || { echo "traefik's go.mod doesn't require lego/v5" >&2; exit 1; }
  log "gap 3: github.com/go-acme/lego/v5 $lego_version without DNS providers: $LEGO_DROPPED"
  lego=$(mod_field "github.com/go-acme/lego/v5@$lego_version" Dir)
  cp -r "$lego" "$dir/lego"
  chmod -R u+w "$dir/lego"
  gen=$dir/lego/providers/dns/zz_gen_dns_providers.go
  # Drop each provider's import line, and its `case "name", ...:` line with the `return` after it.
  awk -v drop="$LEGO_DROPPED" '
    BEGIN { n = split(drop, d, " "); for (i = 1; i <= n; i++) dropped[d[i]] = 1 }
    function provider_of_import(line,   m) {
      if (match(line, /"github\.com\/go-acme\/lego\/v5\/providers\/dns\/[a-z0-9]+"$/)) {
        m = substr(line, RSTART + 1, RLENGTH - 2); sub(/.*\//, "", m); return m
      }
      return ""
    }
    function provider_of_return(line,   m) {
      if (match(line, /^[ \t]*return [a-z0-9]+\.NewDNSProvider\(\)$/)) {
        m = line; sub(/^[ \t]*return /, "", m); sub(/\..*/, "", m); return m
      }
      return ""
    }
    { lines[NR] = $0 }
    END {
      for (i = 1; i <= NR; i++) {
        if (dropped[provider_of_import(lines[i])]) continue
        if (lines[i] ~ /^[ \t]*case / && dropped[provider_of_return(lines[i + 1])]) { i++; continue }
        print lines[i]
      }
    }' "$gen" >"$gen.new"
  mv "$gen.new" "$gen"
  for p in $LEGO_DROPPED; do
    if grep -qE "providers/dns/$p\"|\\b$p\\.NewDNSProvider" "$gen"; then
      echo "failed to drop DNS provider $p from $gen" >&2; exit 1
    fi
  done
  gofmt -l "$gen" >/dev/null # fails on a syntax error

  log "writing go.mod"
  {
    echo "module weir.dev/scratch/traefik"
    echo
    echo "go 1.26.0"
    echo
    echo "require github.com/traefik/traefik/v3 $TRAEFIK_VERSION"
    echo
    echo "// Traefik's own replaces and excludes (hack/traefik.sh explains the local ones)."
    echo "replace $mux"
    echo "replace github.com/traefik/traefik/dynamic/ext => ./dynamic-ext"
    echo "replace github.com/abbot/go-http-auth => ./go-http-auth"
    echo "replace github.com/go-acme/lego/v5 => ./lego"
    cat "$dir/traefik-excludes.txt"
  } >"$dir/go.mod"
  rm "$dir/traefik-excludes.txt"
  printf '//go:build tools\n\npackage tools\n\nimport _ "github.com/traefik/traefik/v3/cmd/traefik"\n' >"$dir/tools.go"

  log "go mod tidy (downloads Traefik's dependencies on the first run)"
  (cd "$dir" && go mod tidy)
  touch "$dir/.ready"
fi

log "building traefik $TRAEFIK_VERSION (~12 min cold on 2 busy cores, ~40 s warm)"
start=$SECONDS
(while sleep 60 >/dev/null 2>&1; do log "still building ($(((SECONDS - start) / 60)) min)"; done) &
heartbeat=$!
trap 'kill "$heartbeat" 2>/dev/null || true' EXIT
(cd "$dir" && go build -trimpath \
  -ldflags "-s -w -X github.com/traefik/traefik/v3/pkg/version.Version=$TRAEFIK_VERSION" \
  -o "$BIN/traefik.new" github.com/traefik/traefik/v3/cmd/traefik)
kill "$heartbeat" 2>/dev/null || true
mv "$BIN/traefik.new" "$BIN/traefik"
stamp traefik "$TRAEFIK_VERSION"
log "traefik $TRAEFIK_VERSION ready in $BIN/traefik ($((SECONDS - start)) s)"
