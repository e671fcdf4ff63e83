//! Loading a module: validation against ABI v1, and the prepared [`Scenario`].

use crate::step::StepState;
use crate::{Sandbox, SandboxError};
use sha2::{Digest, Sha256};
use std::path::Path;
use std::sync::Arc;
use sva_abi::exports;
use wasmtime::{ExternType, FuncType, InstancePre, Module, ModuleExport, ValType};

/// Which module: a tenant and a version (the SHA-256 of the module's bytes).
///
/// The tenant is part of the key so that one tenant can never be handed another's
/// module from the cache, even for identical bytes.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ModuleKey {
    /// The tenant id.
    pub tenant: String,
    /// The module version: lowercase hex SHA-256 of its bytes.
    pub version: String,
}

impl ModuleKey {
    /// The key of `wasm` for `tenant`, its version being the content hash.
    pub fn for_module(tenant: &str, wasm: &[u8]) -> ModuleKey {
        ModuleKey {
            tenant: tenant.to_owned(),
            version: hex::encode(Sha256::digest(wasm)),
        }
    }
}

/// A validated, compiled module, ready to be stepped.
pub struct Scenario {
    key: ModuleKey,
    pub(crate) pre: InstancePre<StepState>,
    pub(crate) memory: ModuleExport,
    pub(crate) alloc: ModuleExport,
    pub(crate) step: ModuleExport,
    pub(crate) manifest: Option<ModuleExport>,
    capabilities: Vec<String>,
    pub(crate) trace: Option<ModuleExport>,
}

impl Scenario {
    /// The host capabilities its manifest declares (`llm`), read once at load; empty
    /// without a manifest or with one that cannot be read.
    pub fn capabilities(&self) -> &[String] {
        &self.capabilities
    }

    /// Its tenant and version.
    pub fn key(&self) -> &ModuleKey {
        &self.key
    }

    /// Whether it exports `sva_manifest`.
    pub fn has_manifest(&self) -> bool {
        self.manifest.is_some()
    }

    /// Whether it exports `sva_trace` (its steps can be traced for coverage).
    pub fn has_trace(&self) -> bool {
        self.trace.is_some()
    }
}

impl std::fmt::Debug for Scenario {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Scenario")
            .field("key", &self.key)
            .finish_non_exhaustive()
    }
}

impl Sandbox {
    /// Validates and compiles `wasm` (or returns the cached module for `key`).
    pub fn load_bytes(&self, key: ModuleKey, wasm: &[u8]) -> Result<Arc<Scenario>, SandboxError> {
        if let Some(hit) = self.cache.get(&key) {
            return Ok(hit);
        }
        let started = std::time::Instant::now();
        let module = self.compile(wasm)?;
        self.admit(key, &module, started, "compiled")
    }

    /// Loads the module at `wasm_path` through its precompiled artifact (written beside it
    /// on first use), or returns the cached module for `key`.
    pub fn load_file(
        &self,
        key: ModuleKey,
        wasm_path: &Path,
    ) -> Result<Arc<Scenario>, SandboxError> {
        if let Some(hit) = self.cache.get(&key) {
            return Ok(hit);
        }
        let started = std::time::Instant::now();
        let module = self.load_artifact(&key, wasm_path)?;
        self.admit(key, &module, started, "mapped from its artifact")
    }

    /// Validates a compiled module, caches it and logs how long getting it took.
    fn admit(
        &self,
        key: ModuleKey,
        module: &Module,
        started: std::time::Instant,
        how: &str,
    ) -> Result<Arc<Scenario>, SandboxError> {
        let scenario = Arc::new(self.prepare(key, module)?);
        tracing::info!(
            tenant = %scenario.key.tenant,
            version = %scenario.key.version,
            micros = started.elapsed().as_micros() as u64,
            "scenario module {how}"
        );
        self.cache.insert(scenario.clone());
        Ok(scenario)
    }

    /// The cached module for `key`, if loaded.
    pub fn cached(&self, key: &ModuleKey) -> Option<Arc<Scenario>> {
        self.cache.get(key)
    }

    /// How many modules the cache holds.
    pub fn cached_modules(&self) -> usize {
        self.cache.len()
    }

    /// Compiles `wasm` with Cranelift after checking its size.
    pub(crate) fn compile(&self, wasm: &[u8]) -> Result<Module, SandboxError> {
        self.check_size(wasm.len())?;
        Module::new(&self.engine, wasm).map_err(|e| compile_error(&e))
    }

    pub(crate) fn check_size(&self, len: usize) -> Result<(), SandboxError> {
        let max = self.config.limits.max_module_bytes;
        if len > max {
            return Err(SandboxError::ModuleTooLarge { len, max });
        }
        Ok(())
    }

    /// Checks a compiled module against ABI v1 and prepares it for instantiation.
    pub(crate) fn prepare(
        &self,
        key: ModuleKey,
        module: &Module,
    ) -> Result<Scenario, SandboxError> {
        if let Some(import) = module.imports().next() {
            return Err(SandboxError::ForbiddenImport {
                module: import.module().to_owned(),
                name: import.name().to_owned(),
            });
        }
        self.check_resources(module)?;
        check_export(module, exports::MEMORY, Kind::Memory)?;
        check_export(
            module,
            exports::ABI_VERSION,
            Kind::Func(&[], &[ValType::I32]),
        )?;
        check_export(
            module,
            exports::ALLOC,
            Kind::Func(&[ValType::I32], &[ValType::I32]),
        )?;
        check_export(
            module,
            exports::STEP,
            Kind::Func(&[ValType::I32, ValType::I32], &[ValType::I64]),
        )?;
        let has_manifest = module.get_export(exports::MANIFEST).is_some();
        if has_manifest {
            check_export(module, exports::MANIFEST, Kind::Func(&[], &[ValType::I64]))?;
        }
        let has_trace = module.get_export(exports::TRACE).is_some();
        if has_trace {
            check_export(module, exports::TRACE, Kind::Func(&[], &[ValType::I64]))?;
        }
        let index = |name| {
            module
                .get_export_index(name)
                .ok_or(SandboxError::MissingExport(name))
        };
        let pre = self
            .linker
            .instantiate_pre(module)
            .map_err(|e| SandboxError::InvalidModule(format!("{e:#}")))?;
        let mut scenario = Scenario {
            key,
            pre,
            memory: index(exports::MEMORY)?,
            alloc: index(exports::ALLOC)?,
            step: index(exports::STEP)?,
            manifest: if has_manifest {
                Some(index(exports::MANIFEST)?)
            } else {
                None
            },
            capabilities: Vec::new(),
            trace: if has_trace {
                Some(index(exports::TRACE)?)
            } else {
                None
            },
        };
        let found = self.abi_version(&scenario)?;
        if found != sva_abi::ABI_VERSION {
            return Err(SandboxError::AbiMismatch {
                found,
                expected: sva_abi::ABI_VERSION,
            });
        }
        // One more instance at load, so that no turn has to ask.
        scenario.capabilities = match self.manifest(&scenario) {
            Ok(Some(manifest)) => manifest.capabilities,
            _ => Vec::new(),
        };
        Ok(scenario)
    }

    fn check_resources(&self, module: &Module) -> Result<(), SandboxError> {
        let limits = &self.config.limits;
        let needed = module.resources_required();
        if needed.num_memories > 1 || needed.num_tables > 1 {
            return Err(SandboxError::InvalidModule(format!(
                "{} memories and {} tables declared; at most one of each is allowed",
                needed.num_memories, needed.num_tables
            )));
        }
        if let Some(pages) = needed.max_initial_memory_size {
            let bytes = pages.saturating_mul(65_536);
            if bytes > limits.max_memory_bytes as u64 {
                return Err(SandboxError::MemoryLimit(format!(
                    "the module's memory starts at {} MiB, more than the {} MiB limit",
                    bytes >> 20,
                    limits.max_memory_bytes >> 20
                )));
            }
        }
        if let Some(elements) = needed.max_initial_table_size
            && elements > limits.max_table_elements as u64
        {
            return Err(SandboxError::MemoryLimit(format!(
                "the module's table starts at {elements} elements, more than the {} limit",
                limits.max_table_elements
            )));
        }
        Ok(())
    }
}

/// Classifies a compilation failure: a memory or table the pooling allocator cannot
/// hold is a limit breach; anything else is an invalid module.
pub(crate) fn compile_error(e: &wasmtime::Error) -> SandboxError {
    // wasmparser's messages may carry a pretty-printed byte dump over several lines:
    // one line, whitespace collapsed, is what an author (and an API answer) needs.
    let message = format!("{e:#}")
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .replace("[ ", "[")
        .replace(", ]", "]");
    const POOL: &str = "does not fit in pooling allocator requirements: ";
    match message.find(POOL) {
        Some(at) => SandboxError::MemoryLimit(message[at + POOL.len()..].to_owned()),
        None => SandboxError::InvalidModule(message),
    }
}

enum Kind {
    Memory,
    Func(&'static [ValType], &'static [ValType]),
}

fn check_export(module: &Module, name: &'static str, kind: Kind) -> Result<(), SandboxError> {
    let found = module
        .get_export(name)
        .ok_or(SandboxError::MissingExport(name))?;
    let wrong = |expected: &'static str, found: String| SandboxError::WrongExportType {
        name,
        expected,
        found,
    };
    match (kind, found) {
        (Kind::Memory, ExternType::Memory(m)) if !m.is_64() && !m.is_shared() => Ok(()),
        (Kind::Memory, other) => Err(wrong("a 32-bit unshared memory", describe(&other))),
        (Kind::Func(params, results), ExternType::Func(f)) => {
            if same_types(f.params(), params) && same_types(f.results(), results) {
                Ok(())
            } else {
                Err(wrong(signature(name), func_signature(&f)))
            }
        }
        (Kind::Func(..), other) => Err(wrong(signature(name), describe(&other))),
    }
}

fn same_types(actual: impl ExactSizeIterator<Item = ValType>, expected: &[ValType]) -> bool {
    actual.len() == expected.len() && actual.zip(expected).all(|(a, e)| ValType::eq(&a, e))
}

fn signature(name: &str) -> &'static str {
    match name {
        exports::ABI_VERSION => "a function () -> i32",
        exports::ALLOC => "a function (i32) -> i32",
        exports::STEP => "a function (i32, i32) -> i64",
        _ => "a function () -> i64",
    }
}

fn func_signature(f: &FuncType) -> String {
    let list = |types: &mut dyn Iterator<Item = ValType>| {
        types.map(|t| t.to_string()).collect::<Vec<_>>().join(", ")
    };
    format!(
        "a function ({}) -> ({})",
        list(&mut f.params()),
        list(&mut f.results())
    )
}

fn describe(e: &ExternType) -> String {
    match e {
        ExternType::Func(f) => func_signature(f),
        ExternType::Global(_) => "a global".into(),
        ExternType::Table(_) => "a table".into(),
        ExternType::Memory(m) if m.is_64() => "a 64-bit memory".into(),
        ExternType::Memory(_) => "a shared memory".into(),
        ExternType::Tag(_) => "a tag".into(),
    }
}
