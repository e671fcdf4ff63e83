//! Every scripted dialog, run natively through the production turn loop (the same
//! scripts run through the wasm sandbox in `sva scenario test`, see functions/sva/tests),
//! and the coverage of the dialog graph they reach.

use sales_qualification::SalesQualification;
use sva_abi::{Limits, StepInput, StepOutput, StepTrace, validate_output};
use sva_script::{Recording, Script};
use sva_turn::{StepFailure, Stepper};

/// The scenario as a stepper: JSON in, JSON out, output validated against the ABI, the
/// step's path reported as the module's `sva_trace` export reports it.
struct Native;

impl Stepper for Native {
    fn step(&self, input: &StepInput) -> Result<StepOutput, StepFailure> {
        self.step_traced(input).map(|(output, _)| output)
    }

    fn step_traced(
        &self,
        input: &StepInput,
    ) -> Result<(StepOutput, Option<StepTrace>), StepFailure> {
        let bytes = serde_json::to_vec(input).map_err(|e| StepFailure::from(e.to_string()))?;
        let (output, trace) = sva_sdk::run_step_traced::<SalesQualification>(&bytes);
        let output = validate_output(&output, &Limits::default())
            .map_err(|e| StepFailure::new("bad_output", e.to_string()))?;
        Ok((output, Some(trace)))
    }
}

fn dialogs() -> Vec<Script> {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/dialogs");
    sva_script::load_path(std::path::Path::new(dir)).expect("dialogs load")
}

#[test]
fn every_dialog_passes_and_together_they_reach_every_node() {
    let scripts = dialogs();
    assert!(scripts.len() >= 75, "only {} dialogs", scripts.len());
    let graph = sva_sdk::graph_shape::<SalesQualification>();
    let recording = Recording::new(&Native, Some(graph));
    let failed: Vec<String> = scripts
        .iter()
        .map(|s| sva_script::run(s, &recording))
        .filter(|r| !r.passed())
        .map(|r| r.to_string())
        .collect();
    assert!(failed.is_empty(), "{}", failed.join("\n"));
    let coverage = recording.coverage();
    assert_eq!(coverage.percent(), Some(100.0), "{coverage}");
}

#[test]
fn no_question_is_put_in_the_same_words_twice_in_a_row() {
    // Across every dialog: two answers in a row never end with the same question, unless
    // the caller asked to hear it again.
    for script in dialogs() {
        let report = sva_script::run(&script, &Native);
        for pair in report.transcript.windows(2) {
            let asked_to_repeat = ["повтор", "не расслыш", "что вы сказали"]
                .iter()
                .any(|w| pair[1].caller.to_lowercase().contains(w));
            if let (Some(first), Some(second)) = (
                last_question(&pair[0].assistant),
                last_question(&pair[1].assistant),
            ) && !asked_to_repeat
            {
                assert_ne!(
                    first, second,
                    "{}: turn {} asks «{first}» again",
                    script.name, pair[1].turn
                );
            }
        }
    }
}

/// The last sentence of what was said, if it is a question.
fn last_question(said: &str) -> Option<&str> {
    let said = said.trim_end();
    let body = said.strip_suffix('?')?;
    let start = body.rfind(['.', '!', '?']).map_or(0, |i| i + 1);
    Some(said[start..].trim())
}

#[test]
fn state_stays_small() {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/dialogs/01-happy-inbound.yaml");
    let script = Script::load(std::path::Path::new(dir)).expect("script");
    let mut state = sva_abi::State::null();
    let mut largest = 0;
    for (i, turn) in script.turns.iter().enumerate() {
        let mut context = script.context.clone();
        context.turn = i as u32;
        let t = sva_turn::run_turn_now(
            &Native,
            &sva_turn::NoKnowledge,
            &sva_turn::NoLanguage,
            &Default::default(),
            &state,
            turn.event.clone(),
            &context,
        )
        .expect("no knowledge to wait for");
        state = t.state;
        largest = largest.max(state.as_json().len());
    }
    assert!(largest < 4096, "state grew to {largest} bytes");
}
