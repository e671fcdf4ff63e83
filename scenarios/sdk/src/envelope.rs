//! The SDK's state around the scenario's own.

use serde::{Deserialize, Serialize};
use sva_abi::Qualification;

/// What the SDK carries between turns besides the scenario's state.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Envelope<S> {
    /// The node the call is at.
    pub node: String,
    /// Whether the node waits for the caller's reply (an interrupt).
    pub waiting: bool,
    /// Whether the node waits for the host's knowledge.
    pub asked: bool,
    /// Where a digression returns to.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub return_to: String,
    /// What was said last, for "repeat".
    pub last_said: Vec<String>,
    /// Silences in a row.
    pub silences: u8,
    /// Unintelligible answers in a row at the current node.
    pub misses: u8,
    /// The qualification record.
    pub record: Qualification,
    /// The scenario's own state.
    pub user: S,
}
