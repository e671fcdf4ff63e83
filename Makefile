# Sales Voice Assistant — the project's commands. See README.md.

CARGO ?= cargo
WASM_TARGET := wasm32-unknown-unknown
SCENARIO_WASM := target/$(WASM_TARGET)/wasm/sales_qualification.wasm

.PHONY: install scenarios build test lint dev bench clean

## install: everything the build needs beyond the Rust toolchain (idempotent).
install:
	rustup target add $(WASM_TARGET)

## scenarios: compile the scenario modules to WebAssembly.
scenarios: install
	$(CARGO) build -p sales-qualification --target $(WASM_TARGET) --profile wasm

## build: the scenario modules and every binary.
build: scenarios
	$(CARGO) build --workspace

## test: every test — unit, property, dialogs natively and through the wasm sandbox.
test: scenarios
	$(CARGO) test --workspace

## lint: formatting and clippy, warnings are errors.
lint:
	$(CARGO) fmt --all -- --check
	$(CARGO) clippy --workspace --all-targets -- -D warnings

## dev: talk to the default scenario in the terminal (the full local stack, `sva dev`,
## comes with the dialog function's HTTP surface).
dev: scenarios
	$(CARGO) run -q -p sva -- scenario run $(SCENARIO_WASM)

## bench: the benchmarks whose figures are in docs/performance.md.
bench: scenarios
	$(CARGO) bench -p sva-nlu -p sva-sandbox

clean:
	$(CARGO) clean
