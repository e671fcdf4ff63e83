//! Actions: what a scenario asks the host and the telephony to do.

use crate::tagged::TaggedVisitor;
use crate::{LlmRequest, Qualification};
use serde::{Deserialize, Serialize};

/// One action, tagged by `type` on the wire.
///
/// Read tag first: when `type` is the object's first key (as every SDK writes it), the
/// rest of the object goes straight into the variant; otherwise the object is buffered
/// first (see `crate::tagged`).
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Action {
    /// Speak a phrase.
    Say(Say),
    /// Wait for the caller to speak. A directive.
    Listen {
        /// How long to wait for speech before a `no_input` event, in milliseconds.
        timeout_ms: u32,
    },
    /// Connect the caller to a human. A directive.
    Transfer(Transfer),
    /// End the call. A directive.
    Hangup {
        /// Why, for the call record (`completed`, `not_interested`, `do_not_call`, …).
        #[serde(default)]
        reason: String,
    },
    /// Ask the host for knowledge; the host answers with a `retrieve_result` event in the
    /// same turn. A directive.
    Retrieve(RetrieveRequest),
    /// Ask the host's language model; the host answers with an `llm_result` event in the
    /// same turn. A directive, for modules given the `llm` capability.
    Llm(LlmRequest),
    /// Replace the call's qualification record (slots, score, outcome).
    Qualification(Qualification),
    /// Book a call back to the customer.
    ScheduleCallback {
        /// When, RFC 3339 with offset.
        at: String,
        /// A note for the manager.
        #[serde(default)]
        note: String,
    },
    /// A line for the host's log, tagged with the tenant and call (personal data masked).
    Log {
        /// Severity.
        level: LogLevel,
        /// The message.
        message: String,
    },
}

impl<'de> Deserialize<'de> for Action {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_map(TaggedVisitor::new())
    }
}

/// The parameters of [`Action::Say`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Say {
    /// The phrase, in Russian, at most [`crate::Limits::max_say_chars`] characters.
    pub text: String,
    /// Whether the caller may interrupt this phrase by speaking.
    #[serde(default = "yes")]
    pub barge_in: bool,
    /// A voice other than the tenant's default, e.g. `ru_RU_alena`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub voice: Option<String>,
}

fn yes() -> bool {
    true
}

/// The parameters of [`Action::Transfer`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Transfer {
    /// E.164 number to connect the caller to.
    pub to: String,
    /// A short summary the human hears or sees before taking the call.
    #[serde(default)]
    pub summary: String,
}

/// The parameters of [`Action::Retrieve`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RetrieveRequest {
    /// Chosen by the scenario, echoed back in the result.
    pub id: String,
    /// The question, as the caller put it.
    pub query: String,
    /// How many passages to return, 1..=10.
    #[serde(default = "three")]
    pub top_k: u32,
}

fn three() -> u32 {
    3
}

/// Log severity of [`Action::Log`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LogLevel {
    /// Diagnostic detail.
    Debug,
    /// Normal events.
    Info,
    /// Something the tenant should look at.
    Warn,
}

/// The kinds of action that close a step's action list.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Directive {
    /// [`Action::Listen`].
    Listen,
    /// [`Action::Transfer`].
    Transfer,
    /// [`Action::Hangup`].
    Hangup,
    /// [`Action::Retrieve`]: the host steps the scenario again with the result.
    Retrieve,
    /// [`Action::Llm`]: the host steps the scenario again with the result.
    Llm,
}

impl Directive {
    /// Whether it is a request the host answers within the turn (`retrieve`, `llm`)
    /// rather than the end of the turn (`listen`, `transfer`, `hangup`).
    pub fn is_request(self) -> bool {
        matches!(self, Directive::Retrieve | Directive::Llm)
    }
}

impl Action {
    /// Whether this action closes the list, and which kind it is.
    pub fn directive(&self) -> Option<Directive> {
        match self {
            Action::Listen { .. } => Some(Directive::Listen),
            Action::Transfer(_) => Some(Directive::Transfer),
            Action::Hangup { .. } => Some(Directive::Hangup),
            Action::Retrieve(_) => Some(Directive::Retrieve),
            Action::Llm(_) => Some(Directive::Llm),
            _ => None,
        }
    }

    /// A `say` that the caller may interrupt.
    pub fn say(text: impl Into<String>) -> Self {
        Action::Say(Say {
            text: text.into(),
            barge_in: true,
            voice: None,
        })
    }
}

/// How an [`Action`] is read: its tags and the fields of its struct variants.
mod read {
    use super::{Action, LogLevel, RetrieveRequest, Say, Transfer};
    use crate::tagged::Tagged;
    use crate::{LlmRequest, Qualification};
    use serde::{Deserialize, Deserializer};

    /// The `type` tags, as on the wire (read as a string, whatever the format).
    #[derive(Deserialize)]
    #[serde(variant_identifier, rename_all = "snake_case")]
    pub(crate) enum Kind {
        Say,
        Listen,
        Transfer,
        Hangup,
        Retrieve,
        Llm,
        Qualification,
        ScheduleCallback,
        Log,
    }

    /// The fields of the struct variants, with the variants' defaults.
    #[derive(Deserialize)]
    struct ListenBody {
        timeout_ms: u32,
    }
    #[derive(Deserialize)]
    struct HangupBody {
        #[serde(default)]
        reason: String,
    }
    #[derive(Deserialize)]
    struct CallbackBody {
        at: String,
        #[serde(default)]
        note: String,
    }
    #[derive(Deserialize)]
    struct LogBody {
        level: LogLevel,
        message: String,
    }

    impl Tagged for Action {
        type Kind = Kind;
        const EXPECTING: &'static str = "an action: an object with a `type`";

        fn of_kind<'de, D: Deserializer<'de>>(kind: Kind, body: D) -> Result<Action, D::Error> {
            Ok(match kind {
                Kind::Say => Action::Say(Say::deserialize(body)?),
                Kind::Listen => Action::Listen {
                    timeout_ms: ListenBody::deserialize(body)?.timeout_ms,
                },
                Kind::Transfer => Action::Transfer(Transfer::deserialize(body)?),
                Kind::Hangup => Action::Hangup {
                    reason: HangupBody::deserialize(body)?.reason,
                },
                Kind::Retrieve => Action::Retrieve(RetrieveRequest::deserialize(body)?),
                Kind::Llm => Action::Llm(LlmRequest::deserialize(body)?),
                Kind::Qualification => Action::Qualification(Qualification::deserialize(body)?),
                Kind::ScheduleCallback => {
                    let CallbackBody { at, note } = CallbackBody::deserialize(body)?;
                    Action::ScheduleCallback { at, note }
                }
                Kind::Log => {
                    let LogBody { level, message } = LogBody::deserialize(body)?;
                    Action::Log { level, message }
                }
            })
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Outcome, Slot};

    fn every_action() -> Vec<Action> {
        let mut record = Qualification {
            score: 40,
            outcome: Outcome::InProgress,
            ..Qualification::default()
        };
        record.slots.insert(
            "budget".into(),
            Slot {
                value: serde_json::json!({ "amount": 1_500_000, "currency": "RUB" }),
                confidence: 0.9,
                utterance: "полтора миллиона".into(),
            },
        );
        vec![
            Action::say("Здравствуйте!"),
            Action::Say(Say {
                text: "Минуту".into(),
                barge_in: false,
                voice: Some("ru_RU_alena".into()),
            }),
            Action::Listen { timeout_ms: 7000 },
            Action::Transfer(Transfer {
                to: "+74951234567".into(),
                summary: "горячий лид".into(),
            }),
            Action::Hangup {
                reason: "completed".into(),
            },
            Action::Retrieve(RetrieveRequest {
                id: "q1".into(),
                query: "сколько стоит".into(),
                top_k: 3,
            }),
            Action::Qualification(record),
            Action::ScheduleCallback {
                at: "2026-11-26T10:00:00+03:00".into(),
                note: "перезвонить".into(),
            },
            Action::Log {
                level: LogLevel::Info,
                message: "ok".into(),
            },
        ]
    }

    /// The same object with `type` moved from first to last.
    fn type_last(json: &str) -> String {
        let (tag, rest) = json[1..]
            .split_once(',')
            .unwrap_or((&json[1..json.len() - 1], ""));
        let rest = rest.trim_end_matches('}');
        if rest.is_empty() {
            format!("{{{}}}", tag.trim_end_matches('}'))
        } else {
            format!("{{{rest},{}}}", tag)
        }
    }

    #[test]
    fn every_action_reads_back_whether_the_tag_comes_first_or_last() {
        for action in every_action() {
            let json = serde_json::to_string(&action).unwrap();
            assert!(json.starts_with(r#"{"type":""#), "{json}");
            assert_eq!(serde_json::from_str::<Action>(&json).unwrap(), action);
            let last = type_last(&json);
            assert!(!last.starts_with(r#"{"type""#), "{last}");
            assert_eq!(
                serde_json::from_str::<Action>(&last).unwrap(),
                action,
                "{last}"
            );
        }
    }

    #[test]
    fn defaults_apply_on_both_roads() {
        for json in [
            r#"{"type":"say","text":"Да"}"#,
            r#"{"text":"Да","type":"say"}"#,
        ] {
            assert_eq!(
                serde_json::from_str::<Action>(json).unwrap(),
                Action::say("Да")
            );
        }
        for json in [r#"{"type":"hangup"}"#, r#"{"type":"hangup","extra":1}"#] {
            assert_eq!(
                serde_json::from_str::<Action>(json).unwrap(),
                Action::Hangup {
                    reason: String::new()
                }
            );
        }
    }

    #[test]
    fn bad_actions_are_refused_on_both_roads() {
        let refused = [
            (r#"{"type":"explode"}"#, "explode"),
            (r#"{"x":1,"type":"explode"}"#, "explode"),
            (r#"{}"#, "type"),
            (r#"{"text":"Да"}"#, "type"),
            (r#"{"type":"say"}"#, "text"),
            (r#"{"timeout_ms":5,"type":"say"}"#, "timeout_ms"),
            (r#"{"type":"say","text":"Да","loud":true}"#, "loud"),
            (r#"{"type":"listen","timeout_ms":"soon"}"#, "soon"),
            (r#"{"type":7}"#, "7"),
            (r#"["say"]"#, "object"),
            (r#"["listen",5000]"#, "object"),
            // A repeated key, on both roads and at any depth.
            (
                r#"{"type":"hangup","type":"say"}"#,
                "duplicate field `type`",
            ),
            (
                r#"{"type":"say","text":"a","type":"say"}"#,
                "duplicate field `type`",
            ),
            (
                r#"{"reason":"x","type":"say","type":"hangup"}"#,
                "duplicate field `type`",
            ),
            (
                r#"{"type":"say","text":"a","text":"b"}"#,
                "duplicate field `text`",
            ),
            (
                r#"{"text":"a","text":"b","type":"say"}"#,
                "duplicate field `text`",
            ),
            (
                r#"{"score":1,"score":2,"type":"qualification"}"#,
                "duplicate field `score`",
            ),
            (
                r#"{"slots":{"b":{"value":1,"confidence":0.1,"confidence":0.2}},"type":"qualification"}"#,
                "duplicate field `confidence`",
            ),
            (r#""say""#, "object"),
        ];
        for (json, mentions) in refused {
            let err = serde_json::from_str::<Action>(json)
                .expect_err(json)
                .to_string();
            assert!(err.contains(mentions), "{json}: {err}");
        }
    }
}
