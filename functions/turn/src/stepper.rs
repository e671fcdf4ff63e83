//! The one operation a turn needs from a scenario: a step.

use sva_abi::{StepInput, StepOutput, StepTrace};

/// Runs one scenario step.
///
/// Implemented by the wasm sandbox in production and by any
/// `Fn(&StepInput) -> Result<StepOutput, E>` (with `E: Into<StepFailure>`) in tests.
///
/// A step is synchronous and runs in place on the turn's task: it is pure computation,
/// bounded by the sandbox's fuel and epoch deadline (tens of microseconds in practice),
/// so handing it to another thread would cost more than it takes.
pub trait Stepper {
    /// Steps the scenario once.
    fn step(&self, input: &StepInput) -> Result<StepOutput, StepFailure>;

    /// The host capabilities the scenario declares it can use (its manifest's
    /// `capabilities`); the host grants a call only those it also has.
    fn capabilities(&self) -> &[String] {
        &[]
    }

    /// Steps the scenario once and reports its path through the dialog graph, for
    /// coverage (`None` when the scenario does not report one; the default).
    fn step_traced(
        &self,
        input: &StepInput,
    ) -> Result<(StepOutput, Option<StepTrace>), StepFailure> {
        self.step(input).map(|output| (output, None))
    }
}

impl<F, E> Stepper for F
where
    F: Fn(&StepInput) -> Result<StepOutput, E>,
    E: Into<StepFailure>,
{
    fn step(&self, input: &StepInput) -> Result<StepOutput, StepFailure> {
        self(input).map_err(Into::into)
    }
}

/// Why a step produced no usable output.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize, thiserror::Error)]
#[error("{code}: {message}")]
pub struct StepFailure {
    /// Machine-readable code (`trap`, `out_of_fuel`, `deadline`, `bad_output`, …).
    pub code: String,
    /// A sentence for the tenant's engineer.
    pub message: String,
}

impl StepFailure {
    /// A failure with the given code and message.
    pub fn new(code: impl Into<String>, message: impl Into<String>) -> Self {
        StepFailure {
            code: code.into(),
            message: message.into(),
        }
    }
}

impl From<String> for StepFailure {
    fn from(message: String) -> Self {
        StepFailure::new("scenario_error", message)
    }
}

impl From<&str> for StepFailure {
    fn from(message: &str) -> Self {
        StepFailure::new("scenario_error", message)
    }
}
