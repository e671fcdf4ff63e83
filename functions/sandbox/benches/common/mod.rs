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
                "/../../target/wasm32-unknown-unknown/wasm/sales_qualification.wasm"
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
pub fn input(state: serde_json::Value) -> StepInput {
    let state = sva_abi::State::from(state);
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
pub fn mid_call_state(
    sandbox: &sva_sandbox::Sandbox,
    scenario: &sva_sandbox::Scenario,
) -> serde_json::Value {
    let mut state = serde_json::Value::Null;
    let opening = [
        Event::CallStarted,
        Event::Utterance {
            text: "здравствуйте нам нужна система учета для склада".into(),
            confidence: 0.9,
        },
        Event::Utterance {
            text: "меня зовут ольга петровна".into(),
            confidence: 0.9,
        },
    ];
    for event in opening {
        let mut step = input(state.clone());
        step.event = event;
        match sandbox.step(scenario, &step) {
            Ok(out) => state = out.state.to_value(),
            Err(_) => break,
        }
    }
    let size = serde_json::to_string(&state).map_or(0, |s| s.len());
    if size < 2000 {
        if let serde_json::Value::Object(map) = &mut state {
            map.insert(
                "bench_padding".into(),
                serde_json::Value::String("я".repeat((2000 - size) / 2)),
            );
        } else if state.is_null() {
            state = serde_json::json!({ "bench_padding": "x".repeat(2000) });
        }
    }
    state
}
