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
tools: ## Build etcd, kube-apiserver, kube-controller-manager, kube-scheduler, kubectl, kwok and controller-gen into bin/ (cold: ~10 min).
	hack/tools.sh

.PHONY: generate
generate: ## Regenerate deepcopy code and CRDs from api/.
	hack/tools.sh controller-gen
	$(CONTROLLER_GEN) object:headerFile=hack/boilerplate.go.txt paths=./api/...
	$(CONTROLLER_GEN) crd:generateEmbeddedObjectMeta=true rbac:roleName=weir-controller paths=./api/... paths=./internal/controller/... \
		output:crd:artifacts:config=config/crd output:rbac:artifacts:config=config/rbac
	go run ./hack/crd-tune config/crd/rollouts.weir.dev_rollouts.yaml

.PHONY: verify-generated
verify-generated: generate ## Fail when generated code or CRDs are out of date.
	@git diff --exit-code --stat -- api config/crd config/rbac || \
		{ echo "generated files are out of date: run 'make generate' and commit the result"; exit 1; }
	@untracked=$$(git ls-files --others --exclude-standard -- api config/crd config/rbac); \
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

##@ The two commands

.PHONY: test
test: tools verify-generated fmt-check vet ## Everything: generated files current, vet, unit tests, control-plane tests.
	KUBEBUILDER_ASSETS=$(BIN) WEIR_BIN=$(BIN) go test $(GO_TEST_FLAGS) ./...

.PHONY: demo
demo: tools build ## Start a local control plane, install Weir's CRDs and the samples, and show them.
	go run ./hack/demo

.PHONY: help
help:
	@awk 'BEGIN {FS = ":.*##"} /^[a-zA-Z_-]+:.*##/ {printf "  %-18s %s\n", $$1, $$2}' $(MAKEFILE_LIST)
