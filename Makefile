# Weir's build. Every tool is built from the Go module proxy into bin/ by hack/tools.sh.
SHELL := /usr/bin/env bash -o pipefail
export GOTOOLCHAIN := local
BIN := $(CURDIR)/bin
CONTROLLER_GEN := $(BIN)/controller-gen
# Test packages that start a control plane run one at a time: each starts etcd and
# kube-apiserver, and the machines are 2-core.
GO_TEST_FLAGS ?= -p 1 -timeout 40m

.PHONY: all
all: build

##@ Development

.PHONY: tools
tools: ## Build etcd, kube-apiserver, kube-controller-manager, kube-scheduler, kubectl, kwok, controller-gen, Traefik, Argo CD and helm into bin/ (cold: ~35 min); unpack redis; install Prometheus and Chromium (apt).
	hack/tools.sh
	hack/traefik.sh
	hack/argocd.sh
	hack/helm.sh
	hack/redis.sh
	hack/prometheus.sh
	hack/chromium.sh

.PHONY: generate
generate: ## Regenerate deepcopy code and CRDs from api/.
	hack/tools.sh controller-gen
	$(CONTROLLER_GEN) object:headerFile=hack/boilerplate.go.txt paths=./api/...
	$(CONTROLLER_GEN) crd:generateEmbeddedObjectMeta=true rbac:roleName=weir-controller paths=./api/... paths=./internal/controller/... paths=./internal/provider/... paths=./internal/routing/... \
		output:crd:artifacts:config=config/crd output:rbac:artifacts:config=config/rbac
	go run ./hack/crd-tune config/crd/rollouts.weir.dev_rollouts.yaml
	cp config/crd/*.yaml charts/weir/files/crds/
	go generate ./internal/plugin/lint

.PHONY: verify-generated
verify-generated: generate ## Fail when generated code or CRDs are out of date.
	@git diff --exit-code --stat -- api config/crd config/rbac charts/weir/files/crds internal/plugin/lint/crds || \
		{ echo "generated files are out of date: run 'make generate' and commit the result"; exit 1; }
	@untracked=$$(git ls-files --others --exclude-standard -- api config/crd config/rbac charts/weir/files/crds internal/plugin/lint/crds); \
		[ -z "$$untracked" ] || { echo "generated files not committed: $$untracked"; exit 1; }

.PHONY: fmt-check
fmt-check:
	@out=$$(gofmt -l $$(git ls-files '*.go')); [ -z "$$out" ] || { echo "gofmt needed: $$out"; exit 1; }

.PHONY: vet
vet:
	go vet ./...

.PHONY: build
build: ## Build the controller and the kubectl plugin into bin/.
	go build -o $(BIN)/weir-controller ./cmd/weir-controller
	go build -o $(BIN)/kubectl-weir ./cmd/kubectl-weir
	install -m 0755 cmd/kubectl-weir/kubectl_complete-weir $(BIN)/kubectl_complete-weir

VERSION ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
IMAGE_REPO ?= ghcr.io/weir-dev/weir-controller

.PHONY: image
image: ## Build bin/weir-controller-image.tar (static weir-controller + kubectl-weir, no Docker); push: crane push bin/weir-controller-image.tar $(IMAGE_REPO):$(VERSION)
	go run ./hack/image -version $(VERSION) -repository $(IMAGE_REPO) -out $(BIN)/weir-controller-image.tar

BENCH_FLAGS ?=

.PHONY: bench
bench: tools ## Measure step overhead, abort reaction, throughput at 500 Rollouts, idle cost and the cluster floor; prints a table (see docs/benchmarks.md).
	go run ./hack/bench $(BENCH_FLAGS)

##@ The two commands

.PHONY: test
test: tools verify-generated fmt-check vet ## Everything: generated files current, vet, unit tests, control-plane tests.
	KUBEBUILDER_ASSETS=$(BIN) WEIR_BIN=$(BIN) go test $(GO_TEST_FLAGS) ./...
	@# go test hides a passing test's log: show how many random walks of the planner ran.
	@go test -count=1 -run TestRandomWalkInvariants -v ./internal/planner | grep -E 'random walks|^(ok|FAIL|---)'

DEMO_DIR ?= $(or $(TMPDIR),/tmp)/weir-demo-stack

.PHONY: demo
demo: tools build ## The whole job on a local stack: release a good version (promoted) and a bad one (aborted by analysis).
	go run ./hack/demo

.PHONY: demo-gitops
demo-gitops: tools build ## The GitOps workflow with a real Argo CD: dev → staging → prod, a bad release, three rollbacks, a route edit mid-release; prints a table.
	go run ./hack/demo-gitops

.PHONY: demo-up
demo-up: tools build ## Start the stack with the demo app deployed and leave it running (see the printed instructions).
	@mkdir -p $(DEMO_DIR)
	@if [ -f $(DEMO_DIR)/demo.pid ] && kill -0 $$(cat $(DEMO_DIR)/demo.pid) 2>/dev/null; then echo "already up: make demo-down first"; exit 1; fi
	go build -o $(BIN)/weir-demo ./hack/demo
	@setsid $(BIN)/weir-demo -up > $(DEMO_DIR)/demo.log 2>&1 & echo $$! > $(DEMO_DIR)/demo.pid
	@for i in $$(seq 1 300); do grep -q '^ready' $(DEMO_DIR)/demo.log 2>/dev/null && break; \
		kill -0 $$(cat $(DEMO_DIR)/demo.pid) 2>/dev/null || { cat $(DEMO_DIR)/demo.log; exit 1; }; sleep 1; done
	@cat $(DEMO_DIR)/demo.log

.PHONY: dashboard-shots
dashboard-shots: ## The screenshots of docs/dashboard.md, from the demo stack (with make demo-up running).
	go run ./hack/dashboard-shots

.PHONY: demo-down
demo-down: ## Stop what demo-up started.
	@if [ -f $(DEMO_DIR)/demo.pid ]; then kill $$(cat $(DEMO_DIR)/demo.pid) 2>/dev/null || true; \
		while kill -0 $$(cat $(DEMO_DIR)/demo.pid) 2>/dev/null; do sleep 0.2; done; rm -f $(DEMO_DIR)/demo.pid; echo "stopped"; \
	else echo "nothing running"; fi

.PHONY: help
help:
	@awk 'BEGIN {FS = ":.*##"} /^[a-zA-Z_-]+:.*##/ {printf "  %-18s %s\n", $$1, $$2}' $(MAKEFILE_LIST)
