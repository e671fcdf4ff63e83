//! Running a script against a scenario.

use crate::expect::{directive_name, spoken};
use crate::{Failure, Report, Script, TranscriptLine};
use sva_abi::{Action, Qualification};
use sva_turn::{Stepper, TurnOptions, run_turn_now};

/// Runs `script` against `stepper` with the default turn options.
pub fn run(script: &Script, stepper: &(impl Stepper + Sync + ?Sized)) -> Report {
    run_with(script, stepper, &TurnOptions::default())
}

/// Runs `script` against `stepper`, turn by turn, through the same loop real calls use.
///
/// The state each turn returns goes into the next; the latest `qualification` action
/// is the record that slot, outcome and score expectations are checked against. If a
/// turn ends the call (transfer or hangup) before the script does, that is a failure.
pub fn run_with(
    script: &Script,
    stepper: &(impl Stepper + Sync + ?Sized),
    options: &TurnOptions,
) -> Report {
    let mut state = sva_abi::State::null();
    let mut record = Qualification::default();
    let mut transcript = Vec::new();
    let mut failures = Vec::new();
    let mut last = None;
    for (index, spec) in script.turns.iter().enumerate() {
        let failed_transfer = matches!(spec.event, sva_abi::Event::TransferFailed { .. });
        if let Some(ended) = last.as_ref().filter(|t: &&sva_turn::Turn| {
            let d = directive_name(t);
            d != "listen" && !(d == "transfer" && failed_transfer)
        }) {
            failures.push(Failure {
                turn: Some(index - 1),
                problem: format!(
                    "the call ended with {} but the script goes on ({})",
                    directive_name(ended),
                    spec.label
                ),
            });
            break;
        }
        let mut context = script.context.clone();
        context.turn = index as u32;
        // A script's knowledge and model are canned: the turn never waits.
        let language: &dyn sva_turn::Language = match &script.model {
            Some(model) => model,
            None => &sva_turn::NoLanguage,
        };
        let Some(turn) = run_turn_now(
            stepper,
            &script.knowledge,
            language,
            options,
            &state,
            spec.event.clone(),
            &context,
        ) else {
            failures.push(Failure {
                turn: Some(index),
                problem: "the turn waited for its knowledge base, which a script answers at once"
                    .to_owned(),
            });
            break;
        };
        if let Some(q) = turn.actions.iter().rev().find_map(|a| match a {
            Action::Qualification(q) => Some(q.clone()),
            _ => None,
        }) {
            record = q;
        }
        transcript.push(TranscriptLine {
            turn: index,
            caller: spec.label.clone(),
            assistant: spoken(&turn),
            directive: directive_name(&turn).to_owned(),
        });
        failures.extend(
            spec.expect
                .check(Some(&turn), &record)
                .into_iter()
                .map(|problem| Failure {
                    turn: Some(index),
                    problem,
                }),
        );
        state = turn.state.clone();
        last = Some(turn);
    }
    failures.extend(
        script
            .end
            .check(None, &record)
            .into_iter()
            .map(|problem| Failure {
                turn: None,
                problem,
            }),
    );
    if let (Some(expected), Some(turn)) = (&script.end.directive, &last)
        && directive_name(turn) != expected
    {
        failures.push(Failure {
            turn: None,
            problem: format!(
                "the call should end with {expected}, ends with {}",
                directive_name(turn)
            ),
        });
    }
    Report {
        name: script.name.clone(),
        path: script.path.clone(),
        transcript,
        failures,
        qualification: record,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;
    use sva_abi::{Event, Outcome, Slot, StepInput, StepOutput};

    /// A tiny scenario: greets, then records any utterance as the need and says goodbye
    /// on "пока".
    fn echo(input: &StepInput) -> Result<StepOutput, String> {
        let mut q = Qualification::default();
        let actions = match &input.event {
            Event::CallStarted => vec![
                Action::say("Здравствуйте, это автоматический помощник."),
                listen(),
            ],
            Event::Utterance { text, .. } if text == "пока" => {
                q.outcome = Outcome::NotInterested;
                vec![
                    Action::Qualification(q),
                    Action::say("До свидания!"),
                    Action::Hangup {
                        reason: "bye".into(),
                    },
                ]
            }
            Event::Utterance { text, .. } => {
                q.slots.insert(
                    "need".into(),
                    Slot {
                        value: json!(text),
                        confidence: 0.9,
                        utterance: text.clone(),
                    },
                );
                q.score = 15;
                vec![
                    Action::Qualification(q),
                    Action::say(format!("Понял: {text}. Какой бюджет?")),
                    listen(),
                ]
            }
            _ => return Err("unexpected event".into()),
        };
        Ok(StepOutput {
            state: json!({}).into(),
            actions,
        })
    }

    fn listen() -> Action {
        Action::Listen { timeout_ms: 5000 }
    }

    fn script(yaml: &str) -> Script {
        Script::parse(yaml, None).unwrap()
    }

    #[test]
    fn a_matching_script_passes() {
        let s = script(
            "name: ok\nturns:\n  - start: true\n    expect: {say: автоматический, directive: listen}\n  - caller: нужен склад\n    expect: {say: [бюджет], slots: {need: склад}, score_at_least: 10}\n  - caller: пока\n    expect: {directive: hangup, outcome: not_interested}\n",
        );
        let report = run(&s, &echo);
        assert!(report.passed(), "{report}");
        assert_eq!(report.transcript.len(), 3);
        assert!(report.to_string().starts_with("✓ ok"));
    }

    #[test]
    fn unmet_expectations_are_listed_with_the_turn() {
        let s = script(
            "name: bad\nturns:\n  - caller: нужен склад\n    expect: {say: срок, slots: {need: офис, budget: 100}, directive: hangup}\nend: {outcome: qualified}\n",
        );
        let report = run(&s, &echo);
        let text = report.to_string();
        assert_eq!(report.failures.len(), 5, "{text}");
        assert!(text.contains("turn 1 — caller: «нужен склад»"), "{text}");
        assert!(text.contains("should say «срок»"), "{text}");
        assert!(
            text.contains("slot `budget`: expected 100, got absent"),
            "{text}"
        );
        assert!(text.contains("at the end of the call"), "{text}");
        assert!(
            text.contains("outcome should be qualified, is in_progress"),
            "{text}"
        );
    }

    #[test]
    fn the_hangup_reason_is_checked() {
        let right = script("name: r\nturns:\n  - caller: пока\n    expect: {hangup: bye}\n");
        assert!(run(&right, &echo).passed());
        let wrong = script("name: r\nturns:\n  - caller: пока\n    expect: {hangup: voicemail}\n");
        let text = run(&wrong, &echo).to_string();
        assert!(
            text.contains("should hang up with reason voicemail, hangs up with bye"),
            "{text}"
        );
        let listening =
            script("name: r\nturns:\n  - caller: нужен склад\n    expect: {hangup: bye}\n");
        let text = run(&listening, &echo).to_string();
        assert!(
            text.contains("should hang up with reason bye, ends with listen"),
            "{text}"
        );
    }

    #[test]
    fn talking_after_the_hangup_is_a_failure() {
        let s = script("name: late\nturns:\n  - caller: пока\n  - caller: алло\n");
        let report = run(&s, &echo);
        assert!(!report.passed());
        assert!(report.failures[0].problem.contains("ended with hangup"));
    }

    #[test]
    fn a_failed_step_fails_the_script_unless_expected() {
        let s = script("name: f\nturns:\n  - silence: true\n");
        let report = run(&s, &echo);
        assert!(
            report.failures[0].problem.contains("the scenario failed"),
            "{report}"
        );
        let s = script(
            "name: f\nturns:\n  - silence: true\n    expect: {fallback: true, say: заминка}\n",
        );
        assert!(run(&s, &echo).passed());
    }
}
