# lipschitz — two commands do everything on a fresh Debian machine with Swift:
#   make run    installs what is missing, builds (release), runs `lipschitz exact` on a bundled instance
#   make test   installs what is missing, builds, runs the whole test suite
SHELL := /bin/bash
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
DEB_PACKAGES := libglpk-dev liblapacke-dev
INSTANCE ?= instances/fixtures/deep-3x4x3x2.json
BIN := .build/release/lipschitz

.PHONY: run test build release deps bench clean

deps:
	@missing=""; for p in $(DEB_PACKAGES); do \
	  dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q "install ok installed" || missing="$$missing $$p"; \
	done; \
	if [ -n "$$missing" ]; then \
	  echo "installing:$$missing"; \
	  $(SUDO) apt-get update -qq && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq $$missing; \
	fi

build: deps
	swift build

release: deps
	swift build -c release

run: release
	$(BIN) exact $(INSTANCE)
	$(BIN) exact $(INSTANCE) --norm inf --json

test: deps
	swift build --build-tests
	swift test --skip-build --disable-swift-testing

bench: release
	.build/release/lipschitz-bench --output docs/benchmarks.md

clean:
	rm -rf .build
