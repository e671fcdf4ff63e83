//! Validation of a module's output against the ABI: the host never trusts guest bytes.

use crate::{Action, Directive, Limits, StepOutput};

/// Why a module's output was refused.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum OutputError {
    /// The output is larger than [`Limits::max_output_bytes`].
    #[error("output is {len} bytes, more than the {max}-byte limit")]
    TooLarge {
        /// Actual size.
        len: usize,
        /// The limit.
        max: usize,
    },
    /// The bytes are not UTF-8.
    #[error("output is not valid UTF-8: {0}")]
    NotUtf8(String),
    /// The document is not JSON of the output's shape.
    #[error("output is not a valid step output: {0}")]
    Malformed(String),
    /// The state is larger than [`Limits::max_state_bytes`].
    #[error("state is {len} bytes, more than the {max}-byte limit")]
    StateTooLarge {
        /// Actual size.
        len: usize,
        /// The limit.
        max: usize,
    },
    /// The action list breaks a rule of the ABI.
    #[error("action {index}: {reason}")]
    BadAction {
        /// Position in the list.
        index: usize,
        /// What is wrong.
        reason: String,
    },
    /// The list does not end in exactly one directive, or in one or two requests of
    /// different kinds (`retrieve`, `llm`) the host answers together.
    #[error(
        "the actions must end with exactly one listen, transfer, hangup, retrieve or llm, \
         or with one retrieve and one llm"
    )]
    NoDirective,
}

impl OutputError {
    fn action(index: usize, reason: impl Into<String>) -> Self {
        OutputError::BadAction {
            index,
            reason: reason.into(),
        }
    }
}

/// Parses and checks the bytes a module returned from `sva_step`.
pub fn validate_output(bytes: &[u8], limits: &Limits) -> Result<StepOutput, OutputError> {
    if bytes.len() > limits.max_output_bytes {
        return Err(OutputError::TooLarge {
            len: bytes.len(),
            max: limits.max_output_bytes,
        });
    }
    // Outputs are mostly Cyrillic, where the standard check goes byte by byte; the SIMD
    // one takes a tenth of the time. Only a refusal asks std where the bad byte is.
    let text = simdutf8::basic::from_utf8(bytes).map_err(|_| {
        let e = std::str::from_utf8(bytes).err();
        OutputError::NotUtf8(e.map_or_else(|| "invalid UTF-8".into(), |e| e.to_string()))
    })?;
    let output: StepOutput =
        serde_json::from_str(text).map_err(|e| OutputError::Malformed(e.to_string()))?;
    let state_len = output.state.as_json().len();
    if state_len > limits.max_state_bytes {
        return Err(OutputError::StateTooLarge {
            len: state_len,
            max: limits.max_state_bytes,
        });
    }
    check_actions(&output.actions, limits)?;
    Ok(output)
}

fn check_actions(actions: &[Action], limits: &Limits) -> Result<(), OutputError> {
    if actions.len() > limits.max_actions {
        return Err(OutputError::action(
            limits.max_actions,
            format!("more than {} actions", limits.max_actions),
        ));
    }
    let directives: Vec<usize> = actions
        .iter()
        .enumerate()
        .filter(|(_, a)| a.directive().is_some())
        .map(|(i, _)| i)
        .collect();
    if !ends_in_directives(actions, &directives) {
        return Err(OutputError::NoDirective);
    }
    for (i, action) in actions.iter().enumerate() {
        check_action(i, action, limits)?;
    }
    Ok(())
}

/// The directives (by index) close the list: one terminal directive, or one or two
/// requests of different kinds, last.
fn ends_in_directives(actions: &[Action], directives: &[usize]) -> bool {
    let kinds: Vec<Directive> = directives
        .iter()
        .filter_map(|&i| actions[i].directive())
        .collect();
    let last = match directives.last() {
        Some(&last) => last,
        None => return false,
    };
    if last + 1 != actions.len() || directives[0] + directives.len() != actions.len() {
        return false;
    }
    match kinds.as_slice() {
        [_] => true,
        [a, b] => a.is_request() && b.is_request() && a != b,
        _ => false,
    }
}

fn check_action(i: usize, action: &Action, limits: &Limits) -> Result<(), OutputError> {
    match action {
        Action::Say(say) => {
            let chars = say.text.chars().count();
            if say.text.trim().is_empty() {
                return Err(OutputError::action(i, "say has empty text"));
            }
            if chars > limits.max_say_chars {
                return Err(OutputError::action(
                    i,
                    format!(
                        "say text is {chars} characters, more than {}",
                        limits.max_say_chars
                    ),
                ));
            }
        }
        Action::Listen { timeout_ms } => {
            if !(500..=60_000).contains(timeout_ms) {
                return Err(OutputError::action(
                    i,
                    "listen timeout_ms must be within 500..=60000",
                ));
            }
        }
        Action::Transfer(t) => {
            if !crate::phone::is_e164(&t.to) {
                return Err(OutputError::action(
                    i,
                    format!("transfer target {:?} is not an E.164 number", t.to),
                ));
            }
            if t.summary.chars().count() > limits.max_say_chars {
                return Err(OutputError::action(i, "transfer summary is too long"));
            }
        }
        Action::Hangup { .. } | Action::Log { .. } => {}
        Action::Llm(request) => {
            request
                .check()
                .map_err(|reason| OutputError::action(i, reason))?;
        }
        Action::Retrieve(r) => {
            if r.query.trim().is_empty() || r.query.chars().count() > 500 {
                return Err(OutputError::action(
                    i,
                    "retrieve query must have 1..=500 characters",
                ));
            }
            if !(1..=10).contains(&r.top_k) {
                return Err(OutputError::action(
                    i,
                    "retrieve top_k must be within 1..=10",
                ));
            }
        }
        Action::Qualification(q) => {
            if q.score > 100 {
                return Err(OutputError::action(i, "qualification score exceeds 100"));
            }
            if let Some((name, _)) = q
                .slots
                .iter()
                .find(|(_, s)| !(0.0..=1.0).contains(&s.confidence))
            {
                return Err(OutputError::action(
                    i,
                    format!("slot {name:?} has a confidence outside 0..=1"),
                ));
            }
        }
        Action::ScheduleCallback { at, .. } => {
            if !looks_like_rfc3339(at) {
                return Err(OutputError::action(
                    i,
                    format!("callback time {at:?} is not RFC 3339"),
                ));
            }
        }
    }
    Ok(())
}

/// `YYYY-MM-DDTHH:MM[:SS][.frac](Z|±HH:MM)`, checked by shape.
fn looks_like_rfc3339(s: &str) -> bool {
    let b = s.as_bytes();
    let digits =
        |r: std::ops::Range<usize>| b.get(r).is_some_and(|x| x.iter().all(u8::is_ascii_digit));
    b.len() >= 17
        && digits(0..4)
        && b[4] == b'-'
        && digits(5..7)
        && b[7] == b'-'
        && digits(8..10)
        && (b[10] == b'T' || b[10] == b't')
        && digits(11..13)
        && b[13] == b':'
        && digits(14..16)
        && (s.ends_with('Z') || s.ends_with('z') || {
            let tail = &b[b.len() - 6..];
            (tail[0] == b'+' || tail[0] == b'-') && tail[3] == b':'
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(json: &str) -> Result<StepOutput, OutputError> {
        validate_output(json.as_bytes(), &Limits::default())
    }

    #[test]
    fn a_say_then_listen_passes() {
        let out = check(r#"{"state":{"n":1},"actions":[{"type":"say","text":"Здравствуйте!"},{"type":"listen","timeout_ms":5000}]}"#)
            .expect("valid");
        assert_eq!(out.actions.len(), 2);
    }

    #[test]
    fn the_directive_must_be_last_and_alone() {
        assert_eq!(
            check(r#"{"state":null,"actions":[]}"#),
            Err(OutputError::NoDirective)
        );
        assert_eq!(
            check(
                r#"{"state":null,"actions":[{"type":"listen","timeout_ms":5000},{"type":"say","text":"a"}]}"#
            ),
            Err(OutputError::NoDirective)
        );
        assert_eq!(
            check(r#"{"state":null,"actions":[{"type":"hangup"},{"type":"hangup"}]}"#),
            Err(OutputError::NoDirective)
        );
    }

    #[test]
    fn a_retrieve_and_an_llm_request_may_end_a_list_together() {
        let llm = r#"{"type":"llm","id":"q1","task":"phrase","text":"Ответ","facts":["f"]}"#;
        let retrieve = r#"{"type":"retrieve","id":"r1","query":"доставка","top_k":3}"#;
        let listen = r#"{"type":"listen","timeout_ms":5000}"#;
        let list = |items: &[&str]| format!(r#"{{"state":null,"actions":[{}]}}"#, items.join(","));
        assert!(check(&list(&[llm])).is_ok(), "{:?}", check(&list(&[llm])));
        assert!(
            check(&list(&[retrieve, llm])).is_ok(),
            "{:?}",
            check(&list(&[retrieve, llm]))
        );
        assert!(
            check(&list(&[llm, retrieve])).is_ok(),
            "{:?}",
            check(&list(&[llm, retrieve]))
        );
        for refused in [
            list(&[llm, llm]),
            list(&[retrieve, retrieve]),
            list(&[llm, listen]),
            list(&[listen, llm]),
            list(&[llm, r#"{"type":"say","text":"a"}"#, retrieve]),
            list(&[llm, retrieve, llm]),
        ] {
            assert_eq!(check(&refused), Err(OutputError::NoDirective), "{refused}");
        }
    }

    #[test]
    fn an_llm_request_out_of_bounds_is_refused() {
        let out = r#"{"state":null,"actions":[{"type":"llm","id":"q1","task":"phrase","text":"x","facts":[],"max_ms":50}]}"#;
        assert!(
            matches!(check(out), Err(OutputError::BadAction { .. })),
            "{:?}",
            check(out)
        );
    }

    #[test]
    fn garbage_is_refused_with_a_reason() {
        assert!(matches!(
            validate_output(&[0xff, 0xfe], &Limits::default()),
            Err(OutputError::NotUtf8(_))
        ));
        assert!(matches!(check("{"), Err(OutputError::Malformed(_))));
        assert!(matches!(
            check(r#"{"state":null,"actions":[{"type":"explode"}]}"#),
            Err(OutputError::Malformed(_))
        ));
        let huge = format!(r#"{{"state":"{}","actions":[]}}"#, "a".repeat(70_000));
        assert!(matches!(check(&huge), Err(OutputError::TooLarge { .. })));
    }

    #[test]
    fn field_rules_are_enforced() {
        let bad = [
            r#"{"state":null,"actions":[{"type":"say","text":"  "},{"type":"hangup"}]}"#,
            r#"{"state":null,"actions":[{"type":"listen","timeout_ms":1}]}"#,
            r#"{"state":null,"actions":[{"type":"transfer","to":"89161234567"}]}"#,
            r#"{"state":null,"actions":[{"type":"retrieve","id":"1","query":"","top_k":3}]}"#,
            r#"{"state":null,"actions":[{"type":"retrieve","id":"1","query":"цена","top_k":99}]}"#,
            r#"{"state":null,"actions":[{"type":"schedule_callback","at":"завтра"},{"type":"hangup"}]}"#,
            r#"{"state":null,"actions":[{"type":"qualification","score":101},{"type":"hangup"}]}"#,
        ];
        for json in bad {
            assert!(
                matches!(check(json), Err(OutputError::BadAction { .. })),
                "{json} must be refused"
            );
        }
        let long = format!(
            r#"{{"state":null,"actions":[{{"type":"say","text":"{}"}},{{"type":"hangup"}}]}}"#,
            "я".repeat(1501)
        );
        assert!(matches!(check(&long), Err(OutputError::BadAction { .. })));
    }

    #[test]
    fn state_size_is_capped() {
        let json = format!(
            r#"{{"state":"{}","actions":[{{"type":"hangup"}}]}}"#,
            "a".repeat(40_000)
        );
        assert!(matches!(
            check(&json),
            Err(OutputError::StateTooLarge { .. })
        ));
    }

    #[test]
    fn rfc3339_shapes() {
        assert!(looks_like_rfc3339("2026-11-25T15:00:00+03:00"));
        assert!(looks_like_rfc3339("2026-11-25T15:00:00Z"));
        assert!(!looks_like_rfc3339("2026-11-25 15:00"));
        assert!(crate::phone::is_e164("+79161234567"));
        assert!(!crate::phone::is_e164("+7916123456a"));
    }
}
