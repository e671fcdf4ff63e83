//! What the sandbox benchmarks step: the default scenario when it is built, else the
//! minimal module of the ABI spec.

use std::path::PathBuf;
use sva_abi::{Context, Event, StepInput};

/// The module to benchmark and a name for the report.
pub fn module() -> (String, Vec<u8>) {
    let path = std::env::var_os("SVA_BENCH_MODULE")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            PathBuf::from(concat!(
                env!("CARGO_MANIFEST_DIR"),
                "/../../target/scenarios/sales_qualification.wasm"
            ))
        });
    match std::fs::read(&path) {
        Ok(wasm) => (path.display().to_string(), wasm),
        Err(_) => {
            let wat = include_str!("../../../../scenarios/abi/minimal.wat");
            (
                "minimal.wat (build the scenarios for the real figure)".into(),
                wat::parse_str(wat).expect("minimal.wat"),
            )
        }
    }
}

/// A mid-call input: a caller utterance and a state of about 2 KB.
pub fn input(state: sva_abi::State) -> StepInput {
    let mut context = Context::default();
    context.tenant.id = "bench".into();
    context.tenant.company = "ТехноСклад".into();
    context.tenant.product = "системы автоматизации склада".into();
    context.tenant.manager_phone = Some("+74951234567".into());
    context.call.id = "bench-call".into();
    context.call.caller = Some("+79161234567".into());
    context.now = "2026-11-25T12:00:00+03:00".into();
    context.turn = 3;
    StepInput {
        abi: 1,
        state,
        event: Event::Utterance {
            text: "бюджет где-то полтора миллиона рублей".into(),
            confidence: 0.93,
        },
        context,
    }
}

/// Plays the first turns of a call so the benchmark steps a realistic mid-call state,
/// padded to about 2 KB when the scenario's own state is smaller.
///
/// The state stays the module's text, as the host keeps it: a trip through a
/// `serde_json::Value` would sort its keys and hand the module a document it never wrote.
pub fn mid_call_state(
    sandbox: &sva_sandbox::Sandbox,
    scenario: &sva_sandbox::Scenario,
) -> sva_abi::State {
    let state = played(
        sandbox,
        scenario,
        [
            Event::CallStarted,
            said("здравствуйте нам нужна система учета для склада"),
            said("меня зовут ольга петровна"),
        ],
    );
    let text = state.as_json();
    let padded = match text.strip_prefix('{') {
        Some(rest) if text.len() < 2000 => {
            let padding = "я".repeat((2000 - text.len()) / 2);
            let comma = if rest.trim_start().starts_with('}') {
                ""
            } else {
                ","
            };
            format!(r#"{{"bench_padding":"{padding}"{comma}{rest}"#)
        }
        Some(_) => return state,
        None => format!(r#"{{"bench_padding":"{}"}}"#, "x".repeat(2000)),
    };
    serde_json::from_str(&padded).expect("the padded state is JSON")
}

/// A later step of a longer call, without padding (`SVA_BENCH_CALL=long`): need, budget,
/// timeline and who decides are in the record, and the caller gives a name. The state is
/// the scenario's own, at its natural size.
// Each bench compiles this module on its own; only `step_latency` takes this step.
#[allow(dead_code)]
pub fn long_call_input(
    sandbox: &sva_sandbox::Sandbox,
    scenario: &sva_sandbox::Scenario,
) -> StepInput {
    let state = played(
        sandbox,
        scenario,
        [
            Event::CallStarted,
            said("здравствуйте нам нужна система учета для склада"),
            said("где-то полтора миллиона рублей"),
            said("хотим запустить в следующем месяце"),
            said("нет решает генеральный директор"),
        ],
    );
    let mut step = input(state);
    step.event = said("меня зовут ольга петровна");
    step.context.turn = 5;
    step
}

/// The caller saying `text`.
fn said(text: &str) -> Event {
    Event::Utterance {
        text: text.into(),
        confidence: 0.9,
    }
}

/// The state after `events`, stepped in turn from a call's start (as far as they go).
fn played(
    sandbox: &sva_sandbox::Sandbox,
    scenario: &sva_sandbox::Scenario,
    events: impl IntoIterator<Item = Event>,
) -> sva_abi::State {
    let mut state = sva_abi::State::null();
    for event in events {
        let mut step = input(state.clone());
        step.event = event;
        match sandbox.step(scenario, &step) {
            Ok(out) => state = out.state,
            Err(_) => break,
        }
    }
    state
}
