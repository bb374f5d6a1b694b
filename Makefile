# contractbot keeps the PaaSTA contract it enforces: `make test`, `make itest`
# and `make cook-image` work, and DOCKER_TAG has a default the environment
# can override.

DOCKER_TAG ?= contractbot-$(USER)-dev
GO ?= go
# Computed once (a ?= would rerun the shell at every use); the environment
# or the command line may still set them.
ifeq ($(origin VERSION),undefined)
VERSION := $(shell git describe --always --dirty 2>/dev/null || echo dev)
endif
LDFLAGS := -s -w -X main.version=$(VERSION)
# A container engine is optional: without one, image targets say so and
# skip, since CI machines here have none.
ifeq ($(origin CONTAINER_ENGINE),undefined)
CONTAINER_ENGINE := $(shell command -v docker 2>/dev/null || command -v podman 2>/dev/null)
endif

.PHONY: all build test itest cook-image lint fuzz docs clean

all: build

build:
	CGO_ENABLED=0 $(GO) build -trimpath -ldflags '$(LDFLAGS)' -o bin/contractbot ./cmd/contractbot

# Unit tests, plus the oracle and integration tests whose tools are present
# (GNU make, git, python3 jsonschema, docker-registry, PostgreSQL), ending
# with the list of tests skipped and why (scripts/testsummary reads go
# test -json and fails when a test or a build did).
test:
	$(GO) vet ./...
	$(GO) test -json ./... | $(GO) run ./scripts/testsummary

# System tests: the same suite with every integration test required (a
# missing tool fails instead of skipping), after building the image tagged
# $(DOCKER_TAG) where a container engine exists. Go's test cache keys a
# result on the environment variables the tests read, so every package
# whose tests look at CONTRACTBOT_REQUIRE_ITEST (all that use a real tool)
# runs again; a package that never reads it would give the same result,
# and `make test` just ran it.
itest: cook-image
	CONTRACTBOT_REQUIRE_ITEST=1 $(GO) test ./...
	@echo "itest passed for image $(DOCKER_TAG)"

cook-image:
	@if [ -n "$(CONTAINER_ENGINE)" ] && $(CONTAINER_ENGINE) info >/dev/null 2>&1; then \
		$(CONTAINER_ENGINE) build --build-arg VERSION=$(VERSION) -t $(DOCKER_TAG) . ; \
	else \
		echo "cook-image: no running container engine (docker or podman); not building $(DOCKER_TAG)"; \
	fi

# staticcheck is pinned here rather than in go.mod: it is a tool for this
# target only, fetched through the module proxy like everything else.
STATICCHECK ?= $(GO) run honnef.co/go/tools/cmd/staticcheck@v0.8.2

lint:
	$(GO) vet ./...
	$(STATICCHECK) ./...
	@test -z "$$(gofmt -l $$(git ls-files '*.go'))" || { gofmt -l $$(git ls-files '*.go'); echo "gofmt: the files above are not formatted"; exit 1; }

# Every fuzz target for FUZZTIME (default 10s) each; CI runs it too.
fuzz:
	scripts/fuzz

docs:
	$(GO) run ./cmd/contractbot rules --format markdown > docs/rules.md

clean:
	rm -rf bin
