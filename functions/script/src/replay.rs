//! Replaying recorded calls against another scenario version: the caller's side of a
//! call record (`sva_wire::CallRecord`) is played turn by turn through the production
//! turn loop, and what the new version does is compared with what the recorded one did —
//! the first turn whose answer differs, and how the outcome, the score and the slots
//! change.
//!
//! The caller's side comes from the record's `events` (each turn's event and words),
//! or from VoxEngine's `transcript` when the oldest events were dropped. Knowledge
//! requests are answered from the record: the sources each lookup found, with a marker
//! instead of the passage (the record keeps where a passage came from, not its text), so
//! a turn that consulted the knowledge base is compared by its lookups and how it ended,
//! not by its words.

use crate::expect::directive_name;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::collections::BTreeSet;
use sva_abi::{Action, Context, Event, Hit, HitSource, Outcome, RetrieveRequest, TenantContext};
use sva_turn::{Knowledge, KnowledgeError, Retrieved, Stepper, TurnOptions, run_turn_now};
use sva_wire::CallRecord;
use sva_wire::record::TurnLog;

/// Why a record cannot be replayed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ReplayError {
    /// Neither events nor a transcript: nothing of the caller's side was kept.
    #[error("the record of call {0} keeps no turns to replay")]
    NoTurns(String),
}

impl ReplayError {
    /// The stable machine-readable code.
    pub fn code(&self) -> &'static str {
        match self {
            ReplayError::NoTurns(_) => "nothing_to_replay",
        }
    }
}

/// One turn of the caller's side, as recorded, with the answer the recorded version
/// gave.
#[derive(Debug, Clone, PartialEq)]
pub struct RecordedTurn {
    /// The turn's sequence number.
    pub seq: u32,
    /// Unix seconds when it was taken (0 when unknown).
    pub at: u64,
    /// What the caller did.
    pub event: Event,
    /// The recorded answer.
    pub answer: Answer,
    /// The knowledge lookups the recorded version made: the query and the sources.
    pub lookups: Vec<(String, Vec<HitSource>)>,
}

/// What the assistant answered in one turn.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Answer {
    /// The phrases said.
    pub said: Vec<String>,
    /// How the turn ended: `listen`, `transfer`, `hangup`.
    pub then: String,
    /// Where a transfer went.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub transfer_to: Option<String>,
}

/// The first turn a replay answered otherwise than the recording.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Difference {
    /// The turn's sequence number.
    pub seq: u32,
    /// What the caller did there.
    pub caller: String,
    /// What the recorded version answered.
    pub before: Answer,
    /// What the replayed version answered.
    pub after: Answer,
}

/// A slot whose value is not the same after the replay.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SlotChange {
    /// The slot.
    pub slot: String,
    /// Its recorded value (`None`: absent).
    pub before: Option<Value>,
    /// Its value after the replay (`None`: absent).
    pub after: Option<Value>,
}

/// One call replayed (as `sva scenario replay --json` and the admin API report it).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CallReplay {
    /// The tenant.
    pub tenant: String,
    /// The call id.
    pub call: String,
    /// The version the call ran on.
    pub recorded_version: String,
    /// Caller turns replayed (the call start included).
    pub turns: usize,
    /// Caller turns recorded.
    pub recorded_turns: usize,
    /// The first turn answered otherwise; `None`: every turn the same.
    pub first_difference: Option<Difference>,
    /// The outcome recorded and after the replay.
    pub outcome: (Outcome, Outcome),
    /// The score recorded and after the replay.
    pub score: (u8, u8),
    /// Slots whose values changed.
    pub slots: Vec<SlotChange>,
    /// Steps of the replayed version that failed into the fallback phrase, with the turn.
    pub failures: Vec<String>,
    /// What the replay could not reproduce exactly (a transcript without event types,
    /// DTMF digits not recorded…).
    pub notes: Vec<String>,
}

impl CallReplay {
    /// Whether the replayed version did anything differently.
    pub fn changed(&self) -> bool {
        self.first_difference.is_some()
            || self.outcome.0 != self.outcome.1
            || !self.slots.is_empty()
            || !self.failures.is_empty()
    }
}

/// The caller's side of `record`: its turns with what the recorded version answered,
/// and notes on what could not be read exactly.
pub fn recorded_turns(
    record: &CallRecord,
) -> Result<(Vec<RecordedTurn>, Vec<String>), ReplayError> {
    let mut notes = Vec::new();
    if !record.events.is_empty() && record.events_dropped == 0 {
        let turns = record
            .events
            .iter()
            .filter_map(|log| turn_of(log, &mut notes))
            .collect();
        return Ok((turns, notes));
    }
    if record.transcript.is_empty() {
        return Err(ReplayError::NoTurns(record.call.id.clone()));
    }
    notes.push(
        "replayed from the transcript: silences and keys are told apart from words only by \
         being empty"
            .to_owned(),
    );
    let started = record.started_at.as_deref().and_then(unix_of).unwrap_or(0);
    let turns = record
        .transcript
        .iter()
        .map(|entry| RecordedTurn {
            seq: entry.seq,
            at: started + entry.at_ms / 1000,
            event: match (entry.seq, entry.caller.trim()) {
                (0, _) => Event::CallStarted,
                (_, "") => Event::NoInput,
                (_, text) => Event::Utterance {
                    text: text.to_owned(),
                    confidence: 0.9,
                },
            },
            answer: Answer {
                said: entry.assistant.clone(),
                ..Answer::default()
            },
            lookups: Vec::new(),
        })
        .collect();
    Ok((turns, notes))
}

fn turn_of(log: &TurnLog, notes: &mut Vec<String>) -> Option<RecordedTurn> {
    let text = log.text.clone().unwrap_or_default();
    let event = match log.event.as_str() {
        "call_started" => Event::CallStarted,
        "utterance" => Event::Utterance {
            text,
            confidence: 0.9,
        },
        "barge_in" => Event::BargeIn {
            text,
            confidence: 0.9,
            heard: String::new(),
        },
        "no_input" => Event::NoInput,
        "dtmf" => {
            if log.digits.is_none() {
                notes.push(format!(
                    "turn {}: the keys pressed were not recorded",
                    log.seq
                ));
            }
            Event::Dtmf {
                digits: log.digits.clone().unwrap_or_default(),
            }
        }
        "transfer_failed" => Event::TransferFailed {
            reason: log.reason.clone().unwrap_or_else(|| "unknown".to_owned()),
        },
        other => {
            notes.push(format!("turn {}: event {other:?} is not replayed", log.seq));
            return None;
        }
    };
    Some(RecordedTurn {
        seq: log.seq,
        at: log.at,
        event,
        answer: Answer {
            said: log.said.clone(),
            then: log.then.clone(),
            transfer_to: log.transfer_to.clone(),
        },
        lookups: log
            .knowledge
            .iter()
            .map(|l| (l.query.clone(), l.sources.clone()))
            .collect(),
    })
}

/// Unix seconds of an RFC 3339 time, and its offset in minutes.
fn parse_rfc3339(time: &str) -> Option<(u64, i32)> {
    let b = time.as_bytes();
    if b.len() < 20 {
        return None;
    }
    let num = |r: std::ops::Range<usize>| time.get(r)?.parse::<i64>().ok();
    let days = sva_abi::clock::days_from_civil(
        num(0..4)?,
        u32::try_from(num(5..7)?).ok()?,
        u32::try_from(num(8..10)?).ok()?,
    );
    let local = days * 86_400 + num(11..13)? * 3600 + num(14..16)? * 60 + num(17..19)?;
    let zone = &time[time.len() - 6..];
    let offset = if time.ends_with('Z') || time.ends_with('z') {
        0
    } else {
        let sign = if zone.starts_with('-') { -1 } else { 1 };
        sign * (zone.get(1..3)?.parse::<i32>().ok()? * 60 + zone.get(4..6)?.parse::<i32>().ok()?)
    };
    let unix = local - i64::from(offset) * 60;
    Some((u64::try_from(unix).ok()?, offset))
}

fn unix_of(time: &str) -> Option<u64> {
    parse_rfc3339(time).map(|(unix, _)| unix)
}

/// The zone the call's clock was read in: the offset of its end (or start), else
/// `fallback`.
fn offset_of(record: &CallRecord, fallback: i32) -> i32 {
    [record.ended_at.as_deref(), record.started_at.as_deref()]
        .into_iter()
        .flatten()
        .find_map(parse_rfc3339)
        .map_or(fallback, |(_, offset)| offset)
}

/// Answers a replay's knowledge requests with the sources the recorded version found
/// for the same query in the same turn.
struct RecordedKnowledge<'r> {
    lookups: &'r [(String, Vec<HitSource>)],
}

#[async_trait::async_trait]
impl Knowledge for RecordedKnowledge<'_> {
    async fn retrieve(
        &self,
        _tenant: &str,
        request: &RetrieveRequest,
    ) -> Result<Retrieved, KnowledgeError> {
        let hits: Vec<Hit> = self
            .lookups
            .iter()
            .filter(|(query, _)| *query == request.query)
            .flat_map(|(_, sources)| sources)
            .map(|source| Hit {
                text: ["(из базы знаний: ", &source.document, ")"].concat(),
                score: 1.0,
                source: source.clone(),
            })
            .collect();
        Ok(hits.into())
    }
}

/// Replays `record` against `stepper` for a tenant whose scenario context is `tenant`
/// (its current settings), and compares.
pub fn replay(
    record: &CallRecord,
    tenant: &TenantContext,
    tenant_offset_minutes: i32,
    stepper: &(impl Stepper + Sync + ?Sized),
) -> Result<CallReplay, ReplayError> {
    let (turns, mut notes) = recorded_turns(record)?;
    let offset = offset_of(record, tenant_offset_minutes);
    let options = TurnOptions::default();
    let mut state = sva_abi::State::null();
    let mut qualification = sva_abi::Qualification::default();
    let mut first_difference = None;
    let mut failures = Vec::new();
    let mut replayed = 0;
    let mut ended: Option<String> = None;
    for turn in &turns {
        let failed_transfer = matches!(turn.event, Event::TransferFailed { .. });
        if let Some(how) = &ended
            && !(how == "transfer" && failed_transfer)
        {
            notes.push(format!(
                "the replayed version ended the call ({how}) before turn {}",
                turn.seq
            ));
            break;
        }
        let context = Context {
            tenant: tenant.clone(),
            call: record.call.clone(),
            now: sva_abi::clock::rfc3339(turn.at as i64, offset),
            turn: turn.seq,
            variant: record.variant.clone(),
            customer: record.customer.clone(),
            // The model's answers are not in the record: a replay runs without one.
            capabilities: Vec::new(),
        };
        let knowledge = RecordedKnowledge {
            lookups: &turn.lookups,
        };
        let Some(done) = run_turn_now(
            stepper,
            &knowledge,
            &sva_turn::NoLanguage,
            &options,
            &state,
            turn.event.clone(),
            &context,
        ) else {
            failures.push(format!("turn {}: the turn waited", turn.seq));
            break;
        };
        replayed += 1;
        if let Some(failure) = &done.failure {
            failures.push(format!("turn {}: {failure}", turn.seq));
        }
        if let Some(q) = done.actions.iter().rev().find_map(|a| match a {
            Action::Qualification(q) => Some(q.clone()),
            _ => None,
        }) {
            qualification = q;
        }
        let after = Answer {
            said: done
                .actions
                .iter()
                .filter_map(|a| match a {
                    Action::Say(s) => Some(s.text.clone()),
                    _ => None,
                })
                .collect(),
            then: directive_name(&done).to_owned(),
            transfer_to: transfer_of(&done.actions),
        };
        let queries: Vec<&str> = done
            .retrievals
            .iter()
            .map(|r| r.request.query.as_str())
            .collect();
        if first_difference.is_none() && differs(turn, &after, &queries) {
            first_difference = Some(Difference {
                seq: turn.seq,
                caller: caller_label(&turn.event),
                before: turn.answer.clone(),
                after,
            });
        }
        let directive = directive_name(&done);
        ended = (directive != "listen").then(|| directive.to_owned());
        state = done.state;
    }
    let before = &record.qualification;
    Ok(CallReplay {
        tenant: record.tenant.clone(),
        call: record.call.id.clone(),
        recorded_version: record.scenario_version.clone(),
        turns: replayed,
        recorded_turns: turns.len(),
        first_difference,
        outcome: (before.outcome, qualification.outcome),
        score: (before.score, qualification.score),
        slots: slot_changes(before, &qualification),
        failures,
        notes,
    })
}

/// Where the turn's transfer went, if it ended with one.
fn transfer_of(actions: &[Action]) -> Option<String> {
    actions.iter().find_map(|a| match a {
        Action::Transfer(t) => Some(t.to.clone()),
        _ => None,
    })
}

/// Whether the replayed answer differs from the recorded one: how the turn ended, where
/// a transfer went, and the words. A turn that consulted the knowledge base is compared
/// by its queries instead of its words (the passages' text is not recorded). The call's
/// first answer is compared without the recording notice the host says before it when
/// the tenant records calls.
fn differs(turn: &RecordedTurn, after: &Answer, queries: &[&str]) -> bool {
    let recorded = &turn.answer;
    if !recorded.then.is_empty() && recorded.then != after.then {
        return true;
    }
    if recorded.transfer_to.is_some() && recorded.transfer_to != after.transfer_to {
        return true;
    }
    if !turn.lookups.is_empty() {
        let before: Vec<&str> = turn.lookups.iter().map(|(q, _)| q.as_str()).collect();
        return before != queries;
    }
    let mut said: &[String] = &recorded.said;
    if turn.seq == 0 && said.len() == after.said.len() + 1 {
        said = &said[1..];
    }
    said != after.said.as_slice()
}

fn caller_label(event: &Event) -> String {
    match event {
        Event::CallStarted => "start".to_owned(),
        Event::Utterance { text, .. } => ["«", text, "»"].concat(),
        Event::BargeIn { text, .. } => ["«", text, "» (interrupting)"].concat(),
        Event::NoInput => "silence".to_owned(),
        Event::Dtmf { digits } => ["keys ", digits].concat(),
        Event::TransferFailed { reason } => ["transfer failed: ", reason].concat(),
        Event::RetrieveResult { .. } => "knowledge".to_owned(),
        Event::LlmResult(_) => "model".to_owned(),
    }
}

fn slot_changes(
    before: &sva_abi::Qualification,
    after: &sva_abi::Qualification,
) -> Vec<SlotChange> {
    let names: BTreeSet<&String> = before.slots.keys().chain(after.slots.keys()).collect();
    names
        .into_iter()
        .filter_map(|name| {
            let old = before.slots.get(name).map(|s| s.value.clone());
            let new = after.slots.get(name).map(|s| s.value.clone());
            (old != new).then(|| SlotChange {
                slot: name.clone(),
                before: old,
                after: new,
            })
        })
        .collect()
}

/// The call record the dialog function would write for `script` run against `stepper`
/// (as version `version`): each turn's event, words and answer, the knowledge lookups,
/// the last qualification, the callbacks and the CRM's profile. For tests and fixtures
/// of replays; the clock starts at the script's `now` and moves ten seconds a turn.
pub fn record(
    script: &crate::Script,
    version: &str,
    stepper: &(impl Stepper + Sync + ?Sized),
) -> CallRecord {
    let context = &script.context;
    let (start, offset) = parse_rfc3339(&context.now).unwrap_or((0, 180));
    let mut record = CallRecord {
        tenant: context.tenant.id.clone(),
        call: context.call.clone(),
        scenario_version: version.to_owned(),
        variant: context.variant.clone(),
        started_at: Some(context.now.clone()),
        customer: context.customer.clone(),
        ..CallRecord::default()
    };
    let mut state = sva_abi::State::null();
    for (seq, turn) in script.turns.iter().enumerate() {
        let seq = seq as u32;
        let at = start + 10 * u64::from(seq);
        let mut turn_context = context.clone();
        turn_context.turn = seq;
        turn_context.now = sva_abi::clock::rfc3339(at as i64, offset);
        let Some(done) = run_turn_now(
            stepper,
            &script.knowledge,
            &sva_turn::NoLanguage,
            &TurnOptions::default(),
            &state,
            turn.event.clone(),
            &turn_context,
        ) else {
            break;
        };
        let mut log = TurnLog {
            seq,
            at,
            event: turn.event.kind().to_owned(),
            text: turn.event.text().map(str::to_owned),
            then: directive_name(&done).to_owned(),
            transfer_to: transfer_of(&done.actions),
            steps: done.steps as u32,
            failure: done.failure.as_ref().map(|f| f.code.clone()),
            ..TurnLog::default()
        };
        match &turn.event {
            Event::Dtmf { digits } => log.digits = Some(digits.clone()),
            Event::TransferFailed { reason } => log.reason = Some(reason.clone()),
            _ => {}
        }
        for action in &done.actions {
            match action {
                Action::Say(say) => log.said.push(say.text.clone()),
                Action::Qualification(q) => record.qualification = q.clone(),
                Action::ScheduleCallback { at, note } => {
                    record.callbacks.push(sva_wire::record::Callback {
                        at: at.clone(),
                        note: note.clone(),
                    })
                }
                _ => {}
            }
        }
        log.knowledge = done
            .retrievals
            .iter()
            .map(|r| sva_wire::record::Lookup {
                query: r.request.query.clone(),
                sources: r.hits.iter().map(|h| h.source.clone()).collect(),
                error: r.error.clone(),
            })
            .collect();
        record.turns = seq;
        record.events.push(log);
        record.ended_at = Some(sva_abi::clock::rfc3339(at as i64 + 5, offset));
        let ended = directive_name(&done) != "listen";
        state = done.state;
        if ended {
            let next_is_failed_transfer = script
                .turns
                .get(seq as usize + 1)
                .is_some_and(|t| matches!(t.event, Event::TransferFailed { .. }));
            if !next_is_failed_transfer {
                break;
            }
        }
    }
    record.end_reason = record
        .events
        .last()
        .map_or_else(String::new, |e| e.then.clone());
    record
}

#[cfg(test)]
mod tests {
    use super::*;
    use sva_abi::{StepInput, StepOutput, Transfer};

    /// Greets, asks once, and transfers to `to` on the second utterance.
    fn transferring_to(to: &'static str) -> impl Fn(&StepInput) -> Result<StepOutput, String> {
        move |input: &StepInput| {
            let actions = match (&input.event, input.context.turn) {
                (Event::CallStarted, _) => {
                    vec![
                        Action::say("Здравствуйте!"),
                        Action::Listen { timeout_ms: 5000 },
                    ]
                }
                (Event::TransferFailed { .. }, _) => vec![
                    Action::say("Перезвоним."),
                    Action::Hangup {
                        reason: "callback".into(),
                    },
                ],
                (_, 1) => vec![
                    Action::say("Что нужно?"),
                    Action::Listen { timeout_ms: 5000 },
                ],
                _ => vec![
                    Action::say("Соединяю."),
                    Action::Transfer(Transfer {
                        to: to.into(),
                        summary: String::new(),
                    }),
                ],
            };
            Ok(StepOutput {
                state: serde_json::json!({}).into(),
                actions,
            })
        }
    }

    fn script() -> crate::Script {
        crate::Script::parse(
            "name: t\nturns:\n  - caller: алло\n  - caller: склад\n  - transfer_failed: busy\n",
            None,
        )
        .unwrap()
    }

    #[test]
    fn the_same_version_gives_no_difference() {
        let stepper = transferring_to("+74950000001");
        let recorded = record(&script(), "v1", &stepper);
        assert_eq!(
            recorded.events.len(),
            4,
            "start, two utterances, the failed transfer"
        );
        assert_eq!(
            recorded.events[2].transfer_to.as_deref(),
            Some("+74950000001")
        );
        let again = replay(&recorded, &crate::default_context().tenant, 180, &stepper).unwrap();
        assert_eq!(again.first_difference, None);
        assert!(!again.changed(), "{again:?}");
        assert_eq!(again.turns, 4);
    }

    #[test]
    fn a_transfer_elsewhere_is_the_first_difference() {
        let recorded = record(&script(), "v1", &transferring_to("+74950000001"));
        let tenant = crate::default_context().tenant;
        let again = replay(&recorded, &tenant, 180, &transferring_to("+74950000002")).unwrap();
        let difference = again
            .first_difference
            .clone()
            .expect("the transfer differs");
        assert_eq!(difference.seq, 2);
        assert_eq!(difference.caller, "«склад»");
        assert_eq!(
            difference.before.transfer_to.as_deref(),
            Some("+74950000001")
        );
        assert_eq!(
            difference.after.transfer_to.as_deref(),
            Some("+74950000002")
        );
        assert!(again.changed());
    }

    #[test]
    fn the_recording_notice_before_the_greeting_is_not_a_difference() {
        let stepper = transferring_to("+74950000001");
        let mut recorded = record(&script(), "v1", &stepper);
        recorded.events[0]
            .said
            .insert(0, "Звонок записывается.".into());
        let tenant = crate::default_context().tenant;
        assert_eq!(
            replay(&recorded, &tenant, 180, &stepper)
                .unwrap()
                .first_difference,
            None
        );
        // Another greeting is.
        recorded.events[0].said[1] = "Добрый день!".into();
        let again = replay(&recorded, &tenant, 180, &stepper).unwrap();
        assert_eq!(again.first_difference.map(|d| d.seq), Some(0));
    }

    #[test]
    fn a_record_with_only_a_transcript_is_replayed_from_it_with_a_note() {
        let stepper = transferring_to("+74950000001");
        let mut recorded = record(&script(), "v1", &stepper);
        recorded.transcript = recorded
            .events
            .iter()
            .map(|e| sva_wire::turn::TranscriptEntry {
                seq: e.seq,
                caller: e.text.clone().unwrap_or_default(),
                assistant: e.said.clone(),
                at_ms: 0,
                latency_ms: 0,
            })
            .collect();
        recorded.events.clear();
        let again = replay(&recorded, &crate::default_context().tenant, 180, &stepper).unwrap();
        assert!(again.notes[0].contains("transcript"), "{:?}", again.notes);
        // The words agree; the failed transfer reads as silence after the transfer, where
        // the replay stops.
        assert_eq!(again.first_difference, None);
        assert_eq!(again.turns, 3);
        assert!(
            again.notes[1].contains("before turn 3"),
            "{:?}",
            again.notes
        );
        recorded.transcript.clear();
        assert_eq!(
            replay(&recorded, &crate::default_context().tenant, 180, &stepper)
                .unwrap_err()
                .code(),
            "nothing_to_replay"
        );
    }

    #[test]
    fn rfc3339_times_and_their_offsets() {
        assert_eq!(
            parse_rfc3339("2026-11-25T12:00:00+03:00"),
            Some((1_795_597_200, 180))
        );
        assert_eq!(
            parse_rfc3339("2026-11-25T09:00:00Z"),
            Some((1_795_597_200, 0))
        );
        assert_eq!(
            parse_rfc3339("2026-11-25T04:00:00-05:00").map(|t| t.1),
            Some(-300)
        );
        assert_eq!(parse_rfc3339("вчера"), None);
    }
}
