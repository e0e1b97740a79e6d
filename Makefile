# retention-operator Makefile (kubebuilder v4 conventions).

IMG ?= ghcr.io/retention-dev/retention-operator:dev
VERSION ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
LDFLAGS ?= -X github.com/retention-dev/retention-operator/internal/worker/cmd.Version=$(VERSION)
LOCALBIN ?= $(shell pwd)/bin
CONTROLLER_GEN ?= $(LOCALBIN)/controller-gen
KUSTOMIZE ?= $(LOCALBIN)/kustomize
HELM ?= $(LOCALBIN)/helm
CONTROLLER_TOOLS_VERSION ?= v0.23.0
KUSTOMIZE_VERSION ?= v5.8.2
HELM_VERSION ?= v3.22.0
# Real kube-apiserver, etcd and kubectl, built from the Go module proxy by hack/.
KUBEBUILDER_ASSETS ?= $(LOCALBIN)/k8s
export KUBEBUILDER_ASSETS
# Tests that need PostgreSQL read this; when it is empty they use the server at
# 127.0.0.1:5432 (database test) if one answers, and skip with a message if none does.
RETENTION_TEST_POSTGRES_DSN ?=
export RETENTION_TEST_POSTGRES_DSN
GOTEST_FLAGS ?= -count=1 -timeout 30m

.PHONY: all
all: build

##@ General

.PHONY: help
help: ## Display this help.
	@awk 'BEGIN {FS = ":.*##"; printf "\nUsage:\n  make \033[36m<target>\033[0m\n"} /^[a-zA-Z_0-9-]+:.*?##/ { printf "  \033[36m%-18s\033[0m %s\n", $$1, $$2 } /^##@/ { printf "\n\033[1m%s\033[0m\n", substr($$0, 5) } ' $(MAKEFILE_LIST)

##@ Development

.PHONY: manifests
manifests: controller-gen ## Generate CRDs, RBAC and copy CRDs into the Helm chart.
	$(CONTROLLER_GEN) rbac:roleName=manager-role crd paths="./api/..." paths="./internal/controller/..." output:crd:artifacts:config=config/crd/bases output:rbac:artifacts:config=config/rbac
	hack/sync-chart-crds.sh

.PHONY: generate
generate: controller-gen ## Generate DeepCopy methods.
	$(CONTROLLER_GEN) object:headerFile="hack/boilerplate.go.txt" paths="./api/..."

.PHONY: fmt
fmt: ## go fmt.
	go fmt ./...

.PHONY: vet
vet: ## go vet.
	go vet ./...

.PHONY: test
test: manifests generate fmt vet k8s-binaries ## Run every test against a real kube-apiserver, etcd and PostgreSQL (RETENTION_TEST_POSTGRES_DSN, else 127.0.0.1:5432 when it answers).
	go test $(GOTEST_FLAGS) ./...

.PHONY: e2e
e2e: ## Run the operator on a real single-node Kubernetes (kubelet, containerd, Helm, samples) and tear it down.
	hack/e2e.sh

.PHONY: bench
bench: k8s-binaries ## Run the Go benchmarks recorded in BENCHMARKS.md.
	hack/bench.sh

.PHONY: dev
dev: build k8s-binaries ## Run the operator end to end locally: API server, manager, workers as processes, console channel.
	$(LOCALBIN)/retentionctl dev

##@ Build

.PHONY: build
build: ## Build manager, worker, retentionctl and the kubectl-retention plugin into bin/.
	go build -o $(LOCALBIN)/manager ./cmd/manager
	go build -ldflags "$(LDFLAGS)" -o $(LOCALBIN)/worker ./cmd/worker
	go build -o $(LOCALBIN)/retentionctl ./cmd/retentionctl
	go build -o $(LOCALBIN)/kubectl-retention ./cmd/kubectl-retention

.PHONY: run
run: manifests generate fmt vet ## Run the manager against the cluster in ~/.kube/config.
	go run ./cmd/manager

.PHONY: docker-build
docker-build: ## Build the image (needs a container engine; none runs on the CI machines).
	docker build --build-arg VERSION=$(VERSION) -t $(IMG) .

##@ Deployment

.PHONY: install
install: manifests kustomize ## Install CRDs into the cluster in ~/.kube/config (server-side apply).
	$(KUSTOMIZE) build config/crd | kubectl apply --server-side -f -

.PHONY: uninstall
uninstall: manifests kustomize ## Remove the CRDs.
	$(KUSTOMIZE) build config/crd | kubectl delete --ignore-not-found -f -

.PHONY: deploy
deploy: manifests kustomize ## Deploy the manager with kustomize.
	cd config/manager && $(KUSTOMIZE) edit set image controller=$(IMG)
	$(KUSTOMIZE) build config/default | kubectl apply --server-side -f -

.PHONY: undeploy
undeploy: kustomize ## Remove the manager.
	$(KUSTOMIZE) build config/default | kubectl delete --ignore-not-found -f -

##@ Tools

.PHONY: k8s-binaries
k8s-binaries: ## Build kube-apiserver, etcd and kubectl from the Go module proxy into bin/k8s (once).
	hack/build-k8s-binaries.sh

.PHONY: controller-gen
controller-gen: $(CONTROLLER_GEN) ## Install controller-gen into bin/ (once).
$(CONTROLLER_GEN):
	GOBIN=$(LOCALBIN) go install sigs.k8s.io/controller-tools/cmd/controller-gen@$(CONTROLLER_TOOLS_VERSION)

.PHONY: kustomize
kustomize: $(KUSTOMIZE) ## Install kustomize into bin/ (once).
$(KUSTOMIZE):
	GOBIN=$(LOCALBIN) go install sigs.k8s.io/kustomize/kustomize/v5@$(KUSTOMIZE_VERSION)

.PHONY: helm
helm: $(HELM) ## Install helm into bin/ (once; test/helm runs it when bin/helm is missing).
$(HELM):
	GOBIN=$(LOCALBIN) go install helm.sh/helm/v3/cmd/helm@$(HELM_VERSION)
