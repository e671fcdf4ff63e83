//! `validate_module`: everything an author or an upload needs to know about a module.

use crate::{ModuleKey, Sandbox, SandboxError};
use std::fmt;
use std::time::{Duration, Instant};
use sva_abi::{Action, Context, Event, Manifest, StepInput, StepOutput};

/// What validating a module found.
#[derive(Debug, Clone, PartialEq)]
pub struct ModuleReport {
    /// Its version: the SHA-256 of its bytes.
    pub version: String,
    /// Its size in bytes.
    pub size: usize,
    /// Its manifest, if it exports one.
    pub manifest: Option<sva_abi::Manifest>,
    /// What the dry-run `call_started` step returned.
    pub dry_run: StepOutput,
    /// Fuel (wasm instructions) the dry run consumed.
    pub fuel: u64,
    /// How long compilation took.
    pub compile_time: Duration,
    /// How long the dry-run step took, instantiation included.
    pub step_time: Duration,
}

impl Sandbox {
    /// Checks `wasm` against ABI v1 and the limits, and dry-runs a `call_started` step.
    ///
    /// The module is compiled but not cached: validation never changes what is served.
    pub fn validate_module(&self, wasm: &[u8]) -> Result<ModuleReport, SandboxError> {
        let started = Instant::now();
        let module = self.compile(wasm)?;
        self.check(wasm, &module, started)
    }

    /// Validates `wasm` like [`Sandbox::validate_module`] and returns its precompiled
    /// artifact too (what [`Sandbox::load_file`] maps), compiling it once: what an
    /// upload stores.
    pub fn validate_for_upload(
        &self,
        wasm: &[u8],
    ) -> Result<(ModuleReport, Vec<u8>), SandboxError> {
        let started = Instant::now();
        let module = self.compile(wasm)?;
        let report = self.check(wasm, &module, started)?;
        let artifact = module
            .serialize()
            .map_err(|e| SandboxError::Artifact(format!("cannot serialise the module: {e}")))?;
        Ok((report, artifact))
    }

    /// The checks and the dry run of a compiled module.
    fn check(
        &self,
        wasm: &[u8],
        module: &wasmtime::Module,
        started: Instant,
    ) -> Result<ModuleReport, SandboxError> {
        let key = ModuleKey::for_module("dry-run", wasm);
        let scenario = self.prepare(key.clone(), module)?;
        let compile_time = started.elapsed();
        let manifest = self.manifest(&scenario)?;
        if let Some(m) = &manifest
            && m.abi != sva_abi::ABI_VERSION
        {
            return Err(SandboxError::AbiMismatch {
                found: m.abi,
                expected: sva_abi::ABI_VERSION,
            });
        }
        let input = dry_run_input();
        let json =
            serde_json::to_string(&input).map_err(|e| SandboxError::Engine(e.to_string()))?;
        let started = Instant::now();
        let (dry_run, fuel) = self.step_metered(&scenario, &json)?;
        Ok(ModuleReport {
            version: key.version,
            size: wasm.len(),
            manifest,
            dry_run,
            fuel,
            compile_time,
            step_time: started.elapsed(),
        })
    }
}

/// The first step of a plausible inbound call to a test tenant.
fn dry_run_input() -> StepInput {
    let mut context = Context::default();
    context.tenant.id = "dry-run".into();
    context.tenant.company = "Тест".into();
    context.tenant.product = "тестовый продукт".into();
    context.tenant.manager_phone = Some("+74950000000".into());
    context.call.id = "dry-run".into();
    context.call.caller = Some("+79990000000".into());
    context.now = "2026-01-15T12:00:00+03:00".into();
    StepInput {
        abi: sva_abi::ABI_VERSION,
        state: sva_abi::State::null(),
        event: Event::CallStarted,
        context,
    }
}

impl fmt::Display for ModuleReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "  version  {}", self.version)?;
        writeln!(f, "  size     {} KiB", self.size.div_ceil(1024))?;
        match &self.manifest {
            Some(Manifest {
                name,
                version,
                slots,
                texts,
                graph,
                ..
            }) => {
                writeln!(f, "  manifest {name} {version}")?;
                writeln!(f, "  slots    {}", slots.join(", "))?;
                writeln!(f, "  texts    {}", texts.join(", "))?;
                if let Some(graph) = graph {
                    writeln!(
                        f,
                        "  graph    {} nodes from {}",
                        graph.nodes.len(),
                        graph.start
                    )?;
                }
            }
            None => writeln!(f, "  manifest (none)")?,
        }
        writeln!(
            f,
            "  compile  {:.1} ms",
            self.compile_time.as_secs_f64() * 1e3
        )?;
        writeln!(
            f,
            "  dry run  call_started: {} instructions, {:.2} ms",
            self.fuel,
            self.step_time.as_secs_f64() * 1e3
        )?;
        for action in &self.dry_run.actions {
            match action {
                Action::Say(s) => writeln!(f, "    say      «{}»", s.text)?,
                other => writeln!(
                    f,
                    "    {}",
                    serde_json::to_string(other).unwrap_or_default()
                )?,
            }
        }
        Ok(())
    }
}
