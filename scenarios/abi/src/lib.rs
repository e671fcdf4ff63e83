//! Scenario ABI v1: what a tenant's scenario module receives and returns.
//!
//! A scenario is a pure state machine compiled to a core WebAssembly module. On every
//! step the host writes a [`StepInput`] as UTF-8 JSON into the module's memory, calls
//! `sva_step`, and reads back a [`StepOutput`]. The wire format, the exports and the
//! limits are specified in `docs/scenario-abi.md`; this crate is the Rust side of that
//! document, shared by the host (which validates) and the guest SDK (which produces).
//!
//! Everything here is plain data with serde derives, so it compiles for
//! `wasm32-unknown-unknown` as well as natively.

mod action;
pub mod clock;
mod context;
mod event;
mod limits;
mod llm;
pub mod phone;
mod qualification;
mod state;
mod tagged;
mod validate;

pub use action::{Action, Directive, LogLevel, RetrieveRequest, Say, Transfer};
pub use context::{CallContext, Context, CustomerProfile, Direction, TenantContext};
pub use event::{Event, Hit, HitSource};
pub use limits::Limits;
pub use llm::{
    Command, LLM_CAPABILITY, LlmRequest, LlmResult, LlmStatus, LlmTask, ModelTier, Phrase,
    RetrieveAnswer, Understand, bounds as llm_bounds,
};
pub use qualification::{Outcome, Qualification, Slot};
pub use state::State;
pub use validate::{OutputError, validate_output};

use serde::{Deserialize, Serialize};

/// The ABI version this crate describes; `sva_abi_version` must return it.
pub const ABI_VERSION: i32 = 1;

/// Names of the exports a scenario module has.
pub mod exports {
    /// The module's linear memory.
    pub const MEMORY: &str = "memory";
    /// `() -> i32`: the ABI version the module was built for.
    pub const ABI_VERSION: &str = "sva_abi_version";
    /// `(len: i32) -> i32`: reserve `len` bytes for the host to write the input into.
    pub const ALLOC: &str = "sva_alloc";
    /// `(ptr: i32, len: i32) -> i64`: one step; returns the output's pointer and length.
    pub const STEP: &str = "sva_step";
    /// Optional `() -> i64`: the manifest document's pointer and length.
    pub const MANIFEST: &str = "sva_manifest";
    /// Optional `() -> i64`: the last step's path through the graph ([`StepTrace`]),
    /// read by a host measuring coverage right after `sva_step`, in the same instance.
    ///
    /// [`StepTrace`]: crate::StepTrace
    pub const TRACE: &str = "sva_trace";
}

/// What the host passes to `sva_step`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StepInput {
    /// Always [`ABI_VERSION`].
    pub abi: i32,
    /// The state the previous step returned, or `null` on the first step of a call.
    pub state: State,
    /// What happened since the previous step.
    pub event: Event,
    /// Who is calling whom, for which tenant, and when.
    pub context: Context,
}

/// What `sva_step` returns.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StepOutput {
    /// The scenario's new state, opaque to the host, handed back on the next step.
    pub state: State,
    /// What to do now, in order; exactly one [`Directive`] closes the list.
    pub actions: Vec<Action>,
}

/// The optional self-description a module returns from `sva_manifest`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Manifest {
    /// A short machine name, e.g. `sales-qualification`.
    pub name: String,
    /// The author's version string (the host identifies versions by content hash).
    pub version: String,
    /// The ABI version; must equal [`ABI_VERSION`].
    pub abi: i32,
    /// A human description.
    #[serde(default)]
    pub description: String,
    /// The qualification slots this scenario fills.
    #[serde(default)]
    pub slots: Vec<String>,
    /// The tenant text keys the scenario reads (so an admin UI can list them).
    #[serde(default)]
    pub texts: Vec<String>,
    /// The host capabilities the module can use (`llm`); the host offers each one in
    /// `context.capabilities` only to a module that declares it.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub capabilities: Vec<String>,
    /// The dialog graph's nodes, for coverage (optional; added in ABI v1 without
    /// changing the version: a host that does not know it ignores it).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub graph: Option<GraphShape>,
}

/// A scenario's dialog graph as its manifest describes it: where calls start and every
/// node, in the order declared.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct GraphShape {
    /// The node calls start at.
    pub start: String,
    /// Every node's name.
    pub nodes: Vec<String>,
}

/// What the optional `sva_trace` export returns: the nodes of the graph the last step
/// passed through, in order — the node the call was at when the event arrived, then
/// every node entered. Consecutive nodes are the edges taken.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct StepTrace {
    /// Node names, in the order passed.
    #[serde(default)]
    pub path: Vec<String>,
}

impl StepTrace {
    /// The edges of the path: each pair of consecutive nodes.
    pub fn edges(&self) -> impl Iterator<Item = (&str, &str)> {
        self.path
            .windows(2)
            .map(|pair| (pair[0].as_str(), pair[1].as_str()))
    }
}

/// Packs a guest pointer and length into the `i64` that `sva_step` and `sva_manifest` return.
pub fn pack(ptr: u32, len: u32) -> i64 {
    ((u64::from(ptr) << 32) | u64::from(len)) as i64
}

/// Splits a packed `i64` back into pointer and length.
pub fn unpack(packed: i64) -> (u32, u32) {
    let bits = packed as u64;
    ((bits >> 32) as u32, bits as u32)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pack_round_trips_the_extremes() {
        for (p, l) in [
            (0, 0),
            (1, 2),
            (u32::MAX, 0),
            (0, u32::MAX),
            (u32::MAX, u32::MAX),
        ] {
            assert_eq!(unpack(pack(p, l)), (p, l));
        }
    }

    #[test]
    fn step_input_refuses_unknown_fields() {
        let json = r#"{"abi":1,"state":null,"event":{"type":"call_started"},"context":{},"x":1}"#;
        assert!(serde_json::from_str::<StepInput>(json).is_err());
    }
}
