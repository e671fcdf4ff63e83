//! Criterion benchmarks of the sandbox: a full fresh-instance step with a ~2 KB state,
//! instantiation alone, and the cold load of a precompiled module.
//! Figures and how to reproduce them: docs/performance.md.

mod common;

use criterion::{Criterion, criterion_group, criterion_main};
use std::hint::black_box;
use sva_sandbox::{ModuleKey, Sandbox, SandboxConfig};

fn benches(c: &mut Criterion) {
    let (name, wasm) = common::module();
    eprintln!("benchmarking {name} ({} KiB)", wasm.len() / 1024);
    let sandbox = Sandbox::new(SandboxConfig::default()).expect("engine");
    let key = ModuleKey::for_module("bench", &wasm);
    let scenario = sandbox
        .load_bytes(key.clone(), &wasm)
        .expect("module loads");
    let input = common::input(common::mid_call_state(&sandbox, &scenario));
    let json = serde_json::to_string(&input).expect("json");
    eprintln!("input document: {} bytes", json.len());

    c.bench_function("step (fresh instance, ~2 KB state)", |b| {
        b.iter(|| black_box(sandbox.step_raw(&scenario, black_box(&json)).expect("step")))
    });
    c.bench_function("instantiate + drop", |b| {
        b.iter(|| {
            sandbox
                .instantiate_only(black_box(&scenario))
                .expect("instance")
        })
    });

    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("module.wasm");
    std::fs::write(&path, &wasm).expect("write");
    sandbox.load_file(key.clone(), &path).expect("artifact");
    c.bench_function("cold load of a precompiled module", |b| {
        b.iter_batched(
            || Sandbox::new(SandboxConfig::default()).expect("engine"),
            |cold| black_box(cold.load_file(key.clone(), &path).expect("load")),
            criterion::BatchSize::PerIteration,
        )
    });
}

criterion_group!(sandbox_benches, benches);
criterion_main!(sandbox_benches);
