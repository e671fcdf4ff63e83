//! Running one step in a fresh store.

use crate::{Sandbox, SandboxError, Scenario};
use sva_abi::{Manifest, StepInput, StepOutput, StepTrace, unpack, validate_output};
use wasmtime::{Instance, Memory, ResourceLimiter, Store, Trap};

/// What a store knows about the step it runs: its memory and table ceilings, and
/// whether the module hit one.
pub(crate) struct StepState {
    max_memory: usize,
    max_table: usize,
    over_limit: Option<String>,
}

impl ResourceLimiter for StepState {
    fn memory_growing(
        &mut self,
        current: usize,
        desired: usize,
        _: Option<usize>,
    ) -> wasmtime::Result<bool> {
        if desired > self.max_memory {
            self.over_limit = Some(format!(
                "the module tried to grow its memory from {} to {} MiB; the limit is {} MiB",
                current >> 20,
                desired >> 20,
                self.max_memory >> 20
            ));
            return Ok(false);
        }
        // A smaller request after a refused one may succeed (the SDK's heap retries with
        // the exact size): only a refusal that ends the step is the step's failure.
        self.over_limit = None;
        Ok(true)
    }

    fn table_growing(
        &mut self,
        current: usize,
        desired: usize,
        _: Option<usize>,
    ) -> wasmtime::Result<bool> {
        if desired > self.max_table {
            self.over_limit = Some(format!(
                "the module tried to grow its table from {current} to {desired} elements; the limit is {}",
                self.max_table
            ));
            return Ok(false);
        }
        self.over_limit = None;
        Ok(true)
    }

    fn instances(&self) -> usize {
        1
    }

    fn tables(&self) -> usize {
        1
    }

    fn memories(&self) -> usize {
        1
    }
}

/// A fresh store and instance, with the step's budget set.
struct Run<'a> {
    sandbox: &'a Sandbox,
    store: Store<StepState>,
    instance: Instance,
}

impl Sandbox {
    /// Runs one step: `input` in, the validated output out.
    pub fn step(&self, scenario: &Scenario, input: &StepInput) -> Result<StepOutput, SandboxError> {
        let json = serde_json::to_string(input).map_err(|e| SandboxError::Engine(e.to_string()))?;
        self.step_raw(scenario, &json)
    }

    /// Runs one step on an already-encoded input document. It is text: ABI v1 promises
    /// modules UTF-8, so they need not check it.
    pub fn step_raw(&self, scenario: &Scenario, input: &str) -> Result<StepOutput, SandboxError> {
        self.step_metered(scenario, input).map(|(output, _)| output)
    }

    /// Runs one step and reports the fuel (wasm instructions) it consumed.
    pub fn step_metered(
        &self,
        scenario: &Scenario,
        input: &str,
    ) -> Result<(StepOutput, u64), SandboxError> {
        self.run_step(scenario, input, false)
            .map(|(output, fuel, _)| (output, fuel))
    }

    /// Runs one step and reads its path through the graph from the module's optional
    /// `sva_trace` export, in the same instance (`None` when the module has none or its
    /// trace is not readable: a trace is for coverage and never fails a step).
    pub fn step_traced(
        &self,
        scenario: &Scenario,
        input: &StepInput,
    ) -> Result<(StepOutput, Option<StepTrace>), SandboxError> {
        let json = serde_json::to_string(input).map_err(|e| SandboxError::Engine(e.to_string()))?;
        self.run_step(scenario, &json, true)
            .map(|(output, _, trace)| (output, trace))
    }

    fn run_step(
        &self,
        scenario: &Scenario,
        input: &str,
        traced: bool,
    ) -> Result<(StepOutput, u64, Option<StepTrace>), SandboxError> {
        let limits = &self.config.limits;
        let too_large = || SandboxError::InputTooLarge {
            len: input.len(),
            max: limits.max_input_bytes,
        };
        if input.len() > limits.max_input_bytes {
            return Err(too_large());
        }
        let len = i32::try_from(input.len()).map_err(|_| too_large())?;
        let mut run = Run::new(self, scenario)?;
        let memory = run.memory(scenario)?;
        let alloc = run.func::<i32, i32>(&scenario.alloc, sva_abi::exports::ALLOC)?;
        let ptr = alloc.call(&mut run.store, len).map_err(|e| run.fail(e))?;
        memory.write(&mut run.store, ptr as u32 as usize, input.as_bytes()).map_err(|_| {
            SandboxError::BadOutput(format!(
                "sva_alloc({len}) returned {ptr:#x}, which is not {len} writable bytes of memory"
            ))
        })?;
        let step = run.func::<(i32, i32), i64>(&scenario.step, sva_abi::exports::STEP)?;
        let packed = step
            .call(&mut run.store, (ptr, len))
            .map_err(|e| run.fail(e))?;
        let fuel = limits.fuel_per_step - run.store.get_fuel().unwrap_or(0);
        let output = validate_output(run.output(memory, packed)?, limits)?;
        tracing::debug!(
            tenant = %scenario.key().tenant,
            version = %scenario.key().version,
            fuel,
            "scenario step"
        );
        let trace = match &scenario.trace {
            Some(export) if traced => run.trace(export, memory),
            _ => None,
        };
        Ok((output, fuel, trace))
    }

    /// Reads the module's manifest, if it exports one.
    pub fn manifest(&self, scenario: &Scenario) -> Result<Option<Manifest>, SandboxError> {
        let Some(export) = &scenario.manifest else {
            return Ok(None);
        };
        let mut run = Run::new(self, scenario)?;
        let memory = run.memory(scenario)?;
        let func = run.func::<(), i64>(export, sva_abi::exports::MANIFEST)?;
        let packed = func.call(&mut run.store, ()).map_err(|e| run.fail(e))?;
        let bytes = run.output(memory, packed)?;
        serde_json::from_slice(bytes)
            .map(Some)
            .map_err(|e| SandboxError::BadOutput(format!("the manifest is not valid: {e}")))
    }

    /// Calls `sva_abi_version` in a fresh instance.
    pub(crate) fn abi_version(&self, scenario: &Scenario) -> Result<i32, SandboxError> {
        let mut run = Run::new(self, scenario)?;
        let export = scenario
            .pre
            .module()
            .get_export_index(sva_abi::exports::ABI_VERSION)
            .ok_or(SandboxError::MissingExport(sva_abi::exports::ABI_VERSION))?;
        let func = run.func::<(), i32>(&export, sva_abi::exports::ABI_VERSION)?;
        func.call(&mut run.store, ()).map_err(|e| run.fail(e))
    }
}

impl<'a> Run<'a> {
    fn new(sandbox: &'a Sandbox, scenario: &Scenario) -> Result<Run<'a>, SandboxError> {
        let limits = &sandbox.config.limits;
        let mut store = Store::new(
            &sandbox.engine,
            StepState {
                max_memory: limits.max_memory_bytes,
                max_table: limits.max_table_elements,
                over_limit: None,
            },
        );
        store.limiter(|state| state);
        store
            .set_fuel(limits.fuel_per_step)
            .map_err(|e| SandboxError::Engine(format!("{e:#}")))?;
        store.set_epoch_deadline(sandbox.config.deadline_ticks());
        store.epoch_deadline_trap();
        match scenario.pre.instantiate(&mut store) {
            Ok(instance) => Ok(Run {
                sandbox,
                store,
                instance,
            }),
            Err(e) => {
                if e.downcast_ref::<wasmtime::PoolConcurrencyLimitError>()
                    .is_some()
                {
                    return Err(SandboxError::PoolExhausted(
                        sandbox.config.max_concurrent_steps,
                    ));
                }
                Err(classify(sandbox, &store, e))
            }
        }
    }

    fn memory(&mut self, scenario: &Scenario) -> Result<Memory, SandboxError> {
        self.instance
            .get_module_export(&mut self.store, &scenario.memory)
            .and_then(|e| e.into_memory())
            .ok_or(SandboxError::MissingExport(sva_abi::exports::MEMORY))
    }

    fn func<P: wasmtime::WasmParams, R: wasmtime::WasmResults>(
        &mut self,
        export: &wasmtime::ModuleExport,
        name: &'static str,
    ) -> Result<wasmtime::TypedFunc<P, R>, SandboxError> {
        self.instance
            .get_module_export(&mut self.store, export)
            .and_then(|e| e.into_func())
            .and_then(|f| f.typed::<P, R>(&self.store).ok())
            .ok_or(SandboxError::MissingExport(name))
    }

    /// The bytes a packed location points at, checked against memory and the size limit.
    fn output(&self, memory: Memory, packed: i64) -> Result<&[u8], SandboxError> {
        let (ptr, len) = unpack(packed);
        let max = self.sandbox.config.limits.max_output_bytes;
        if len as usize > max {
            return Err(SandboxError::BadOutput(format!(
                "the output is {len} bytes, more than the {max}-byte limit"
            )));
        }
        let data = memory.data(&self.store);
        let start = ptr as usize;
        data.get(start..start + len as usize).ok_or_else(|| {
            SandboxError::BadOutput(format!(
                "the output at {ptr:#x}..+{len} lies outside the module's {} bytes of memory",
                data.len()
            ))
        })
    }

    /// Calls `sva_trace` after a step and reads what it returns.
    fn trace(&mut self, export: &wasmtime::ModuleExport, memory: Memory) -> Option<StepTrace> {
        let func = self.func::<(), i64>(export, sva_abi::exports::TRACE).ok()?;
        let packed = func.call(&mut self.store, ()).ok()?;
        serde_json::from_slice(self.output(memory, packed).ok()?).ok()
    }

    fn fail(&self, e: wasmtime::Error) -> SandboxError {
        classify(self.sandbox, &self.store, e)
    }
}

/// Turns a wasmtime error into the sandbox's typed error.
fn classify(sandbox: &Sandbox, store: &Store<StepState>, e: wasmtime::Error) -> SandboxError {
    let limits = &sandbox.config.limits;
    if let Some(reason) = &store.data().over_limit {
        return SandboxError::MemoryLimit(reason.clone());
    }
    match e.downcast_ref::<Trap>() {
        Some(Trap::OutOfFuel) => SandboxError::OutOfFuel {
            fuel: limits.fuel_per_step,
        },
        Some(Trap::Interrupt) => SandboxError::Deadline {
            ms: limits.step_deadline_ms,
        },
        Some(Trap::StackOverflow) => SandboxError::Trap(
            "stack overflow: the call stack is exhausted (endless or too deep recursion)".into(),
        ),
        Some(trap) => SandboxError::Trap(trap.to_string()),
        None => {
            let message = format!("{e:#}");
            if message.contains("memory") && message.contains("exceed") {
                SandboxError::MemoryLimit(message)
            } else {
                SandboxError::Trap(message)
            }
        }
    }
}

impl Sandbox {
    /// Creates and drops an instance without stepping it (for benchmarks).
    #[doc(hidden)]
    pub fn instantiate_only(&self, scenario: &Scenario) -> Result<(), SandboxError> {
        Run::new(self, scenario).map(drop)
    }
}
