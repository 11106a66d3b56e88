#!/usr/bin/env bash
# Builds every tool Weir's tests and demo need from the Go module proxy into bin/.
# Idempotent: a tool is rebuilt only when bin/.stamps/<tool> doesn't name the pinned version.
# A cold build takes ~10 minutes on an idle 2-core machine (25 on a busy one).
set -euo pipefail

TOOL=tools
# shellcheck source=hack/lib.sh
source "$(dirname "$0")/lib.sh"

KUBE_VERSION=v1.37.2
STAGING_VERSION=v0.37.2
ETCD_VERSION=v3.6.16
KWOK_VERSION=v0.8.0
KWOK_STAGES=fast-2 # bump when the stage list below changes
CONTROLLER_TOOLS_VERSION=v0.23.0

export CGO_ENABLED=0 GOFLAGS=-mod=mod GOTOOLCHAIN=local


# up_to_date TOOL VERSION: true when bin/TOOL exists and was built at VERSION.
up_to_date() {
  [ -x "$BIN/$1" ] && [ "$(cat "$STAMPS/$1" 2>/dev/null)" = "$2" ]
}

# A scratch module that requires k8s.io/kubernetes and points each of its ./staging replaces
# at the published k8s.io/* module: the proxy refuses `go install` because of those replaces.
kube_module() {
  local dir=$SCRATCH/kubernetes-$KUBE_VERSION
  if [ -f "$dir/.ready" ]; then echo "$dir"; return; fi
  rm -rf "$dir"; mkdir -p "$dir"
  local gomod
  gomod=$(go mod download -json "k8s.io/kubernetes@$KUBE_VERSION" | sed -n 's/.*"GoMod": "\(.*\)".*/\1/p')
  {
    echo "module weir.dev/scratch/kubernetes"
    echo "go 1.26"
    echo "require k8s.io/kubernetes $KUBE_VERSION"
    grep -E '^\s*k8s\.io/[a-z0-9-]+ => \./staging/' "$gomod" |
      awk -v v="$STAGING_VERSION" '{print "replace " $1 " => " $1 " " v}'
  } >"$dir/go.mod"
  cat >"$dir/tools.go" <<'GO'
//go:build tools

package tools

import (
	_ "k8s.io/kubernetes/cmd/kube-apiserver"
	_ "k8s.io/kubernetes/cmd/kube-controller-manager"
	_ "k8s.io/kubernetes/cmd/kube-scheduler"
	_ "k8s.io/kubernetes/cmd/kubectl"
)
GO
  (cd "$dir" && go mod tidy >&2)
  touch "$dir/.ready"
  echo "$dir"
}

kube_ldflags() {
  local date minor
  date=$(date -u +%Y-%m-%dT%H:%M:%SZ)
  minor=$(echo "$KUBE_VERSION" | cut -d. -f2)
  local flags="-s -w"
  for pkg in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
    flags+=" -X $pkg.gitVersion=$KUBE_VERSION -X $pkg.gitMajor=1 -X $pkg.gitMinor=$minor"
    flags+=" -X $pkg.gitTreeState=clean -X $pkg.buildDate=$date"
  done
  echo "$flags"
}

build_kube() {
  local cmd=$1
  up_to_date "$cmd" "$KUBE_VERSION" && return
  local dir; dir=$(kube_module)
  log "building $cmd $KUBE_VERSION (kube-apiserver alone takes ~5 min cold)"
  (cd "$dir" && go build -trimpath -ldflags "$(kube_ldflags)" -o "$BIN/$cmd.new" "k8s.io/kubernetes/cmd/$cmd")
  mv "$BIN/$cmd.new" "$BIN/$cmd"
  stamp "$cmd" "$KUBE_VERSION"
}

build_etcd() {
  up_to_date etcd "$ETCD_VERSION" && return
  log "building etcd $ETCD_VERSION"
  local dir=$SCRATCH/etcd-$ETCD_VERSION
  mkdir -p "$dir"
  cat >"$dir/go.mod" <<GOMOD
module weir.dev/scratch/etcd
go 1.26
require (
	go.etcd.io/etcd/api/v3 $ETCD_VERSION
	go.etcd.io/etcd/client/pkg/v3 $ETCD_VERSION
	go.etcd.io/etcd/client/v3 $ETCD_VERSION
	go.etcd.io/etcd/pkg/v3 $ETCD_VERSION
	go.etcd.io/etcd/server/v3 $ETCD_VERSION
)
GOMOD
  printf '//go:build tools\n\npackage tools\n\nimport _ "go.etcd.io/etcd/server/v3"\n' >"$dir/tools.go"
  (cd "$dir" && go mod tidy && go build -trimpath -ldflags "-s -w" -o "$BIN/etcd.new" go.etcd.io/etcd/server/v3)
  mv "$BIN/etcd.new" "$BIN/etcd"
  stamp etcd "$ETCD_VERSION"
}

go_install() { # go_install TOOL PACKAGE VERSION
  up_to_date "$1" "$3" && return
  log "building $1 $3"
  GOBIN=$BIN go install -trimpath -ldflags "-s -w" "$2@$3"
  stamp "$1" "$3"
}

# kwok refuses to start without Stage objects: assemble the stock ones shipped in its module.
# The chaos stage fails the pods labelled pod-container-running-failed.stage.kwok.x-k8s.io=true
# (tests of the Job metric provider need Jobs that fail).
kwok_stages() {
  [ -f "$BIN/kwok-stages.yaml" ] && [ "$(cat "$STAMPS/kwok-stages" 2>/dev/null)" = "$KWOK_VERSION-$KWOK_STAGES" ] && return
  local dir
  dir=$(go mod download -json "sigs.k8s.io/kwok@$KWOK_VERSION" | sed -n 's/.*"Dir": "\(.*\)".*/\1/p')
  : >"$BIN/kwok-stages.yaml"
  for f in node/fast/node-initialize node/heartbeat-with-lease/node-heartbeat-with-lease \
    pod/fast/pod-ready pod/fast/pod-complete pod/fast/pod-delete pod/chaos/pod-container-running-failed; do
    { echo "---"; cat "$dir/kustomize/stage/$f.yaml"; } >>"$BIN/kwok-stages.yaml"
  done
  stamp kwok-stages "$KWOK_VERSION-$KWOK_STAGES"
}

want=${*:-etcd kube-apiserver kubectl controller-gen kube-controller-manager kube-scheduler kwok}
for tool in $want; do
  case $tool in
    etcd) build_etcd ;;
    kube-apiserver|kube-controller-manager|kube-scheduler|kubectl) build_kube "$tool" ;;
    kwok) go_install kwok sigs.k8s.io/kwok/cmd/kwok "$KWOK_VERSION"; kwok_stages ;;
    controller-gen) go_install controller-gen sigs.k8s.io/controller-tools/cmd/controller-gen "$CONTROLLER_TOOLS_VERSION" ;;
    *) echo "unknown tool $tool" >&2; exit 2 ;;
  esac
done
log "tools ready in $BIN: $want"
