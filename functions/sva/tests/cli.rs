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
            // `make test` holds the default scenario to every node of its graph.
            "--min-coverage",
            "100",
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
    assert!(passed >= 75, "{summary}");
    assert!(summary.ends_with(" passed, 0 failed"), "{summary}");
    let coverage = stdout
        .lines()
        .find(|l| l.starts_with("coverage: "))
        .unwrap_or_default();
    let (reached, total) = coverage
        .strip_prefix("coverage: ")
        .and_then(|rest| rest.split_once(" nodes"))
        .and_then(|(counts, _)| counts.split_once(" of "))
        .unwrap_or_default();
    assert_eq!(reached, total, "{coverage}");
    assert!(coverage.contains("(100.0 %)"), "{coverage}");
}

#[test]
fn coverage_under_the_threshold_fails_and_says_what_was_not_reached() {
    let out = sva(
        &[
            "scenario",
            "test",
            "scenarios/sales-qualification/dialogs/01-happy-inbound.yaml",
            "--module",
            &default_scenario(),
            "--min-coverage",
            "100",
        ],
        "",
    );
    let stdout = text(&out.stdout);
    assert!(!out.status.success(), "{stdout}");
    assert!(stdout.contains("  not reached: "), "{stdout}");
    assert!(
        stdout.contains("% of the graph's nodes, under the required 100 %"),
        "{stdout}"
    );
    assert!(
        stdout.trim_end().ends_with("1 passed, 0 failed"),
        "{stdout}"
    );
    // The same run without a threshold passes and only prints the figure.
    let out = sva(
        &[
            "scenario",
            "test",
            "scenarios/sales-qualification/dialogs/01-happy-inbound.yaml",
            "--module",
            &default_scenario(),
            "--coverage",
        ],
        "",
    );
    assert!(out.status.success(), "{}", text(&out.stdout));
    assert!(text(&out.stdout).contains("coverage: "));
}

#[test]
fn coverage_of_a_module_that_reports_no_path_cannot_meet_a_threshold() {
    let dir = tempfile::tempdir().unwrap();
    let wasm = module(&dir, "scenarios/abi/minimal.wat");
    let script = dir.path().join("ok.yaml");
    std::fs::write(&script, "name: Приветствие\nturns:\n  - start: true\n").unwrap();
    let args = [
        "scenario",
        "test",
        &script.to_string_lossy(),
        "--module",
        &wasm,
    ];
    let out = sva(&[&args[..], &["--min-coverage", "10"]].concat(), "");
    let stdout = text(&out.stdout);
    assert!(!out.status.success(), "{stdout}");
    assert!(stdout.contains("coverage cannot be measured"), "{stdout}");
    let out = sva(&[&args[..], &["--min-coverage", "120"]].concat(), "");
    assert!(!out.status.success());
    assert!(text(&out.stderr).contains("not a percentage from 0 to 100"));
}

/// Call records of the default scenario's dialogs, as the dialog function would have
/// written them after running them on `wasm`, under `calls/demo/{day}/` in `dir`.
fn recorded_calls(dir: &Path, wasm: &str, how_many: usize) {
    let bytes = std::fs::read(wasm).unwrap();
    let sandbox = sva_sandbox::Sandbox::new(sva_sandbox::SandboxConfig::default()).unwrap();
    let scenario =
        sva_turn::wasm::WasmScenario::load(sandbox.into(), "local", &bytes).expect("loads");
    let dialogs = workspace().join("scenarios/sales-qualification/dialogs");
    let scripts = sva_script::load_path(&dialogs).unwrap();
    // Replayed from a directory, a call runs with the demo tenant's settings (a record
    // does not keep the tenant's texts): scripts with their own tenant are left out.
    let demo = sva_script::default_context().tenant;
    let scripts = scripts.iter().filter(|s| s.context.tenant == demo);
    for (i, script) in scripts.take(how_many).enumerate() {
        let mut record = sva_script::record(script, "recorded", &scenario);
        record.call.id = format!("call-{i:02}");
        let path = dir.join(format!("calls/demo/2026-11-25/call-{i:02}.json"));
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, record.to_json().unwrap()).unwrap();
    }
}

#[test]
fn replay_against_the_same_module_changes_nothing_and_another_module_is_told_apart() {
    let records = tempfile::tempdir().unwrap();
    let wasm = default_scenario();
    recorded_calls(records.path(), &wasm, 12);
    let dir = records.path().to_string_lossy().into_owned();

    let out = sva(
        &[
            "scenario",
            "replay",
            "--records",
            &dir,
            "--module",
            &wasm,
            "--json",
            "--fail-on-change",
        ],
        "",
    );
    let stdout = text(&out.stdout);
    assert!(out.status.success(), "{stdout}{}", text(&out.stderr));
    let report: serde_json::Value = serde_json::from_str(&stdout).expect("JSON");
    assert_eq!(
        report["calls"].as_array().map(Vec::len),
        Some(12),
        "{stdout}"
    );
    assert_eq!(report["changed"], 0, "{stdout}");
    for call in report["calls"].as_array().unwrap() {
        assert_eq!(call["first_difference"], serde_json::Value::Null, "{call}");
        assert_eq!(call["slots"], serde_json::json!([]), "{call}");
    }

    // Another module: every call parts at the greeting, and the outcomes change.
    let other = tempfile::tempdir().unwrap();
    let minimal = module(&other, "scenarios/abi/minimal.wat");
    let out = sva(
        &[
            "scenario",
            "replay",
            "--records",
            &dir,
            "--module",
            &minimal,
        ],
        "",
    );
    let stdout = text(&out.stdout);
    assert!(out.status.success(), "{stdout}{}", text(&out.stderr));
    let header = stdout.lines().next().unwrap_or_default();
    assert!(header.contains("first difference"), "{stdout}");
    let first = stdout.lines().nth(1).unwrap_or_default();
    assert!(first.starts_with("call-00"), "{stdout}");
    assert!(first.contains("turn 0: start"), "{stdout}");
    assert!(
        stdout.contains("after:  «Здравствуйте! Это минимальный сценарий.» → hangup"),
        "{stdout}"
    );
    assert!(
        stdout
            .trim_end()
            .ends_with("12 calls replayed, 12 changed, 0 not replayed"),
        "{stdout}"
    );
    // For a release check: changes fail the command.
    let out = sva(
        &[
            "scenario",
            "replay",
            "--records",
            &dir,
            "--module",
            &minimal,
            "--fail-on-change",
        ],
        "",
    );
    assert!(!out.status.success());
    assert!(
        text(&out.stderr).contains("12 of 12 calls changed and 0 were not replayed"),
        "{}",
        text(&out.stderr)
    );

    // Not a directory of records: a clear error.
    let out = sva(
        &[
            "scenario",
            "replay",
            "--records",
            "no/such/dir",
            "--module",
            &wasm,
        ],
        "",
    );
    assert!(!out.status.success());
    assert!(text(&out.stderr).contains("no/such/dir is not a directory"));
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

/// Runs `sva` off the async workers (the local stack serves on them meanwhile).
async fn sva_blocking(args: Vec<String>) -> Output {
    tokio::task::spawn_blocking(move || {
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        sva(&args, "")
    })
    .await
    .expect("sva ran")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn try_replays_the_tenants_recorded_calls_through_the_admin_api() {
    let data = tempfile::tempdir().unwrap();
    let stack = sva_local::LocalStack::start(sva_local::LocalOptions {
        data_dir: data.path().to_owned(),
        listen: ([127, 0, 0, 1], 0).into(),
        scenario: PathBuf::from(default_scenario()),
        crm: sva_local::CrmOptions {
            sweep_every: None,
            ..sva_local::CrmOptions::default()
        },
        ..sva_local::LocalOptions::default()
    })
    .await
    .expect("the local stack starts");
    // The demo tenant's calls of 25 Nov 2026, on the default scenario.
    recorded_calls(data.path(), &default_scenario(), 3);
    let (url, key) = (stack.url(), stack.operator_key().to_owned());
    let try_version = |version: &str| -> Vec<String> {
        [
            "scenario",
            "try",
            version,
            "--from",
            "2026-11-25",
            "--to",
            "2026-11-25",
            "--url",
            &url,
            "--key",
            &key,
        ]
        .map(str::to_owned)
        .to_vec()
    };

    let out = sva_blocking(try_version(&stack.demo().version)).await;
    let stdout = text(&out.stdout);
    assert!(out.status.success(), "{stdout}{}", text(&out.stderr));
    assert!(
        stdout.starts_with(&format!(
            "version {} on the calls of 2026-11-25 to 2026-11-25",
            stack.demo().version
        )),
        "{stdout}"
    );
    assert!(
        stdout
            .trim_end()
            .ends_with("3 calls replayed, 0 changed, 0 not replayed"),
        "{stdout}"
    );

    // Another version, uploaded and not activated: every call parts at the greeting.
    let minimal = wat::parse_file(workspace().join("scenarios/abi/minimal.wat")).unwrap();
    let uploaded = sva_admin::client::AdminClient::new(&url, &key)
        .upload("demo", minimal)
        .await
        .expect("uploaded");
    let version = uploaded.version.info.version;
    let out = sva_blocking(try_version(&version[..12])).await;
    let stdout = text(&out.stdout);
    assert!(out.status.success(), "{stdout}{}", text(&out.stderr));
    assert!(stdout.contains("turn 0: start"), "{stdout}");
    assert!(
        stdout
            .trim_end()
            .ends_with("3 calls replayed, 3 changed, 0 not replayed"),
        "{stdout}"
    );
    // A refusal: the API's sentence and code.
    let mut bad = try_version(&version);
    bad[4] = "2026-12-01".into();
    let out = sva_blocking(bad).await;
    assert!(!out.status.success());
    assert!(
        text(&out.stderr).contains("bad_period"),
        "{}",
        text(&out.stderr)
    );
}
