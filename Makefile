# bkjob-mock: the interface for humans and CI. `make help` lists the targets.
GO          ?= go
ARGS        ?=
STATICCHECK := honnef.co/go/tools/cmd/staticcheck@v0.8.2
FUZZTIME    ?= 60s
IMAGE       ?= bkjob-mock:dev
VERSION     ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
LOAD_ARGS   ?=

.PHONY: help run build test docs-check lint bench fuzz update-golden load soak image image-test

help: ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  %-14s %s\n", $$1, $$2}'

# run builds, then execs the binary, quietly: the banner is what it prints.
# ("go run" exits 1 when interrupted, so Ctrl-C would end with "make: ***
# Error 1"; serve itself exits 0 after a graceful shutdown.)
run: ## run the mock on its embedded default data (ARGS="--now 2026-11-29T10:00:00+08:00" to pin the clock)
	@$(GO) build -o bin/bkjob-mock ./cmd/bkjob-mock
	@exec bin/bkjob-mock serve $(ARGS)

build: ## build bin/bkjob-mock
	$(GO) build -o bin/bkjob-mock ./cmd/bkjob-mock

test: ## gofmt and go mod tidy checks, vet, then every test with the race detector
	@files=$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go')); \
	  if [ -n "$$files" ]; then echo "gofmt needed:"; echo "$$files"; exit 1; fi
	$(GO) mod tidy -diff
	$(GO) vet ./...
	$(GO) test -race -count=1 ./...

docs-check: ## run the ```console walk-throughs of README.md and docs/ against a fresh mock (also part of test)
	BKJOB_DOCS_CHECK=1 $(GO) test -count=1 -run '^TestDocs$$' ./cmd/bkjob-mock

lint: ## vet and staticcheck (pinned)
	$(GO) vet ./...
	$(GO) run $(STATICCHECK) ./...

bench: ## the speed and size budgets (see docs/speed.md)
	$(GO) test -run '^$$' -bench . -benchmem ./...

fuzz: ## fuzz the request path (FUZZTIME=5m for longer)
	$(GO) test ./mock -run '^$$' -fuzz FuzzRequest -fuzztime $(FUZZTIME)

update-golden: ## rewrite the golden responses under fixtures/golden
	$(GO) test ./mock -run Golden -count=1 -update

image: ## build the container image $(IMAGE): a static binary copied into FROM scratch (see docs/deploy.md)
	CGO_ENABLED=0 GOOS=linux $(GO) build -trimpath -ldflags "-s -w -X main.Version=$(VERSION)" -o bin/image/bkjob-mock ./cmd/bkjob-mock
	docker build -t $(IMAGE) .

image-test: image ## run the image, ask it the default query and /__mock/health, stop it (needs a docker daemon)
	IMAGE=$(IMAGE) sh deploy/image-test.sh
soak: ## 60 s of mixed, adversarial load against the built binary, sampling its RSS; exits 1 past the memory bound (SOAK_ARGS="--serve-args '--scale 10'", see docs/speed.md)
	$(GO) build -o bin/bkjob-mock ./cmd/bkjob-mock
	$(GO) build -o bin/bkjob-load ./cmd/bkjob-load
	bin/bkjob-load soak --mock bin/bkjob-mock $(SOAK_ARGS)
load: ## the mock against a bare handler on a query mix over loopback; exits 1 under the floor (LOAD_ARGS="--scale 1,10,100", see docs/speed.md)
	$(GO) build -o bin/bkjob-mock ./cmd/bkjob-mock
	$(GO) build -o bin/bkjob-load ./cmd/bkjob-load
	bin/bkjob-load --mock bin/bkjob-mock $(LOAD_ARGS)
