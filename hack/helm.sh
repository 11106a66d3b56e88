#!/usr/bin/env bash
# Builds helm into bin/helm for Argo CD's repo server, which renders Weir's chart and the blog
# platform's chart with it. Pinned to the helm Argo CD v2.14 ships with. Idempotent: skipped
# when bin/.stamps/helm names the pinned version. Cold: ~2 minutes on 2 cores.
#
# helm's Kubernetes version defaults to 1.20 unless set at link time; Weir's chart requires a
# newer one (kubeVersion in Chart.yaml), so the minor version of the control plane the tests
# run is linked in. Argo CD passes --kube-version itself; a person running bin/helm by hand
# gets the same answer.
set -euo pipefail

TOOL=helm
# shellcheck source=hack/lib.sh
source "$(dirname "$0")/lib.sh"

HELM_VERSION=v3.16.3
KUBE_MINOR=37 # hack/tools.sh builds Kubernetes v1.37

export CGO_ENABLED=0 GOFLAGS=-mod=mod GOTOOLCHAIN=local GOWORK=off

if [ -x "$BIN/helm" ] && [ "$(cat "$STAMPS/helm" 2>/dev/null)" = "$HELM_VERSION-k8s1.$KUBE_MINOR" ]; then
  log "helm $HELM_VERSION is up to date in $BIN"
  exit 0
fi
log "building helm $HELM_VERSION (cold: ~2 min on 2 cores)"
start=$(date +%s)
pkg=helm.sh/helm/v3
GOBIN=$BIN go install -trimpath -ldflags "-s -w -X $pkg/internal/version.version=$HELM_VERSION \
  -X $pkg/pkg/chartutil.k8sVersionMajor=1 -X $pkg/pkg/chartutil.k8sVersionMinor=$KUBE_MINOR" \
  "$pkg/cmd/helm@$HELM_VERSION"
stamp helm "$HELM_VERSION-k8s1.$KUBE_MINOR"
log "helm $HELM_VERSION ready in $BIN/helm ($(( $(date +%s) - start )) s)"
