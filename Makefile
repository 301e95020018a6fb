# EdgeServe build. `make run` and `make test` do all set-up on a fresh machine.
SHELL := /bin/bash
GO ?= go
ORT_VERSION := 1.30.0
ORT_DIR := $(CURDIR)/.cache/onnxruntime/$(ORT_VERSION)
export EDGESERVE_ORT_LIB ?= $(ORT_DIR)/libonnxruntime.so.1
# go-nvml's header marks many NVML calls deprecated; cgo would print each.
export CGO_CFLAGS ?= -O2 -g -Wno-deprecated-declarations
BIN := $(CURDIR)/bin
DEMO_ZOO := $(CURDIR)/.cache/zoo-demo
PROTOC_GEN_GO := google.golang.org/protobuf/cmd/protoc-gen-go@v1.36.11
PROTOC_GEN_GO_GRPC := google.golang.org/grpc/cmd/protoc-gen-go-grpc@v1.5.1
TEST_TIMEOUT ?= 14m

.PHONY: all setup build test test-short test-zoo-full e2e e2e-headline run stop bench sim sim-gap sim-cv sim-cluster lint proto zoo fuzz clean

all: build

## setup: install what the build and tests need (idempotent)
setup: $(EDGESERVE_ORT_LIB)

$(ORT_DIR)/libonnxruntime.so.1:
	@command -v npm >/dev/null || (apt-get update -qq && apt-get install -y -qq npm)
	@command -v gcc >/dev/null || (apt-get update -qq && apt-get install -y -qq gcc libc6-dev)
	@command -v curl >/dev/null || (apt-get update -qq && apt-get install -y -qq curl)
	deploy/fetch-onnxruntime.sh $(ORT_DIR)

## build: compile the node and the CLI into bin/
build:
	@mkdir -p $(BIN)
	$(GO) build -o $(BIN)/ ./cmd/...

## test: lint, then every test with the race detector; a test that needs
## ONNX Runtime fails (instead of skipping) when the library is missing
test: setup lint
	EDGESERVE_REQUIRE_ORT=1 $(GO) test -race -timeout $(TEST_TIMEOUT) ./...

## test-short: the quick subset, without -race
test-short: setup
	$(GO) test -short ./...

## e2e: the multi-process tests in e2e/ (real edgeserve-node processes on
## 127.0.0.x driven by the CLI), the longer scenarios included
## (EDGESERVE_E2E_LONG=1; `make test` runs only the short ones)
E2E_TIMEOUT ?= 30m
e2e: setup
	EDGESERVE_E2E_LONG=1 EDGESERVE_REQUIRE_ORT=1 $(GO) test -count=1 -v -timeout $(E2E_TIMEOUT) ./e2e

## e2e-headline: the issue's headline on real processes: 3 regions x 3
## nodes replay a window of the Azure sample with every model loaded
## everywhere, then with memory budgets at 25% of the models' total
## (several minutes; figures in docs/chaos.md)
e2e-headline: setup
	EDGESERVE_E2E_HEADLINE=1 EDGESERVE_REQUIRE_ORT=1 $(GO) test -count=1 -v -timeout $(E2E_TIMEOUT) -run TestHeadlineAzure ./e2e

## test-zoo-full: generate, load and run every zoo model (about 60 s, 1.5 GB in a temp dir)
test-zoo-full: setup
	EDGESERVE_ZOO_FULL=1 $(GO) test -run FullZoo -v ./runtime/zoo

## lint: gofmt and go vet must be clean
lint:
	@out=$$(gofmt -l $$(git ls-files '*.go' | grep -v '\.pb\.go$$')); \
		if [ -n "$$out" ]; then echo "gofmt needs to run on:"; echo "$$out"; exit 1; fi
	$(GO) vet ./...

## zoo: generate the small demo model zoo
zoo: build
	$(BIN)/edgeserve zoo --set small --out $(DEMO_ZOO)

## run: build, generate demo models, start a local cluster (2 regions x 2
## nodes on 127.0.0.1-4, deploy/local-cluster.sh), push the demo models, and
## print how to send a request (the nodes keep running in the background)
CLUSTER_DIR := $(CURDIR)/.cache/cluster
DEMO_MODELS := mobilenet_v1_0.25 mobilenet_v1_0.5 squeezenet1.1 tiny_mlp add_fp32
run: setup build zoo
	deploy/local-cluster.sh start $(BIN) $(CLUSTER_DIR) $(DEMO_ZOO) $(DEMO_MODELS)
	$(BIN)/edgeserve cluster status --addr 127.0.0.1:8001
	$(BIN)/edgeserve infer mobilenet_v1_0.25 --random --addr 127.0.0.3:8001
	@echo
	@echo "A local cluster is running: edge-eu-1, edge-eu-2 (region eu) and edge-us-1, edge-us-2 (region us)"
	@echo "on 127.0.0.1-4, each with HTTP :8000, gRPC :8001, metrics :8002, gossip :7946, Raft :8300; logs in $(CLUSTER_DIR)/<name>/node.log."
	@echo "Send a request to any node (one that lacks the model forwards it or fetches it):"
	@echo "  $(BIN)/edgeserve infer squeezenet1.1 --random --batch 2 --addr 127.0.0.4:8001"
	@echo "Or name a task, and the node picks the most accurate model that answers within the budget:"
	@echo "  $(BIN)/edgeserve infer task:image-classification --random --budget 50ms --addr 127.0.0.2:8001"
	@echo "  curl -s -X POST http://127.0.0.2:8000/v2/models/add_fp32/infer -d '{\"inputs\":[{\"name\":\"a\",\"shape\":[1,2],\"datatype\":\"FP32\",\"data\":[1,2]},{\"name\":\"b\",\"shape\":[1,2],\"datatype\":\"FP32\",\"data\":[3,4]}]}'"
	@echo "See the cluster: $(BIN)/edgeserve cluster status --addr 127.0.0.2:8001   (or curl -s http://127.0.0.2:8000/v2/cluster)"
	@echo "Each region's Raft leader and its placement hints: $(BIN)/edgeserve cluster placement --addr 127.0.0.3:8001"
	@echo "Metrics: curl -s http://127.0.0.1:8002/metrics | grep ^edgeserve_"
	@echo "Stop it: make stop"

## stop: stop the cluster that `make run` started (each node drains and leaves)
stop:
	@deploy/local-cluster.sh stop $(CLUSTER_DIR)
	@if [ -f $(CURDIR)/.cache/node/pid ]; then kill $$(cat $(CURDIR)/.cache/node/pid) 2>/dev/null; rm -f $(CURDIR)/.cache/node/pid; fi

## bench: the runtime table (poster Table I on this machine) and Go benchmarks
bench: setup build
	$(BIN)/edgeserve zoo --set full --out $(CURDIR)/.cache/zoo-full
	$(BIN)/edgeserve bench runtime --models $(CURDIR)/.cache/zoo-full
	$(GO) test -run '^$$' -bench . -benchtime 2x ./...

## sim: the cache simulator on the shared Azure Functions sample
SIM_AZURE ?= $(CURDIR)/../shared/traces/azure-functions-2019
SIM_PROFILES ?= m5
sim: build
	$(BIN)/edgeserve sim --azure $(SIM_AZURE) --profiles $(SIM_PROFILES) --plot $(CURDIR)/.cache/sim.png

## sim-gap: the policies issue's gap table (`edgeserve sim gap`: both
## accountings, three profile sets, mapping seeds 1-3, three capacities;
## SIM_MAPPING=shared,per-function adds the other mapping)
SIM_MAPPING ?= shared
SIM_GAP_POLICIES ?= lfu,gdsf,cremebrulee,cremebrulee-decay,edgeserve,edgeserve-serving,edgeserve-forward,edgeserve-node
sim-gap: build
	$(BIN)/edgeserve sim gap --azure $(SIM_AZURE) --mapping $(SIM_MAPPING) --policies $(SIM_GAP_POLICIES)

## sim-cv: the cross-validation of docs/policies.md: the gap table on each
## half of the sample's minutes, with the variants each direction chooses
## among (JSON in .cache/sim-cv-A-B.json; SIM_CV_PARALLEL replays at once)
SIM_CV_POLICIES ?= gdsf,cremebrulee,edgeserve,edgeserve-cv-noknap,edgeserve-cv-long,edgeserve-cv-wide
SIM_CV_PARALLEL ?= 0
sim-cv: build
	mkdir -p $(CURDIR)/.cache
	for m in 1-360 361-720; do \
		$(BIN)/edgeserve sim gap --azure $(SIM_AZURE) --minutes $$m --mapping $(SIM_MAPPING) \
			--policies $(SIM_CV_POLICIES) --parallel $(SIM_CV_PARALLEL) --json > $(CURDIR)/.cache/sim-cv-$$m.json || exit 1; \
	done

## sim-cluster: the cluster replay's sweep of docs/cluster-sim.md (3 x 3
## and 100 x 4 nodes at 10/25/50/75/100% of the model bytes, for each mapping in
## SIM_CLUSTER_MAPPINGS): JSON and plots in .cache/cluster-*
SIM_CLUSTER_MAPPINGS ?= per-function shared
sim-cluster: build
	mkdir -p $(CURDIR)/.cache
	for m in $(SIM_CLUSTER_MAPPINGS); do \
		$(BIN)/edgeserve sim cluster --azure $(SIM_AZURE) --profiles poster --mapping $$m \
			--regions 3 --sites-per-region 1 --nodes-per-site 3 --memory-fractions 0.1,0.25,0.5,0.75,1 --warmup 30m \
			--json --plot $(CURDIR)/.cache/cluster-3x3-$$m.png > $(CURDIR)/.cache/cluster-3x3-$$m.json || exit 1; \
		$(BIN)/edgeserve sim cluster --azure $(SIM_AZURE) --profiles poster --mapping $$m \
			--regions 5 --sites-per-region 20 --nodes-per-site 4 --memory-fractions 0.1,0.25,0.5,0.75,1 --warmup 30m \
			--json --plot $(CURDIR)/.cache/cluster-100x4-$$m.png > $(CURDIR)/.cache/cluster-100x4-$$m.json || exit 1; \
	done

## proto: regenerate the committed Go code from the .proto sources
proto:
	@command -v protoc >/dev/null || (apt-get update -qq && apt-get install -y -qq protobuf-compiler)
	GOBIN=$(CURDIR)/.cache/bin $(GO) install $(PROTOC_GEN_GO)
	GOBIN=$(CURDIR)/.cache/bin $(GO) install $(PROTOC_GEN_GO_GRPC)
	PATH=$(CURDIR)/.cache/bin:$$PATH protoc -I runtime/onnxpb --go_out=paths=source_relative:runtime/onnxpb runtime/onnxpb/onnx.proto
	PATH=$(CURDIR)/.cache/bin:$$PATH protoc -I store/tritonpb --go_out=paths=source_relative:store/tritonpb store/tritonpb/model_config.proto
	PATH=$(CURDIR)/.cache/bin:$$PATH protoc -I proto/inference --go_out=paths=source_relative:proto/inference --go-grpc_out=paths=source_relative:proto/inference proto/inference/open_inference.proto
	PATH=$(CURDIR)/.cache/bin:$$PATH protoc -I proto/admin/v1 --go_out=paths=source_relative:proto/admin/v1 --go-grpc_out=paths=source_relative:proto/admin/v1 proto/admin/v1/admin.proto
	PATH=$(CURDIR)/.cache/bin:$$PATH protoc -I gossip/gossippb --go_out=paths=source_relative:gossip/gossippb gossip/gossippb/gossip.proto
	PATH=$(CURDIR)/.cache/bin:$$PATH protoc -I placement/hints/hintspb --go_out=paths=source_relative:placement/hints/hintspb placement/hints/hintspb/hints.proto
	PATH=$(CURDIR)/.cache/bin:$$PATH protoc -I placement/raftgroup/rpcpb --go_out=paths=source_relative:placement/raftgroup/rpcpb placement/raftgroup/rpcpb/rpc.proto
	PATH=$(CURDIR)/.cache/bin:$$PATH protoc -I proto/peer/v1 --go_out=paths=source_relative:proto/peer/v1 --go-grpc_out=paths=source_relative:proto/peer/v1 proto/peer/v1/peer.proto

## fuzz: run each fuzz target for a short while (FUZZTIME=30s)
FUZZTIME ?= 20s
fuzz:
	@for pkg in $$($(GO) list ./...); do \
		for f in $$($(GO) test -list '^Fuzz' $$pkg 2>/dev/null | grep '^Fuzz'); do \
			echo "== $$pkg $$f"; $(GO) test -run '^$$' -fuzz "^$$f$$" -fuzztime $(FUZZTIME) $$pkg || exit 1; \
		done; \
	done

clean:
	rm -rf $(BIN)
