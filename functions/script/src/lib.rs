//! Scripted dialogs: conversations written in YAML, with expectations on what the
//! assistant says and records, run against a scenario turn by turn.
//!
//! The format is specified in `docs/scenario-testing.md`. The runner is independent of
//! how the scenario runs: `sva scenario test` drives the compiled module through the
//! wasm sandbox, and a scenario crate's own tests drive its Rust code directly — both
//! through the same [`sva_turn::run_turn`] loop that serves real calls.
//!
//! [`Recording`] wraps a stepper to measure which nodes and edges of the dialog graph a
//! set of runs reached ([`Coverage`]); [`replay()`] plays the caller's side of a recorded
//! call against another scenario version and says what changed.

pub mod coverage;
mod expect;
mod knowledge;
mod model;
pub mod replay;
mod report;
mod run;
mod script;

pub use coverage::{Coverage, CoverageSummary, Recording};
pub use expect::Expect;
pub use knowledge::{Snippet, SnippetKnowledge};
pub use model::{CannedModel, ModelReply};
pub use replay::{CallReplay, ReplayError, record, replay};
pub use report::{Failure, Report, TranscriptLine};
pub use run::{run, run_with};
pub use script::{Script, ScriptError, ScriptTurn, default_context, load_path};

/// Lowercases and folds `ё` into `е`, the way expectations are compared.
pub fn fold(text: &str) -> String {
    text.to_lowercase().replace('ё', "е")
}
