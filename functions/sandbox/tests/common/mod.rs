//! Helpers shared by the sandbox's integration tests.

#![allow(dead_code)]

use std::sync::Arc;
use sva_abi::{Context, Event, Limits, StepInput};
use sva_sandbox::{ModuleKey, Sandbox, SandboxConfig, SandboxError, Scenario};

/// The minimal conforming module of the ABI spec, compiled from its WAT.
pub fn minimal_wasm() -> Vec<u8> {
    wat::parse_str(include_str!("../../../../scenarios/abi/minimal.wat"))
        .expect("minimal.wat parses")
}

/// A hostile module from `tests/hostile/`, compiled from its WAT.
pub fn hostile(name: &str) -> Vec<u8> {
    let path = format!("{}/tests/hostile/{name}.wat", env!("CARGO_MANIFEST_DIR"));
    wat::parse_file(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

/// The default scenario, which `make test` builds before the tests run.
pub fn default_scenario_wasm() -> Vec<u8> {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../target/scenarios/sales_qualification.wasm"
    );
    std::fs::read(path).unwrap_or_else(|e| {
        panic!("{path}: {e} (run `make test`: it builds the scenario modules first)")
    })
}

/// A sandbox with the default limits.
pub fn sandbox() -> Arc<Sandbox> {
    Arc::new(Sandbox::new(SandboxConfig::default()).expect("engine"))
}

/// A sandbox with `limits` instead of the defaults.
pub fn sandbox_with(limits: Limits) -> Sandbox {
    Sandbox::new(SandboxConfig {
        limits,
        ..SandboxConfig::default()
    })
    .expect("engine")
}

/// Loads `wasm` for `tenant`.
pub fn load(sandbox: &Sandbox, tenant: &str, wasm: &[u8]) -> Result<Arc<Scenario>, SandboxError> {
    sandbox.load_bytes(ModuleKey::for_module(tenant, wasm), wasm)
}

/// A `call_started` input for `tenant` with a state of roughly `state_bytes`.
pub fn input(tenant: &str, state_bytes: usize) -> StepInput {
    let mut context = Context::default();
    context.tenant.id = tenant.into();
    context.now = "2026-11-25T12:00:00+03:00".into();
    StepInput {
        abi: 1,
        state: serde_json::json!({ "padding": "x".repeat(state_bytes) }).into(),
        event: Event::CallStarted,
        context,
    }
}
