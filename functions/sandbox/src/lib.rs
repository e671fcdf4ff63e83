//! The sandbox: runs tenant scenario modules (ABI v1) under hard limits.
//!
//! A [`Sandbox`] owns one wasmtime [`Engine`](wasmtime::Engine) configured for hostile
//! code: Cranelift, the pooling allocator, fuel and epoch interruption, unused wasm
//! proposals off, no imports linked. Modules are validated when loaded
//! ([`Sandbox::load_bytes`], [`Sandbox::load_file`]), kept in a bounded cache keyed by
//! tenant and version, and stepped in a fresh store each time ([`Sandbox::step`]), so
//! nothing survives between steps, calls or tenants.
//!
//! Whatever a module does — loop, allocate without end, recurse, trap, answer garbage —
//! the step ends within its deadline in a typed [`SandboxError`] with a machine-readable
//! [`code`](SandboxError::code). The contract is `docs/scenario-abi.md`.

mod artifact;
mod cache;
mod config;
mod engine;
mod error;
mod module;
mod report;
mod step;

pub use config::SandboxConfig;
pub use engine::Sandbox;
pub use error::SandboxError;
pub use module::{ModuleKey, Scenario};
pub use report::ModuleReport;
