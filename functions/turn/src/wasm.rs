//! The production stepper: a scenario module in the wasm sandbox.

use crate::{StepFailure, Stepper};
use std::sync::Arc;
use sva_abi::{StepInput, StepOutput, StepTrace};
use sva_sandbox::{ModuleKey, Sandbox, SandboxError, Scenario};

/// A loaded scenario module together with the sandbox that steps it.
#[derive(Debug, Clone)]
pub struct WasmScenario {
    sandbox: Arc<Sandbox>,
    scenario: Arc<Scenario>,
}

impl WasmScenario {
    /// Validates, compiles (or takes from the cache) and wraps `wasm` for `tenant`.
    pub fn load(sandbox: Arc<Sandbox>, tenant: &str, wasm: &[u8]) -> Result<Self, SandboxError> {
        let scenario = sandbox.load_bytes(ModuleKey::for_module(tenant, wasm), wasm)?;
        Ok(WasmScenario { sandbox, scenario })
    }

    /// Wraps an already loaded module.
    pub fn new(sandbox: Arc<Sandbox>, scenario: Arc<Scenario>) -> Self {
        WasmScenario { sandbox, scenario }
    }

    /// The module's tenant and version.
    pub fn key(&self) -> &ModuleKey {
        self.scenario.key()
    }
}

impl Stepper for WasmScenario {
    fn step(&self, input: &StepInput) -> Result<StepOutput, StepFailure> {
        self.sandbox
            .step(&self.scenario, input)
            .map_err(|e| StepFailure::new(e.code(), e.to_string()))
    }

    fn capabilities(&self) -> &[String] {
        self.scenario.capabilities()
    }

    fn step_traced(
        &self,
        input: &StepInput,
    ) -> Result<(StepOutput, Option<StepTrace>), StepFailure> {
        self.sandbox
            .step_traced(&self.scenario, input)
            .map_err(|e| StepFailure::new(e.code(), e.to_string()))
    }
}

impl WasmScenario {
    /// The module's manifest, if it exports one (its graph's shape among it).
    pub fn manifest(&self) -> Result<Option<sva_abi::Manifest>, SandboxError> {
        self.sandbox.manifest(&self.scenario)
    }
}
