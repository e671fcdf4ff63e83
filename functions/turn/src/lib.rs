//! One turn of a call: an event in, the assistant's actions out.
//!
//! A turn may take several scenario steps: when a step ends in a request directive
//! (`retrieve`, `llm`, or one of each), the turn performs the request and steps the scenario again with the
//! result, up to [`sva_abi::Limits::max_steps_per_turn`] steps. If any step fails (the
//! module traps, runs out of fuel, answers garbage) the turn does not fail: the caller
//! hears the tenant's fallback phrase, the previous state is kept, and the failure is
//! reported for the call record and the alert.
//!
//! This crate knows nothing about WebAssembly or HTTP: a [`Stepper`] runs one step (the
//! wasm sandbox in production, a plain function in scenario unit tests) and a
//! [`Knowledge`] answers retrieve requests and a [`Language`] the `llm` ones.

mod knowledge;
mod language;
mod stepper;
mod turn;
#[cfg(feature = "wasm")]
pub mod wasm;

pub use knowledge::{Knowledge, KnowledgeError, NoKnowledge, Retrieved};
pub use language::{Asked, Language, ModelUsage, NoLanguage};
pub use stepper::{StepFailure, Stepper};
pub use turn::{ModelCall, Retrieval, Turn, TurnOptions, fallback, run_turn, run_turn_now};
