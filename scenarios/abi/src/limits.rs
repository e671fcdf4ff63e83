//! The limits the host enforces on every module and step.

use serde::{Deserialize, Serialize};

/// Hard limits for loading and stepping a scenario module.
///
/// The defaults are the ABI v1 limits published in `docs/scenario-abi.md`; an operator
/// may tighten or loosen them per deployment.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Limits {
    /// Largest accepted module, in bytes.
    pub max_module_bytes: usize,
    /// Ceiling on one instance's linear memory, in bytes.
    pub max_memory_bytes: usize,
    /// Ceiling on table elements.
    pub max_table_elements: usize,
    /// Wasm instructions (fuel) one step may consume.
    pub fuel_per_step: u64,
    /// Wall-clock time one step may take, in milliseconds.
    pub step_deadline_ms: u64,
    /// Largest input document, in bytes.
    pub max_input_bytes: usize,
    /// Largest output document, in bytes.
    pub max_output_bytes: usize,
    /// Largest state inside the output, in bytes (serialised JSON).
    pub max_state_bytes: usize,
    /// Most actions in one output.
    pub max_actions: usize,
    /// Longest `say` text, in characters (VoxEngine refuses more than 1500).
    pub max_say_chars: usize,
    /// Most steps in one turn (a retrieve request costs one more step).
    pub max_steps_per_turn: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_module_bytes: 8 << 20,
            max_memory_bytes: 32 << 20,
            max_table_elements: 10_000,
            fuel_per_step: 50_000_000,
            step_deadline_ms: 100,
            max_input_bytes: 256 << 10,
            max_output_bytes: 64 << 10,
            max_state_bytes: 32 << 10,
            max_actions: 32,
            max_say_chars: 1500,
            max_steps_per_turn: 4,
        }
    }
}
