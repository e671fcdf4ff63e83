//! The well-behaved path: loading, stepping, the manifest, validation, the cache and
//! precompiled artifacts.

mod common;

use common::{default_scenario_wasm, input, load, minimal_wasm, sandbox, sandbox_with};
use sva_abi::{Action, Event, Limits};
use sva_sandbox::{ModuleKey, Sandbox, SandboxConfig};

#[test]
fn the_minimal_module_steps_and_describes_itself() {
    let sandbox = sandbox();
    let scenario = load(&sandbox, "t", &minimal_wasm()).unwrap();
    let out = sandbox.step(&scenario, &input("t", 2000)).unwrap();
    assert_eq!(out.state, serde_json::json!({"greeted": true}));
    assert!(matches!(&out.actions[0], Action::Say(s) if s.text.starts_with("Здравствуйте")));
    let manifest = sandbox.manifest(&scenario).unwrap().expect("a manifest");
    assert_eq!((manifest.name.as_str(), manifest.abi), ("minimal", 1));
}

#[test]
fn the_capabilities_a_manifest_declares_are_read_at_load() {
    let sandbox = sandbox();
    assert!(
        load(&sandbox, "t", &minimal_wasm())
            .unwrap()
            .capabilities()
            .is_empty()
    );
    // The minimal module with `"capabilities":["llm"],` added to its manifest (escaped
    // in the WAT's string; the manifest's length grows by the unescaped bytes).
    let added = r#""capabilities":["llm"],"#;
    let wat = include_str!("../../../scenarios/abi/minimal.wat")
        .replace(
            r#"\"slots\":[],"#,
            &format!(r#"\"slots\":[],{}"#, added.replace('"', r#"\""#)),
        )
        .replace(
            "(i64.const 136)",
            &format!("(i64.const {})", 136 + added.len()),
        );
    let wasm = wat::parse_str(&wat).unwrap();
    let scenario = load(&sandbox, "t", &wasm).unwrap();
    assert_eq!(scenario.capabilities(), ["llm"]);
}

#[test]
fn validation_reports_the_dry_run() {
    let sandbox = sandbox();
    let wasm = minimal_wasm();
    let report = sandbox.validate_module(&wasm).unwrap();
    assert_eq!(report.version, ModuleKey::for_module("x", &wasm).version);
    assert_eq!(report.dry_run.actions.len(), 2);
    assert!(report.fuel > 0);
    let text = report.to_string();
    assert!(text.contains("manifest minimal 1.0.0"), "{text}");
    assert!(
        text.contains("«Здравствуйте! Это минимальный сценарий.»"),
        "{text}"
    );
    assert_eq!(
        sandbox.cached_modules(),
        0,
        "validation does not fill the cache"
    );
}

#[test]
fn the_cache_is_keyed_by_tenant_and_bounded() {
    let sandbox = Sandbox::new(SandboxConfig {
        cache_capacity: 2,
        ..SandboxConfig::default()
    })
    .unwrap();
    let wasm = minimal_wasm();
    let a = load(&sandbox, "a", &wasm).unwrap();
    let b = load(&sandbox, "b", &wasm).unwrap();
    assert_eq!(a.key().version, b.key().version);
    assert_ne!(
        a.key(),
        b.key(),
        "the same bytes are two entries for two tenants"
    );
    assert!(std::sync::Arc::ptr_eq(
        &a,
        &load(&sandbox, "a", &wasm).unwrap()
    ));
    load(&sandbox, "c", &wasm).unwrap();
    assert_eq!(sandbox.cached_modules(), 2);
    assert!(
        sandbox.cached(&ModuleKey::for_module("b", &wasm)).is_none(),
        "b was least recently used"
    );
    assert!(sandbox.cached(&ModuleKey::for_module("a", &wasm)).is_some());
}

#[test]
fn artifacts_are_written_once_and_mapped_afterwards() {
    let dir = tempfile::tempdir().unwrap();
    let wasm = minimal_wasm();
    let path = dir.path().join("module.wasm");
    std::fs::write(&path, &wasm).unwrap();
    let key = ModuleKey::for_module("t", &wasm);

    let first = sandbox();
    let artifact = first.artifact_path(&key, &path);
    assert!(
        artifact
            .to_string_lossy()
            .contains(first.compatibility_hash())
    );
    assert!(!artifact.exists());
    let scenario = first.load_file(key.clone(), &path).unwrap();
    assert!(artifact.exists());
    assert!(first.step(&scenario, &input("t", 10)).is_ok());
    let written = std::fs::metadata(&artifact).unwrap().modified().unwrap();

    // A second process (a cold start) maps the same artifact instead of compiling.
    let second = sandbox();
    let scenario = second.load_file(key.clone(), &path).unwrap();
    assert!(second.step(&scenario, &input("t", 10)).is_ok());
    assert_eq!(
        std::fs::metadata(&artifact).unwrap().modified().unwrap(),
        written
    );
    let leftovers: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .filter_map(|e| e.ok())
        .filter(|e| e.file_name().to_string_lossy().contains(".tmp-"))
        .collect();
    assert!(leftovers.is_empty(), "no temporary files are left behind");

    // Another module version gets its own artifact.
    let other = ModuleKey {
        version: "0".repeat(64),
        ..key
    };
    assert_ne!(second.artifact_path(&other, &path), artifact);
}

/// The SDK's heap never reuses memory within a step (an instance lives for one step), so
/// the default scenario must still fit in a small memory, within its fuel, on an input
/// near the size limit: a minute of monologue in one utterance, and tenant texts filling
/// most of the rest. 4 MiB is the memory the module starts with (its `build.rs`) and an
/// eighth of the default ceiling.
#[test]
fn the_default_scenario_takes_an_input_near_the_size_limit_in_4_mib() {
    let sandbox = sandbox_with(Limits {
        max_memory_bytes: 4 << 20,
        ..Limits::default()
    });
    let scenario = load(&sandbox, "t", &default_scenario_wasm()).unwrap();
    let started = sandbox.step(&scenario, &input("t", 0)).expect("greeting");
    let phrase = "бюджет где-то полтора миллиона рублей позвоните завтра в три ";
    let mut step = input("t", 0);
    step.state = started.state;
    step.event = Event::Utterance {
        text: phrase.repeat((4 << 10) / phrase.len()),
        confidence: 0.9,
    };
    for i in 0..200 {
        let text = "Спасибо за звонок, перезвоним. ".repeat(20);
        step.context.tenant.texts.insert(format!("note_{i}"), text);
    }
    let json = serde_json::to_string(&step).unwrap();
    assert!(json.len() > 200 << 10 && json.len() < sandbox.limits().max_input_bytes);
    let (output, fuel) = sandbox
        .step_metered(&scenario, &json)
        .unwrap_or_else(|e| panic!("{}: {e}", e.code()));
    assert!(
        output
            .actions
            .last()
            .is_some_and(|a| a.directive().is_some())
    );
    let limit = sandbox.limits().fuel_per_step;
    assert!(fuel < limit / 2, "{fuel} of {limit} fuel");
}

#[test]
fn a_traced_step_reads_the_path_the_module_reports() {
    let sandbox = sandbox();
    // The default scenario exports `sva_trace`: a call starts at its greeting.
    let scenario = load(&sandbox, "t", &default_scenario_wasm()).unwrap();
    assert!(scenario.has_trace());
    let (output, trace) = sandbox.step_traced(&scenario, &input("t", 0)).unwrap();
    assert!(output.actions.iter().any(|a| matches!(a, Action::Say(_))));
    assert_eq!(trace.expect("a trace").path, ["greet"]);
    let manifest = sandbox.manifest(&scenario).unwrap().expect("a manifest");
    let graph = manifest.graph.expect("the SDK describes the graph");
    assert_eq!(graph.start, "greet");
    assert!(graph.nodes.iter().any(|n| n == "transfer"));
    // A module without the export steps as before, with no trace.
    let minimal = load(&sandbox, "t", &minimal_wasm()).unwrap();
    assert!(!minimal.has_trace());
    let (_, trace) = sandbox.step_traced(&minimal, &input("t", 0)).unwrap();
    assert_eq!(trace, None);
}
