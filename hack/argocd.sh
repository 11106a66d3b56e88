#!/usr/bin/env bash
# Builds Argo CD v2.14 (the GitOps tool Weir runs under) from the Go module proxy into
# bin/argocd: one binary for the CLI, the application controller and the repo server (the role
# follows argv[0] or ARGOCD_BINARY_NAME). The packaging suite runs Weir's Argo CD kit (health
# and action scripts, as merged into argocd-cm) through it: Argo CD's own Lua VM, no
# stand-in. Idempotent: skipped when bin/argocd exists and bin/.stamps/argocd names the pinned
# version. A cold build takes ~7 minutes on 2 cores (5 of them compiling); a warm one ~30 s.
#
# `go install …@VERSION` is refused because Argo CD's go.mod has replace directives, so a
# scratch module in bin/.scratch/argocd-VERSION requires Argo CD and carries its replace block
# as the release's own go.mod states it (read from the module proxy at build time). v3.x can't
# be built from the proxy (it replaces gitops-engine with an in-repo path); v2.14 is the
# newest line that builds.
#
# One line of Argo CD is changed before building: the application controller's metrics server
# listens on 0.0.0.0 (hard-coded, no flag), and everything here binds 127.0.0.1 only. The build
# uses a copy of the module from the module cache with that line moved to 127.0.0.1 (a
# `replace` to the copy); nothing else differs from the release.
set -euo pipefail

TOOL=argocd
# shellcheck source=hack/lib.sh
source "$(dirname "$0")/lib.sh"

ARGOCD_VERSION=v2.14.21
PATCH=loopback-metrics # bump when the patch below changes
MODULE=github.com/argoproj/argo-cd/v2

export CGO_ENABLED=0 GOFLAGS=-mod=mod GOTOOLCHAIN=local GOWORK=off


if [ -x "$BIN/argocd" ] && [ -d "$BIN/argocd-crds" ] && [ "$(cat "$STAMPS/argocd" 2>/dev/null)" = "$ARGOCD_VERSION-$PATCH" ]; then
  log "argocd $ARGOCD_VERSION is up to date in $BIN"
  exit 0
fi

dir=$SCRATCH/argocd-$ARGOCD_VERSION-$PATCH
if [ ! -f "$dir/.ready" ]; then
  log "preparing scratch module $dir"
  rm -rf "$dir"
  mkdir -p "$dir"
  info=$(go mod download -json "$MODULE@$ARGOCD_VERSION")
  gomod=$(echo "$info" | sed -n 's/.*"GoMod": "\(.*\)".*/\1/p')
  src=$(echo "$info" | sed -n 's/.*"Dir": "\(.*\)".*/\1/p')
  [ -f "$gomod" ] && [ -d "$src" ] || { echo "no module for argo-cd $ARGOCD_VERSION" >&2; exit 1; }
  log "copying Argo CD's source; its controller's metrics server moves to 127.0.0.1"
  cp -r "$src" "$dir/argo-cd"
  chmod -R u+w "$dir/argo-cd"
  sed -i 's/metricsAddr := fmt.Sprintf("0\.0\.0\.0:%d", metricsPort)/metricsAddr := fmt.Sprintf("127.0.0.1:%d", metricsPort)/' \
    "$dir/argo-cd/controller/appcontroller.go"
  grep -q 'metricsAddr := fmt.Sprintf("127.0.0.1:%d", metricsPort)' "$dir/argo-cd/controller/appcontroller.go" ||
    { echo "argo-cd's controller no longer sets its metrics address as expected: review the patch" >&2; exit 1; }
  {
    printf 'module weir.dev/build/argocd\n\ngo 1.26.0\n\nrequire %s %s\n\n' "$MODULE" "$ARGOCD_VERSION"
    printf 'replace %s => ./argo-cd\n\n' "$MODULE"
    # Argo CD's replace block, as its go.mod has it (a dependency's replaces don't apply).
    awk '/^replace \($/ {on=1} on {print} on && /^\)$/ {exit}' "$gomod"
  } >"$dir/go.mod"
  grep -q '^replace (' "$dir/go.mod" || { echo "argo-cd's go.mod has no replace block any more" >&2; exit 1; }
  cat >"$dir/tools.go" <<'GO'
//go:build tools

// Package build only pins Argo CD's command for `go mod tidy`.
package build

import _ "github.com/argoproj/argo-cd/v2/cmd"
GO
  log "go mod tidy (downloads Argo CD's dependencies on the first run)"
  (cd "$dir" && go mod tidy)
  touch "$dir/.ready"
fi

log "building argocd $ARGOCD_VERSION (cold: ~5 min on 2 cores)"
start=$(date +%s)
(
  cd "$dir"
  go build -trimpath -ldflags "-s -w -X $MODULE/common.version=${ARGOCD_VERSION#v}" -o "$BIN/argocd" "$MODULE/cmd" &
  pid=$!
  while kill -0 "$pid" 2>/dev/null; do
    sleep 60
    kill -0 "$pid" 2>/dev/null && log "still building ($(( ($(date +%s) - start) / 60 )) min)"
  done
  wait "$pid"
)
# The GitOps suite installs Argo CD's own CRDs (Application, AppProject, ApplicationSet).
rm -rf "$BIN/argocd-crds"; mkdir -p "$BIN/argocd-crds"
cp "$dir"/argo-cd/manifests/crds/*-crd.yaml "$BIN/argocd-crds/"
stamp argocd "$ARGOCD_VERSION-$PATCH"
log "argocd $ARGOCD_VERSION ready in $BIN/argocd ($(( $(date +%s) - start )) s)"
