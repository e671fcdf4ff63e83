//! The language model as a host capability (ABI `llm`).
//!
//! A scenario asks; this crate decides whether the tenant may ask now ([`guard`]), says
//! it to the model in words that keep the caller's text as data ([`prompt`]), and checks
//! what comes back before the scenario sees it ([`answer`], [`grounding`]). The model
//! only proposes: a command from the scenario's list, values in its schema, a phrase
//! made of the facts it was given. The scenario decides, and with the model off, slow or
//! refused it does what it does without one.

pub mod answer;
pub mod gigachat;
pub mod grounding;
pub mod guard;
pub mod host;
pub mod prompt;
pub mod provider;
#[cfg(feature = "standin")]
pub mod standin;

pub use answer::Invalid;
pub use gigachat::{GigaChatAuth, Scope};
pub use grounding::Ungrounded;
pub use guard::{Guards, Limits, Outcome, Pass, Refusal};
pub use host::{Ask, Models};
pub use prompt::{Prompt, Templates};
pub use provider::{AuthScheme, Completion, Dialect, Provider, ProviderConfig, ProviderError};
