//! The SDK's state around the scenario's own.

use serde::{Deserialize, Serialize};
use sva_abi::Qualification;

/// What the SDK carries between turns besides the scenario's state. Fields at their
/// default are left out of the state (every step reads and writes it).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Envelope<S> {
    /// The node the call is at.
    pub node: String,
    /// Whether the node waits for the caller's reply (an interrupt).
    #[serde(skip_serializing_if = "crate::is_false")]
    pub waiting: bool,
    /// Whether the node waits for the host's knowledge.
    #[serde(skip_serializing_if = "crate::is_false")]
    pub asked: bool,
    /// Where a digression returns to.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub return_to: String,
    /// What was said last, for "repeat".
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub last_said: Vec<String>,
    /// Silences in a row.
    #[serde(skip_serializing_if = "is_zero")]
    pub silences: u8,
    /// Unintelligible answers in a row at the current node.
    #[serde(skip_serializing_if = "is_zero")]
    pub misses: u8,
    /// The qualification record. Stored beside the envelope, not inside it (the state
    /// is `{"record": …, "dialog": …}`), so a step serialises it once and, when it
    /// changed, copies that text into its `qualification` action (`glue::write_output`).
    #[serde(skip)]
    pub record: Qualification,
    /// The scenario's own state.
    pub user: S,
}

fn is_zero(n: &u8) -> bool {
    *n == 0
}
