//! The result of running a script: a transcript and the unmet expectations.

use std::fmt;
use std::path::PathBuf;
use sva_abi::Qualification;

/// One exchange of the transcript.
#[derive(Debug, Clone, PartialEq)]
pub struct TranscriptLine {
    /// 0 for the call start, then one per caller event.
    pub turn: usize,
    /// What the caller did.
    pub caller: String,
    /// What the assistant said.
    pub assistant: String,
    /// How the turn ended: `listen`, `transfer` or `hangup`.
    pub directive: String,
}

/// An unmet expectation.
#[derive(Debug, Clone, PartialEq)]
pub struct Failure {
    /// The turn it belongs to; `None` for the `end:` expectations.
    pub turn: Option<usize>,
    /// What was expected and what happened.
    pub problem: String,
}

/// The outcome of one script.
#[derive(Debug, Clone, PartialEq)]
pub struct Report {
    /// The script's name.
    pub name: String,
    /// The script's file.
    pub path: Option<PathBuf>,
    /// Every exchange, in order (the run stops early after a turn ends the call).
    pub transcript: Vec<TranscriptLine>,
    /// The unmet expectations, in order.
    pub failures: Vec<Failure>,
    /// The last qualification record the scenario produced.
    pub qualification: Qualification,
}

impl Report {
    /// Whether every expectation was met.
    pub fn passed(&self) -> bool {
        self.failures.is_empty()
    }
}

/// A readable account: a pass line, or the failing turns with what was said around them.
impl fmt::Display for Report {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let source = self
            .path
            .as_ref()
            .map(|p| format!(" ({})", p.display()))
            .unwrap_or_default();
        if self.passed() {
            return writeln!(f, "✓ {}{source}", self.name);
        }
        writeln!(f, "✗ {}{source}", self.name)?;
        let mut shown_turn = None;
        for failure in &self.failures {
            if failure.turn != shown_turn {
                shown_turn = failure.turn;
                match failure
                    .turn
                    .and_then(|t| self.transcript.iter().find(|l| l.turn == t))
                {
                    Some(line) => {
                        writeln!(f, "  turn {} — {}", line.turn, line.caller)?;
                        writeln!(
                            f,
                            "    assistant: «{}» → {}",
                            line.assistant, line.directive
                        )?;
                    }
                    None => writeln!(f, "  at the end of the call")?,
                }
            }
            writeln!(f, "    ✗ {}", failure.problem)?;
        }
        Ok(())
    }
}
