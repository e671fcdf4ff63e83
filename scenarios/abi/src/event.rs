//! Events: what happened on the call since the previous step.

use crate::LlmResult;
use crate::tagged::{NoFields, Tagged, TaggedVisitor};
use serde::{Deserialize, Deserializer, Serialize};

/// One event, tagged by `type` on the wire.
///
/// Read tag first, as an [`crate::Action`] is: every step of a module reads one. A field
/// the variant does not have is refused, except beside a variant without fields (as
/// serde's derived form does).
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Event {
    /// The call was answered (inbound) or picked up (outbound); the first step of a call.
    CallStarted,
    /// The caller finished a phrase; `text` is the recogniser's final result.
    Utterance {
        /// Recognised text as the ASR wrote it (lowercase, little punctuation).
        text: String,
        /// Recogniser confidence, normalised to 0..=1.
        #[serde(default = "full_confidence")]
        confidence: f32,
    },
    /// The caller spoke over the assistant, which stopped talking.
    BargeIn {
        /// What the caller said.
        text: String,
        /// Recogniser confidence, normalised to 0..=1.
        #[serde(default = "full_confidence")]
        confidence: f32,
        /// The part of the assistant's phrase the caller had heard before interrupting.
        #[serde(default)]
        heard: String,
    },
    /// The listen timeout expired with no speech.
    NoInput,
    /// The caller pressed keys.
    Dtmf {
        /// The digits, `0-9`, `*`, `#`.
        digits: String,
    },
    /// A transfer to a human did not connect.
    TransferFailed {
        /// Why, as the telephony reported it (busy, no answer, …).
        #[serde(default)]
        reason: String,
    },
    /// The host's answer to a [`crate::Action::Retrieve`] request.
    RetrieveResult {
        /// The `id` of the request being answered.
        id: String,
        /// Best first; empty when the knowledge base had nothing good.
        hits: Vec<Hit>,
    },
    /// The host's answer to a [`crate::Action::Llm`] request (and to a `retrieve` asked
    /// in the same step, inside it).
    LlmResult(LlmResult),
}

fn full_confidence() -> f32 {
    1.0
}

impl<'de> Deserialize<'de> for Event {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_map(TaggedVisitor::new())
    }
}

/// The `type` tags, as on the wire.
#[derive(Deserialize)]
#[serde(variant_identifier, rename_all = "snake_case")]
pub(crate) enum Kind {
    CallStarted,
    Utterance,
    BargeIn,
    NoInput,
    Dtmf,
    TransferFailed,
    RetrieveResult,
    LlmResult,
}

/// The fields of the variants, with their defaults.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct UtteranceBody {
    text: String,
    #[serde(default = "full_confidence")]
    confidence: f32,
}
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct BargeInBody {
    text: String,
    #[serde(default = "full_confidence")]
    confidence: f32,
    #[serde(default)]
    heard: String,
}
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct DtmfBody {
    digits: String,
}
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct TransferFailedBody {
    #[serde(default)]
    reason: String,
}
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RetrieveResultBody {
    id: String,
    hits: Vec<Hit>,
}

impl Tagged for Event {
    type Kind = Kind;
    const EXPECTING: &'static str = "an event: an object with a `type`";

    fn of_kind<'de, D: Deserializer<'de>>(kind: Kind, body: D) -> Result<Event, D::Error> {
        Ok(match kind {
            Kind::CallStarted => {
                NoFields::deserialize(body)?;
                Event::CallStarted
            }
            Kind::Utterance => {
                let UtteranceBody { text, confidence } = UtteranceBody::deserialize(body)?;
                Event::Utterance { text, confidence }
            }
            Kind::BargeIn => {
                let BargeInBody {
                    text,
                    confidence,
                    heard,
                } = BargeInBody::deserialize(body)?;
                Event::BargeIn {
                    text,
                    confidence,
                    heard,
                }
            }
            Kind::NoInput => {
                NoFields::deserialize(body)?;
                Event::NoInput
            }
            Kind::Dtmf => Event::Dtmf {
                digits: DtmfBody::deserialize(body)?.digits,
            },
            Kind::TransferFailed => Event::TransferFailed {
                reason: TransferFailedBody::deserialize(body)?.reason,
            },
            Kind::RetrieveResult => {
                let RetrieveResultBody { id, hits } = RetrieveResultBody::deserialize(body)?;
                Event::RetrieveResult { id, hits }
            }
            Kind::LlmResult => Event::LlmResult(LlmResult::deserialize(body)?),
        })
    }
}

/// One passage from the tenant's knowledge base.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Hit {
    /// The passage text.
    pub text: String,
    /// Relevance, higher is better; comparable only within one result list.
    pub score: f32,
    /// Where the passage comes from.
    pub source: HitSource,
}

/// The document and heading a [`Hit`] was taken from.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HitSource {
    /// Source document name, e.g. `prices.csv`.
    pub document: String,
    /// The heading path inside the document, e.g. `Доставка / По Москве`.
    #[serde(default)]
    pub heading: String,
}

impl Event {
    /// The event's `type` on the wire (`call_started`, `utterance`, …).
    pub fn kind(&self) -> &'static str {
        match self {
            Event::CallStarted => "call_started",
            Event::Utterance { .. } => "utterance",
            Event::BargeIn { .. } => "barge_in",
            Event::NoInput => "no_input",
            Event::Dtmf { .. } => "dtmf",
            Event::TransferFailed { .. } => "transfer_failed",
            Event::RetrieveResult { .. } => "retrieve_result",
            Event::LlmResult(_) => "llm_result",
        }
    }

    /// The caller's words carried by this event, if any (utterance or barge-in).
    pub fn text(&self) -> Option<&str> {
        match self {
            Event::Utterance { text, .. } | Event::BargeIn { text, .. } => Some(text),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// serde's derived reader, which the tag-first one replaced: the reference for what
    /// is accepted and what it reads as.
    #[derive(Debug, Deserialize)]
    #[serde(tag = "type", rename_all = "snake_case", deny_unknown_fields)]
    enum Derived {
        CallStarted,
        Utterance {
            text: String,
            #[serde(default = "full_confidence")]
            confidence: f32,
        },
        BargeIn {
            text: String,
            #[serde(default = "full_confidence")]
            confidence: f32,
            #[serde(default)]
            heard: String,
        },
        NoInput,
        Dtmf {
            digits: String,
        },
        TransferFailed {
            #[serde(default)]
            reason: String,
        },
        RetrieveResult {
            id: String,
            hits: Vec<Hit>,
        },
        LlmResult(LlmResult),
    }

    impl From<Derived> for Event {
        fn from(derived: Derived) -> Event {
            match derived {
                Derived::CallStarted => Event::CallStarted,
                Derived::Utterance { text, confidence } => Event::Utterance { text, confidence },
                Derived::BargeIn {
                    text,
                    confidence,
                    heard,
                } => Event::BargeIn {
                    text,
                    confidence,
                    heard,
                },
                Derived::NoInput => Event::NoInput,
                Derived::Dtmf { digits } => Event::Dtmf { digits },
                Derived::TransferFailed { reason } => Event::TransferFailed { reason },
                Derived::RetrieveResult { id, hits } => Event::RetrieveResult { id, hits },
                Derived::LlmResult(result) => Event::LlmResult(result),
            }
        }
    }

    fn every_event() -> Vec<Event> {
        vec![
            Event::CallStarted,
            Event::Utterance {
                text: "да".into(),
                confidence: 0.9,
            },
            Event::BargeIn {
                text: "стоп".into(),
                confidence: 0.9,
                heard: "Здравствуйте".into(),
            },
            Event::NoInput,
            Event::Dtmf { digits: "1".into() },
            Event::TransferFailed {
                reason: "busy".into(),
            },
            Event::RetrieveResult {
                id: "q".into(),
                hits: vec![Hit {
                    text: "Доставка по Москве — 1 день".into(),
                    score: 0.8,
                    source: HitSource {
                        document: "delivery.md".into(),
                        heading: "Доставка".into(),
                    },
                }],
            },
            Event::LlmResult(LlmResult {
                text: Some("Доставка по Москве занимает один день.".into()),
                ..LlmResult::failed("p1", crate::LlmStatus::Ok)
            }),
            Event::LlmResult(LlmResult::failed("p2", crate::LlmStatus::Timeout)),
        ]
    }

    /// The same object with `type` moved from first to last.
    fn type_last(json: &str) -> String {
        let body = &json[1..json.len() - 1];
        match body.split_once(",\"") {
            Some((tag, rest)) => format!("{{\"{rest},{tag}}}"),
            None => json.to_owned(),
        }
    }

    #[test]
    fn every_event_reads_back_whether_the_tag_comes_first_or_last() {
        for event in every_event() {
            let json = serde_json::to_string(&event).unwrap();
            assert!(json.starts_with(r#"{"type":""#), "{json}");
            assert_eq!(serde_json::from_str::<Event>(&json).unwrap(), event);
            let last = type_last(&json);
            assert_eq!(
                serde_json::from_str::<Event>(&last).unwrap(),
                event,
                "{last}"
            );
        }
    }

    #[test]
    fn the_tag_first_reader_accepts_what_the_derived_one_accepted() {
        let mut documents: Vec<String> = Vec::new();
        for event in every_event() {
            let json = serde_json::to_string(&event).unwrap();
            documents.push(type_last(&json));
            // An unknown field, first and last.
            documents.push(json.replacen('{', r#"{"extra":1,"#, 1));
            documents.push(format!(r#"{},"extra":1}}"#, &json[..json.len() - 1]));
            documents.push(json);
        }
        documents.extend(
            [
                r#"{"type":"utterance","text":"да"}"#,
                r#"{"text":"да","type":"utterance"}"#,
                r#"{"type":"barge_in","text":"стоп"}"#,
                r#"{"type":"transfer_failed"}"#,
                r#"{"type":"utterance"}"#,
                r#"{"type":"utterance","confidence":0.5}"#,
                r#"{"type":"utterance","text":5}"#,
                r#"{"type":"utterance","text":"a","text":"b"}"#,
                r#"{"text":"a","text":"b","type":"utterance"}"#,
                r#"{"type":"utterance","type":"utterance","text":"b"}"#,
                r#"{"type":"no_input","type":"no_input"}"#,
                r#"{"type":"retrieve_result","id":"q"}"#,
                r#"{"type":"retrieve_result","id":"q","hits":[{"text":"a","score":1}]}"#,
                r#"{"type":"explode"}"#,
                r#"{"type":7}"#,
                r#"{"text":"да"}"#,
                r#"{}"#,
                r#""no_input""#,
                r#"null"#,
            ]
            .map(String::from),
        );
        for json in &documents {
            let derived = serde_json::from_str::<Derived>(json);
            let read = serde_json::from_str::<Event>(json);
            assert_eq!(
                read.is_ok(),
                derived.is_ok(),
                "{json}: {read:?} / {derived:?}"
            );
            if let (Ok(read), Ok(derived)) = (read, derived) {
                assert_eq!(read, Event::from(derived), "{json}");
            }
        }
    }

    #[test]
    fn an_event_is_an_object_with_each_key_once() {
        let refused = [
            // serde's derived reader also took the array form; the ABI does not have it.
            (r#"["no_input"]"#, "object"),
            (r#"["utterance","да",0.9]"#, "object"),
            // A repeated key is refused on the buffered road even beside a variant
            // without fields (the derived reader let it through there).
            (
                r#"{"x":1,"x":2,"type":"call_started"}"#,
                "duplicate field `x`",
            ),
            (r#"{"type":"explode"}"#, "explode"),
        ];
        for (json, mentions) in refused {
            let err = serde_json::from_str::<Event>(json)
                .expect_err(json)
                .to_string();
            assert!(err.contains(mentions), "{json}: {err}");
        }
    }

    #[test]
    fn kind_is_the_wire_tag() {
        for event in every_event() {
            let wire = serde_json::to_value(&event).unwrap();
            assert_eq!(wire["type"], event.kind(), "{event:?}");
        }
    }
}
