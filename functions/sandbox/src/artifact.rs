//! Precompiled artifacts: compile once at upload, map the file at cold start.

use crate::{ModuleKey, Sandbox, SandboxError};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use wasmtime::Module;

impl Sandbox {
    /// Compiles `wasm` to this engine's native artifact (what [`Sandbox::load_file`] maps).
    pub fn precompile(&self, wasm: &[u8]) -> Result<Vec<u8>, SandboxError> {
        self.check_size(wasm.len())?;
        self.engine
            .precompile_module(wasm)
            .map_err(|e| crate::module::compile_error(&e))
    }

    /// Where the artifact of the module at `wasm_path` with version `key.version` lives:
    /// beside it, named by the version and the engine's compatibility hash, so that
    /// neither another module's nor another engine's artifact is ever picked up.
    pub fn artifact_path(&self, key: &ModuleKey, wasm_path: &Path) -> PathBuf {
        let version = key.version.get(..16).unwrap_or(&key.version);
        let mut name = wasm_path.file_name().unwrap_or_default().to_os_string();
        name.push(format!(".{version}.{}.cwasm", self.compatibility));
        wasm_path.with_file_name(name)
    }

    /// Maps the module's artifact, writing it first if it does not exist yet.
    ///
    /// `key.version` must be the content hash of the file at `wasm_path` (storage keys
    /// are content-addressed, so the caller knows it without hashing again).
    pub(crate) fn load_artifact(
        &self,
        key: &ModuleKey,
        wasm_path: &Path,
    ) -> Result<Module, SandboxError> {
        let artifact = self.artifact_path(key, wasm_path);
        if !artifact.exists() {
            let wasm = std::fs::read(wasm_path).map_err(|e| {
                SandboxError::Artifact(format!("cannot read {}: {e}", wasm_path.display()))
            })?;
            let compiled = self.precompile(&wasm)?;
            write_atomically(&artifact, &compiled)?;
        }
        // SAFETY: `deserialize_file` trusts the file to be an unmodified artifact of this
        // engine. The file was written by `precompile` above, or is the artifact the
        // admin function made with the same engine configuration at upload and stored
        // in the service's own bucket (a tenant uploads wasm, never an artifact). It
        // appears only through an atomic rename so it is never seen half-written, and
        // its name carries the engine's compatibility hash; wasmtime also rejects
        // artifacts of another version or configuration with an error.
        unsafe { Module::deserialize_file(&self.engine, &artifact) }.map_err(|e| {
            SandboxError::Artifact(format!("cannot load {}: {e:#}", artifact.display()))
        })
    }
}

/// Writes `bytes` to a temporary file beside `path` and renames it into place.
fn write_atomically(path: &Path, bytes: &[u8]) -> Result<(), SandboxError> {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let mut tmp = path.as_os_str().to_os_string();
    tmp.push(format!(
        ".tmp-{}-{}",
        std::process::id(),
        COUNTER.fetch_add(1, Ordering::Relaxed)
    ));
    let tmp = PathBuf::from(tmp);
    let fail =
        |e: std::io::Error| SandboxError::Artifact(format!("cannot write {}: {e}", path.display()));
    std::fs::write(&tmp, bytes).map_err(fail)?;
    std::fs::rename(&tmp, path).map_err(|e| {
        let _ = std::fs::remove_file(&tmp);
        fail(e)
    })
}
