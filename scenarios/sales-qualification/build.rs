//! Sizes the module's initial memory (wasm32 only).
//!
//! Every step runs in a fresh instance. If the step's heap outgrows the memory the module
//! starts with, each step pays for `memory.grow` and the host for shrinking the slot back
//! afterwards (two `mprotect` calls), on every turn. Starting with 4 MiB (1 MiB of stack,
//! the static data, and the rest heap) keeps a step within its initial memory; pages a
//! step never touches cost nothing.

fn main() {
    println!("cargo::rerun-if-changed=build.rs");
    if std::env::var("CARGO_CFG_TARGET_ARCH").as_deref() == Ok("wasm32") {
        println!("cargo::rustc-link-arg-cdylib=--initial-memory=4194304");
    }
}
