//! Every scripted dialog, run natively through the production turn loop (the same
//! scripts run through the wasm sandbox in `sva scenario test`, see functions/sva/tests).

use sales_qualification::SalesQualification;
use sva_abi::{Limits, StepInput, StepOutput, validate_output};

/// The scenario as a stepper: JSON in, JSON out, output validated against the ABI.
fn native(input: &StepInput) -> Result<StepOutput, String> {
    let bytes = serde_json::to_vec(input).map_err(|e| e.to_string())?;
    let output = sva_sdk::run_step::<SalesQualification>(&bytes);
    validate_output(&output, &Limits::default()).map_err(|e| e.to_string())
}

#[test]
fn every_dialog_passes() {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/dialogs");
    let scripts = sva_script::load_path(std::path::Path::new(dir)).expect("dialogs load");
    assert!(scripts.len() >= 25, "only {} dialogs", scripts.len());
    let failed: Vec<String> = scripts
        .iter()
        .map(|s| sva_script::run(s, &native))
        .filter(|r| !r.passed())
        .map(|r| r.to_string())
        .collect();
    assert!(failed.is_empty(), "{}", failed.join("\n"));
}

#[test]
fn state_stays_small() {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/dialogs/01-happy-inbound.yaml");
    let script = sva_script::Script::load(std::path::Path::new(dir)).expect("script");
    let mut state = sva_abi::State::null();
    let mut largest = 0;
    for (i, turn) in script.turns.iter().enumerate() {
        let mut context = script.context.clone();
        context.turn = i as u32;
        let t = sva_turn::run_turn_now(
            &native,
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
