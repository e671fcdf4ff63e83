//! The questions a call could not get answered: `kb-gaps/{tenant}/{day}/{call}.json`
//! ([`crate::key::gaps`]), written at the end of a call that had any, read by the
//! knowledge base's gap report (`sva kb gaps`).

use serde::{Deserialize, Serialize};

/// One call's unanswered questions.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct CallGaps {
    /// The call.
    pub call: String,
    /// The questions, in the order they were asked, each once.
    pub questions: Vec<String>,
}
