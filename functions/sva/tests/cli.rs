//! The `sva` binary as a user runs it: exit codes, what it prints, what it refuses.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// Runs `sva` with `args`, feeding `stdin`, from the workspace root.
fn sva(args: &[&str], stdin: &str) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_sva"))
        .args(args)
        .current_dir(workspace())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("sva starts");
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(stdin.as_bytes())
        .expect("stdin written");
    child.wait_with_output().expect("sva finishes")
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// A WAT file compiled into a temporary .wasm file.
fn module(dir: &tempfile::TempDir, wat_path: &str) -> String {
    let wasm = wat::parse_file(workspace().join(wat_path)).expect("wat parses");
    let path = dir.path().join("module.wasm");
    std::fs::write(&path, wasm).expect("module written");
    path.to_string_lossy().into_owned()
}

/// The default scenario, which `make test` builds before the tests run.
fn default_scenario() -> String {
    let path = workspace().join(sva_local::DEFAULT_SCENARIO);
    assert!(
        path.exists(),
        "{} is missing: run `make test` (it builds the scenario modules first)",
        path.display()
    );
    path.to_string_lossy().into_owned()
}

#[test]
fn validate_accepts_a_conforming_module_and_shows_the_dry_run() {
    let dir = tempfile::tempdir().unwrap();
    let out = sva(
        &[
            "scenario",
            "validate",
            &module(&dir, "scenarios/abi/minimal.wat"),
        ],
        "",
    );
    let stdout = text(&out.stdout);
    assert!(out.status.success(), "{stdout}{}", text(&out.stderr));
    assert!(stdout.contains("conforms to scenario ABI v1"), "{stdout}");
    assert!(
        stdout.contains("«Здравствуйте! Это минимальный сценарий.»"),
        "{stdout}"
    );
}

#[test]
fn validate_refuses_a_hostile_module_with_its_code() {
    let dir = tempfile::tempdir().unwrap();
    let path = module(&dir, "functions/sandbox/tests/hostile/wasi_import.wat");
    let out = sva(&["scenario", "validate", &path], "");
    let stdout = text(&out.stdout);
    assert!(!out.status.success());
    assert!(stdout.contains("[forbidden_import]"), "{stdout}");
    assert!(
        stdout.contains("wasi_snapshot_preview1.fd_write"),
        "{stdout}"
    );
}

#[test]
fn a_missing_module_is_a_clear_error() {
    let out = sva(&["scenario", "validate", "no/such/module.wasm"], "");
    assert!(!out.status.success());
    let stderr = text(&out.stderr);
    assert!(
        stderr.contains("cannot read the module no/such/module.wasm"),
        "{stderr}"
    );
}

#[test]
fn a_failing_script_shows_what_differed_and_exits_non_zero() {
    let dir = tempfile::tempdir().unwrap();
    let wasm = module(&dir, "scenarios/abi/minimal.wat");
    let script = dir.path().join("bad.yaml");
    std::fs::write(
        &script,
        "name: Ожидание не сбылось\nturns:\n  - start: true\n    expect: {say: бюджет, directive: listen}\n",
    )
    .unwrap();
    let out = sva(
        &[
            "scenario",
            "test",
            &script.to_string_lossy(),
            "--module",
            &wasm,
        ],
        "",
    );
    let stdout = text(&out.stdout);
    assert!(!out.status.success());
    assert!(stdout.contains("✗ Ожидание не сбылось"), "{stdout}");
    assert!(stdout.contains("should say «бюджет»"), "{stdout}");
    assert!(
        stdout.contains("should end with listen, ends with hangup"),
        "{stdout}"
    );
    assert!(
        stdout.trim_end().ends_with("0 passed, 1 failed"),
        "{stdout}"
    );
}

#[test]
fn run_holds_a_conversation_on_stdin() {
    let dir = tempfile::tempdir().unwrap();
    let wasm = module(&dir, "scenarios/abi/minimal.wat");
    let out = sva(
        &[
            "scenario",
            "run",
            &wasm,
            "--now",
            "2026-11-25T12:00:00+03:00",
        ],
        "",
    );
    let stdout = text(&out.stdout);
    assert!(out.status.success(), "{stdout}{}", text(&out.stderr));
    assert!(
        stdout.contains("Ассистент: Здравствуйте! Это минимальный сценарий."),
        "{stdout}"
    );
    assert!(stdout.contains("звонок завершён (completed)"), "{stdout}");
}

#[test]
fn the_default_scenario_passes_its_dialogs_through_the_sandbox() {
    let wasm = default_scenario();
    let out = sva(
        &[
            "scenario",
            "test",
            "scenarios/sales-qualification/dialogs",
            "--module",
            &wasm,
        ],
        "",
    );
    let stdout = text(&out.stdout);
    assert!(out.status.success(), "{stdout}{}", text(&out.stderr));
    let summary = stdout.lines().last().unwrap_or_default();
    let passed: usize = summary
        .split(' ')
        .next()
        .and_then(|n| n.parse().ok())
        .unwrap_or(0);
    assert!(passed >= 25, "{summary}");
    assert!(summary.ends_with(" passed, 0 failed"), "{summary}");
}

#[test]
fn the_default_scenario_validates() {
    let out = sva(&["scenario", "validate", &default_scenario()], "");
    let stdout = text(&out.stdout);
    assert!(out.status.success(), "{stdout}{}", text(&out.stderr));
    assert!(stdout.contains("manifest sales-qualification"), "{stdout}");
}

#[test]
fn nlu_extract_prints_one_object_per_line() {
    let out = sva(
        &["nlu", "extract", "--now", "2026-03-02T12:00:00+03:00"],
        "думаю около шестисот тысяч\nдавайте в среду в четыре\n\u{fffd}\n",
    );
    let stdout = text(&out.stdout);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let lines: Vec<serde_json::Value> = stdout
        .lines()
        .map(|l| serde_json::from_str(l).expect("each line is JSON"))
        .collect();
    assert_eq!(lines.len(), 3);
    assert_eq!(lines[0]["money"][0]["amount"], 600000);
    assert_eq!(lines[0]["money"][0]["currency"], "RUB");
    assert_eq!(lines[1]["dates"][0]["date"], "2026-03-04");
    assert_eq!(lines[1]["dates"][0]["time"], "16:00");
    let keys: Vec<&str> = lines[2]
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    assert_eq!(keys.len(), 10, "{keys:?}");
}

#[test]
fn nlu_extract_refuses_a_bad_now() {
    let out = sva(&["nlu", "extract", "--now", "вчера"], "");
    assert!(!out.status.success());
    assert!(text(&out.stderr).contains("--now"), "{}", text(&out.stderr));
}

/// `sva deploy voximplant` against the Voximplant Management API's stand-in: the first
/// run creates the application, scenario, rule and secrets; the second changes nothing;
/// no secret is ever printed.
#[test]
fn deploy_voximplant_creates_then_changes_nothing() {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let standin = runtime
        .block_on(sva_voximplant::standin::StandIn::start())
        .expect("the stand-in starts");
    let dir = tempfile::tempdir().unwrap();
    let key = dir.path().join("voximplant-key.json");
    std::fs::write(
        &key,
        sva_voximplant::standin::TestKey::primary().key_file_json(),
    )
    .unwrap();
    let deploy = || {
        Command::new(env!("CARGO_BIN_EXE_sva"))
            .args(["deploy", "voximplant"])
            .current_dir(workspace())
            .env("VOXIMPLANT_KEY", &key)
            .env("VOXIMPLANT_API_URL", standin.base_url())
            .env("SVA_TENANT", "acme")
            .env("SVA_FUNCTION_URL", "https://d5d.apigw.yandexcloud.net/")
            .env("SVA_SIGNING_SECRET", "signing-secret-never-printed")
            .env("SVA_CALLER_ID", "+74950000000")
            .env_remove("SVA_FALLBACK_NUMBER")
            .output()
            .expect("sva runs")
    };
    let first = deploy();
    assert!(first.status.success(), "{}", text(&first.stderr));
    let said = text(&first.stdout);
    assert!(said.contains("created"), "{said}");
    assert!(!said.contains("signing-secret-never-printed"), "{said}");
    let state = standin.state();
    let application = state
        .applications
        .iter()
        .find(|a| a.name.starts_with("sva-acme"))
        .expect("the application");
    let stored = state
        .secret(application.id, "SVA_SIGNING_SECRET")
        .expect("the signing secret");
    assert_eq!(stored.value.expose(), "signing-secret-never-printed");
    assert_eq!(
        state
            .secret(application.id, "SVA_FUNCTION_URL")
            .map(|s| s.value.expose().to_owned()),
        Some("https://d5d.apigw.yandexcloud.net".to_owned()),
        "stored without the trailing slash"
    );

    standin.clear_requests();
    let second = deploy();
    assert!(second.status.success(), "{}", text(&second.stderr));
    assert!(
        standin.requests().iter().all(|r| !r.is_write()),
        "a second run writes nothing: {:?}",
        standin.requests()
    );
    assert!(
        !text(&second.stdout).contains("created"),
        "{}",
        text(&second.stdout)
    );

    // A caller id that is not a number is refused before anything is sent.
    standin.clear_requests();
    let refused = Command::new(env!("CARGO_BIN_EXE_sva"))
        .args(["deploy", "voximplant", "--caller-id", "84950000000"])
        .current_dir(workspace())
        .env("VOXIMPLANT_KEY", &key)
        .env("VOXIMPLANT_API_URL", standin.base_url())
        .env("SVA_TENANT", "acme")
        .env("SVA_FUNCTION_URL", "https://d5d.apigw.yandexcloud.net")
        .env("SVA_SIGNING_SECRET", "x")
        .output()
        .unwrap();
    assert!(!refused.status.success());
    assert!(
        text(&refused.stderr).contains("E.164"),
        "{}",
        text(&refused.stderr)
    );
    assert!(standin.requests().is_empty());
}
