//! Step latency distribution: times 10,000 fresh-instance steps one by one and prints
//! p50, p99 and the maximum (criterion reports means and medians, not tails).
//! Run with `cargo bench -p sva-sandbox --bench step_latency`.
//!
//! `SVA_BENCH_CALL=long` steps a later turn of a longer call (four slots filled, the
//! scenario's own state unpadded) instead of the budget turn with a 2 KB state.
//!
//! `SVA_BENCH_BASELINE=other.wasm` also steps another build of the scenario, alternating
//! step by step with the first, so both meet the same machine: on a shared machine whose
//! speed moves by half from minute to minute, separate runs cannot show a 10 % change.
//!
//! `SVA_BENCH_DUMP=file` writes the input document the (first) module steps;
//! `SVA_BENCH_INPUT=file` steps a given document instead of building one through the
//! module, for both modules and whatever `SVA_BENCH_CALL` says (to hold the input fixed
//! while comparing builds that write their state differently, or builds cut short after
//! one phase of a step; see docs/performance.md). Relative paths start from
//! `functions/sandbox`, where cargo runs benchmarks.

mod common;

use std::sync::Arc;
use std::time::Instant;
use sva_sandbox::{ModuleKey, Sandbox, SandboxConfig, Scenario};

/// One module under measurement.
struct Subject {
    name: String,
    scenario: Arc<Scenario>,
    input: String,
    samples: Vec<u128>,
}

fn main() {
    if std::env::args().any(|a| a == "--list") {
        return;
    }
    // `SVA_PERFMAP=1 perf record …` names the guest's functions in the profile.
    let sandbox = Sandbox::new(SandboxConfig {
        perf_map: std::env::var_os("SVA_PERFMAP").is_some(),
        ..SandboxConfig::default()
    })
    .expect("engine");
    let mut subjects = vec![subject(&sandbox, common::module())];
    if let Some(path) = std::env::var_os("SVA_BENCH_DUMP") {
        std::fs::write(path, &subjects[0].input).expect("writing the input document");
    }
    if let Some(path) = std::env::var_os("SVA_BENCH_BASELINE") {
        let wasm = std::fs::read(&path).expect("the baseline module");
        let name = format!("{} (baseline)", path.to_string_lossy());
        subjects.push(subject(&sandbox, (name, wasm)));
    }
    for subject in &subjects {
        for _ in 0..1_000 {
            sandbox
                .step_raw(&subject.scenario, &subject.input)
                .expect("warm-up step");
        }
    }
    let faults_before = minor_faults();
    // More steps for a profiler to sample (`SVA_BENCH_STEPS=200000 perf record …`).
    let steps = std::env::var("SVA_BENCH_STEPS")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(10_000usize);
    for _ in 0..steps {
        for subject in &mut subjects {
            let started = Instant::now();
            sandbox
                .step_raw(&subject.scenario, &subject.input)
                .expect("step");
            subject.samples.push(started.elapsed().as_nanos());
        }
    }
    let faults = minor_faults().saturating_sub(faults_before);
    for subject in &mut subjects {
        report(&sandbox, subject);
    }
    println!(
        "minor page faults: {:.1} per step",
        faults as f64 / (steps * subjects.len()).max(1) as f64
    );
}

fn subject(sandbox: &Sandbox, (name, wasm): (String, Vec<u8>)) -> Subject {
    let scenario = sandbox
        .load_bytes(ModuleKey::for_module("bench", &wasm), &wasm)
        .expect("module loads");
    let input = match std::env::var_os("SVA_BENCH_INPUT") {
        Some(path) => std::fs::read_to_string(path).expect("the input document"),
        None => {
            let input = if std::env::var("SVA_BENCH_CALL").as_deref() == Ok("long") {
                common::long_call_input(sandbox, &scenario)
            } else {
                common::input(common::mid_call_state(sandbox, &scenario))
            };
            serde_json::to_string(&input).expect("json")
        }
    };
    Subject {
        name,
        input,
        scenario,
        samples: Vec::new(),
    }
}

fn report(sandbox: &Sandbox, subject: &mut Subject) {
    let samples = &mut subject.samples;
    samples.sort_unstable();
    let at =
        |q: f64| samples[((samples.len() as f64 * q) as usize).min(samples.len() - 1)] as f64 / 1e3;
    let (_, fuel) = sandbox
        .step_metered(&subject.scenario, &subject.input)
        .expect("step");
    println!("module: {}", subject.name);
    println!("fuel per step: {fuel} wasm instructions");
    println!("input: {} bytes", subject.input.len());
    println!(
        "step (fresh instance): p50 {:.1} µs, p99 {:.1} µs, max {:.1} µs over {} steps",
        at(0.50),
        at(0.99),
        at(1.0),
        samples.len()
    );
}

/// The process's minor page faults so far (Linux `/proc/self/stat`, field 10; 0 elsewhere).
fn minor_faults() -> u64 {
    std::fs::read_to_string("/proc/self/stat")
        .ok()
        .and_then(|stat| {
            // The command name (field 2) may contain spaces: count from its closing ')'.
            let rest = &stat[stat.rfind(')')? + 2..];
            rest.split(' ').nth(7)?.parse().ok()
        })
        .unwrap_or(0)
}
