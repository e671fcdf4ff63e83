//! What the SDK's tests share: one step of a scenario through the module glue (checked
//! as the host checks it), a caller's utterance, and what a step said.

// Each test binary uses part of it.
#![allow(dead_code)]

use sva_abi::{Action, Context, Event, StepInput, StepOutput};
use sva_sdk::{Scenario, run_step};

/// Steps `S` from `state` with `event`, the call granted `capabilities`; the output as
/// the host validates it.
pub fn step<S: Scenario>(
    state: &sva_abi::State,
    event: Event,
    capabilities: &[&str],
) -> StepOutput {
    let context = Context {
        now: "2026-11-25T12:00:00+03:00".into(),
        capabilities: capabilities.iter().map(|c| (*c).to_owned()).collect(),
        ..Context::default()
    };
    let input = StepInput {
        abi: 1,
        state: state.clone(),
        event,
        context,
    };
    let out = run_step::<S>(&serde_json::to_vec(&input).unwrap());
    sva_abi::validate_output(&out, &Default::default())
        .expect("the SDK always produces valid output")
}

/// A caller's utterance, recognised with full confidence.
pub fn utterance(text: &str) -> Event {
    Event::Utterance {
        text: text.into(),
        confidence: 1.0,
    }
}

/// The phrases a step said.
pub fn says(out: &StepOutput) -> Vec<String> {
    out.actions
        .iter()
        .filter_map(|a| match a {
            Action::Say(s) => Some(s.text.clone()),
            _ => None,
        })
        .collect()
}
