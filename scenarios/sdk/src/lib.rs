//! The guest SDK: write a tenant scenario as a dialog graph, in the spirit of LangGraph,
//! and export it as a scenario module (ABI v1, `docs/scenario-abi.md`).
//!
//! * A [`Graph`] has named nodes. Entering a node runs its `enter` function, which says
//!   something and returns a [`Flow`]: go to another node (an edge, chosen in code, so
//!   conditional), wait for the caller (an interrupt — the next utterance resumes in the
//!   node's `reply` function), ask the host for knowledge (resumed in `knowledge`),
//!   digress to another node and return, ask again, transfer, or end the call.
//! * Global handlers run before the current node sees the caller's words, from any node:
//!   operator requests, "not interested", "repeat", silence, "call me later", do-not-call,
//!   "am I talking to a robot".
//! * The state is typed (`Scenario::State`), wrapped by the SDK in an envelope that also
//!   keeps the current node, the pending interrupt, the last phrase (for "repeat"), the
//!   silence and misunderstanding counters, and the qualification record.
//! * [`export_scenario!`] generates the module's exports; [`run_step`] is the same logic
//!   callable natively, for tests.
//!
//! Russian understanding comes from `sva-nlu`, re-exported as [`nlu`].

mod ctx;
mod envelope;
#[doc(hidden)]
pub mod glue;
mod graph;
#[cfg(all(target_arch = "wasm32", feature = "step-heap"))]
mod heap;
pub mod trace;

pub use ctx::Ctx;
pub use envelope::Envelope;
pub use graph::{Flow, Graph};
pub use sva_abi as abi;
pub use sva_nlu as nlu;

use sva_abi::Manifest;

/// A scenario: a typed state, a graph over it, and a self-description.
pub trait Scenario {
    /// The scenario's own state, carried between turns (keep it small).
    type State: serde::Serialize + serde::de::DeserializeOwned + Default;

    /// The dialog graph.
    fn graph() -> Graph<Self::State>;

    /// The module's manifest (name, version, slots, text keys).
    fn manifest() -> Manifest;

    /// The lead score of the current record (0..=100); called after every step.
    fn score(_ctx: &Ctx<'_, Self::State>) -> u8 {
        0
    }

    /// Runs after every step's flow, before [`Scenario::score`]: the place to derive
    /// facts from the whole record (the default scenario's lead temperature).
    fn finish(_ctx: &mut Ctx<'_, Self::State>) {}
}

pub use glue::{graph_shape, manifest_of, run_step, run_step_str, run_step_traced};

/// Whether a flag is off: for `#[serde(skip_serializing_if = "sva_sdk::is_false")]`, which
/// leaves a `false` field out of the state (every step reads and writes the state, so
/// defaults left out make each step cheaper; `#[serde(default)]` reads them back).
pub fn is_false(flag: &bool) -> bool {
    !flag
}

/// Every step runs in a fresh instance, so the module's heap only moves forward
/// (see `heap.rs`; the `step-heap` feature, on by default).
#[cfg(all(target_arch = "wasm32", feature = "step-heap"))]
#[global_allocator]
static HEAP: heap::StepHeap = heap::StepHeap::new();

/// Exports a [`Scenario`] as a module: `sva_abi_version`, `sva_alloc`, `sva_step`,
/// `sva_manifest`, `sva_trace` (on `wasm32` only; natively use [`run_step`] and
/// [`run_step_traced`]).
#[macro_export]
macro_rules! export_scenario {
    ($scenario:ty) => {
        /// ABI v1 export: the ABI version.
        #[cfg(target_arch = "wasm32")]
        #[unsafe(no_mangle)]
        pub extern "C" fn sva_abi_version() -> i32 {
            $crate::abi::ABI_VERSION
        }
        /// ABI v1 export: a buffer for the input.
        #[cfg(target_arch = "wasm32")]
        #[unsafe(no_mangle)]
        pub extern "C" fn sva_alloc(len: i32) -> i32 {
            $crate::glue::alloc(len)
        }
        /// ABI v1 export: one step.
        #[cfg(target_arch = "wasm32")]
        #[unsafe(no_mangle)]
        pub extern "C" fn sva_step(ptr: i32, len: i32) -> i64 {
            $crate::glue::step::<$scenario>(ptr, len)
        }
        /// ABI v1 export: the manifest.
        #[cfg(target_arch = "wasm32")]
        #[unsafe(no_mangle)]
        pub extern "C" fn sva_manifest() -> i64 {
            $crate::glue::manifest::<$scenario>()
        }
        /// ABI v1 optional export: the last step's path through the graph (coverage).
        #[cfg(target_arch = "wasm32")]
        #[unsafe(no_mangle)]
        pub extern "C" fn sva_trace() -> i64 {
            $crate::glue::trace()
        }
    };
}
