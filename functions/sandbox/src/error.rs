//! Every way loading or stepping a module can fail.

use sva_abi::OutputError;

/// A typed failure of the sandbox, with a stable machine-readable [`code`](Self::code)
/// and a sentence that tells a scenario author what is wrong.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum SandboxError {
    /// The module is larger than the limit.
    #[error("the module is {len} bytes, more than the {max}-byte limit")]
    ModuleTooLarge {
        /// Its size.
        len: usize,
        /// The limit.
        max: usize,
    },
    /// The bytes are not a valid WebAssembly module, or use a disabled feature.
    #[error("not a valid WebAssembly module: {0}")]
    InvalidModule(String),
    /// The module imports something; ABI v1 allows no imports.
    #[error("the module imports `{module}.{name}`; scenario modules may not import anything")]
    ForbiddenImport {
        /// The import's module.
        module: String,
        /// The import's name.
        name: String,
    },
    /// A required export is missing.
    #[error("the module does not export `{0}`")]
    MissingExport(&'static str),
    /// An export has the wrong kind or signature.
    #[error("the export `{name}` must be {expected}, found {found}")]
    WrongExportType {
        /// The export.
        name: &'static str,
        /// What ABI v1 requires.
        expected: &'static str,
        /// What the module has.
        found: String,
    },
    /// `sva_abi_version` returned another version.
    #[error("the module was built for scenario ABI {found}, this host speaks ABI {expected}")]
    AbiMismatch {
        /// What the module returned.
        found: i32,
        /// What the host expects.
        expected: i32,
    },
    /// The module needs more memory or table space than allowed, or tried to grow past it.
    #[error("memory limit: {0}")]
    MemoryLimit(String),
    /// The step used up its fuel (too many instructions).
    #[error("the step ran out of fuel ({fuel} instructions)")]
    OutOfFuel {
        /// The budget it had.
        fuel: u64,
    },
    /// The step ran past its wall-clock deadline.
    #[error("the step ran past its {ms} ms deadline")]
    Deadline {
        /// The deadline.
        ms: u64,
    },
    /// The module trapped (unreachable, out-of-bounds access, stack overflow, …).
    #[error("the module trapped: {0}")]
    Trap(String),
    /// The module's output broke the ABI.
    #[error("bad output: {0}")]
    BadOutput(String),
    /// The input document is larger than the limit (the state grew too big).
    #[error("the step input is {len} bytes, more than the {max}-byte limit")]
    InputTooLarge {
        /// Its size.
        len: usize,
        /// The limit.
        max: usize,
    },
    /// Every instance slot is busy; retry later.
    #[error("all {0} sandbox slots are busy")]
    PoolExhausted(u32),
    /// The precompiled artifact could not be written or read.
    #[error("precompiled artifact: {0}")]
    Artifact(String),
    /// The engine could not be configured (a host bug, not the module's fault).
    #[error("sandbox engine: {0}")]
    Engine(String),
}

impl SandboxError {
    /// The stable, machine-readable code of this failure.
    pub fn code(&self) -> &'static str {
        match self {
            SandboxError::ModuleTooLarge { .. } => "module_too_large",
            SandboxError::InvalidModule(_) => "invalid_module",
            SandboxError::ForbiddenImport { .. } => "forbidden_import",
            SandboxError::MissingExport(_) => "missing_export",
            SandboxError::WrongExportType { .. } => "wrong_export_type",
            SandboxError::AbiMismatch { .. } => "abi_mismatch",
            SandboxError::MemoryLimit(_) => "memory_limit",
            SandboxError::OutOfFuel { .. } => "out_of_fuel",
            SandboxError::Deadline { .. } => "deadline",
            SandboxError::Trap(_) => "trap",
            SandboxError::BadOutput(_) => "bad_output",
            SandboxError::InputTooLarge { .. } => "input_too_large",
            SandboxError::PoolExhausted(_) => "pool_exhausted",
            SandboxError::Artifact(_) => "artifact",
            SandboxError::Engine(_) => "engine",
        }
    }

    /// Whether the module is at fault (as opposed to the host or its load).
    pub fn is_module_fault(&self) -> bool {
        !matches!(
            self,
            SandboxError::PoolExhausted(_) | SandboxError::Artifact(_) | SandboxError::Engine(_)
        )
    }
}

impl From<OutputError> for SandboxError {
    fn from(e: OutputError) -> Self {
        SandboxError::BadOutput(e.to_string())
    }
}
