//! `sva scenario …`: validate a module, talk to it, run scripted dialogs against it.

use anyhow::Context as _;
use std::io::{BufRead, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use sva_abi::{Action, Direction, Event, Qualification};
use sva_sandbox::{Sandbox, SandboxConfig};
use sva_script::{Recording, default_context};
use sva_turn::wasm::WasmScenario;
use sva_turn::{NoKnowledge, NoLanguage, TurnOptions, run_turn_now};

/// The `scenario` subcommands.
#[derive(clap::Subcommand)]
pub enum Command {
    /// Check a module against ABI v1 and dry-run its first step under the limits.
    Validate {
        /// The module (.wasm).
        module: PathBuf,
    },
    /// Hold a conversation with a module in the terminal.
    Run {
        /// The module (.wasm).
        #[arg(default_value = sva_local::DEFAULT_SCENARIO)]
        module: PathBuf,
        /// The caller's number; `none` for a hidden number.
        #[arg(long, default_value = "+79161234567")]
        caller: String,
        /// Simulate an outbound call (the assistant calls the customer).
        #[arg(long)]
        outbound: bool,
        /// The call's date and time, RFC 3339 (default: now, Moscow time).
        #[arg(long)]
        now: Option<String>,
    },
    /// Run scripted dialogs (YAML files or a directory of them) against a module.
    Test {
        /// Script files or directories.
        #[arg(required = true)]
        scripts: Vec<PathBuf>,
        /// The module (.wasm).
        #[arg(long, default_value = sva_local::DEFAULT_SCENARIO)]
        module: PathBuf,
        /// Print which nodes and edges of the dialog graph the scripts reached.
        #[arg(long)]
        coverage: bool,
        /// Fail when the scripts reach less than this share of the graph's nodes, in
        /// percent (implies --coverage).
        #[arg(long, value_name = "PERCENT", value_parser = percent)]
        min_coverage: Option<f64>,
    },
    /// Re-run the caller's side of recorded calls against a module and show where its
    /// answers first differ and how outcomes and slots change.
    Replay(crate::replay::ReplayArgs),
    #[command(flatten)]
    Admin(crate::admin::ScenarioAdmin),
}

/// Runs a `scenario` subcommand.
pub fn run(command: Command) -> anyhow::Result<ExitCode> {
    match command {
        Command::Validate { module } => validate(&module),
        Command::Run {
            module,
            caller,
            outbound,
            now,
        } => converse(&module, &caller, outbound, now),
        Command::Test {
            scripts,
            module,
            coverage,
            min_coverage,
        } => test(
            &scripts,
            &module,
            coverage || min_coverage.is_some(),
            min_coverage,
        ),
        Command::Replay(args) => crate::replay::run(args),
        Command::Admin(command) => crate::admin::scenario(command),
    }
}

fn read_module(path: &Path) -> anyhow::Result<Vec<u8>> {
    std::fs::read(path).with_context(|| {
        format!(
            "cannot read the module {} (build the scenarios with `make scenarios`)",
            path.display()
        )
    })
}

pub(crate) fn load(path: &Path) -> anyhow::Result<WasmScenario> {
    let wasm = read_module(path)?;
    let sandbox = Sandbox::new(SandboxConfig::default()).context("starting the sandbox")?;
    WasmScenario::load(sandbox.into(), "local", &wasm)
        .map_err(|e| anyhow::anyhow!("{}: {e} [{}]", path.display(), e.code()))
}

fn validate(path: &Path) -> anyhow::Result<ExitCode> {
    let wasm = read_module(path)?;
    let sandbox = Sandbox::new(SandboxConfig::default()).context("starting the sandbox")?;
    match sandbox.validate_module(&wasm) {
        Ok(report) => {
            println!("✓ {} conforms to scenario ABI v1", path.display());
            print!("{report}");
            Ok(ExitCode::SUCCESS)
        }
        Err(e) => {
            println!("✗ {}: {e} [{}]", path.display(), e.code());
            Ok(ExitCode::FAILURE)
        }
    }
}

fn test(
    paths: &[PathBuf],
    module: &Path,
    coverage: bool,
    min_coverage: Option<f64>,
) -> anyhow::Result<ExitCode> {
    let scenario = load(module)?;
    let mut scripts = Vec::new();
    for path in paths {
        scripts.extend(sva_script::load_path(path)?);
    }
    anyhow::ensure!(!scripts.is_empty(), "no scripts found in {paths:?}");
    let graph = graph_of(&scenario);
    let recording = Recording::new(&scenario, graph);
    let (mut passed, mut failed) = (0, 0);
    for script in &scripts {
        let report = sva_script::run(script, &recording);
        print!("{report}");
        if report.passed() {
            passed += 1;
        } else {
            failed += 1;
        }
    }
    let mut covered = true;
    if coverage {
        let coverage = recording.coverage();
        print!("{coverage}");
        if let Some(min) = min_coverage {
            match coverage.percent() {
                Some(percent) if percent + 1e-9 >= min => {}
                Some(percent) => {
                    covered = false;
                    println!(
                        "✗ the scripts reach {percent:.1} % of the graph's nodes, under the required {min} %"
                    );
                }
                None => {
                    covered = false;
                    println!(
                        "✗ coverage cannot be measured (the module reports no path or no graph), {min} % is required"
                    );
                }
            }
        }
    }
    println!("{passed} passed, {failed} failed");
    Ok(if failed == 0 && covered {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}

/// A percentage, 0 to 100.
fn percent(text: &str) -> Result<f64, String> {
    match text.trim_end_matches('%').parse::<f64>() {
        Ok(p) if (0.0..=100.0).contains(&p) => Ok(p),
        _ => Err(format!("{text} is not a percentage from 0 to 100")),
    }
}

/// The module's graph from its manifest (none when it does not describe one).
pub(crate) fn graph_of(scenario: &WasmScenario) -> Option<sva_abi::GraphShape> {
    scenario.manifest().ok().flatten().and_then(|m| m.graph)
}

pub(crate) const HELP: &str = "Говорите за клиента: пишите реплики и нажимайте Enter.\n\
    Команды: /молчание (тишина в трубке), /dtmf 1 (тональный набор), /сбой (перевод не удался), /выход.";

fn converse(
    path: &Path,
    caller: &str,
    outbound: bool,
    now: Option<String>,
) -> anyhow::Result<ExitCode> {
    let scenario = load(path)?;
    let mut context = default_context();
    context.call.id = format!("cli-{}", std::process::id());
    context.call.caller = (caller != "none").then(|| caller.to_owned());
    if outbound {
        context.call.direction = Direction::Outbound;
    }
    context.now = match now {
        Some(now) => now,
        None => moscow_now(),
    };
    let options = TurnOptions::default();
    let mut state = sva_abi::State::null();
    let mut record = Qualification::default();
    let stdin = std::io::stdin();
    let mut lines = stdin.lock();
    let mut out = std::io::stdout().lock();
    writeln!(out, "{HELP}\n")?;
    let mut event = Event::CallStarted;
    loop {
        // No knowledge base here: nothing to wait for.
        let Some(turn) = run_turn_now(
            &scenario,
            &NoKnowledge,
            &NoLanguage,
            &options,
            &state,
            event,
            &context,
        ) else {
            anyhow::bail!("the turn waited for a knowledge base, which this runner does not have");
        };
        context.turn += 1;
        state = turn.state;
        if let Some(failure) = &turn.failure {
            writeln!(out, "  ! сценарий не справился: {failure}")?;
        }
        let mut ended = None;
        for action in &turn.actions {
            match action {
                Action::Say(say) => writeln!(out, "Ассистент: {}", say.text)?,
                Action::Qualification(q) => {
                    print_changes(&mut out, &record, q)?;
                    record = q.clone();
                }
                Action::ScheduleCallback { at, note } => {
                    writeln!(out, "  · перезвонить {at}: {note}")?
                }
                Action::Transfer(t) => ended = Some(format!("перевод на {} — {}", t.to, t.summary)),
                Action::Hangup { reason } => ended = Some(format!("звонок завершён ({reason})")),
                Action::Listen { .. }
                | Action::Retrieve(_)
                | Action::Llm(_)
                | Action::Log { .. } => {}
            }
        }
        if let Some(end) = ended {
            writeln!(out, "\n— {end}")?;
            writeln!(
                out,
                "Квалификация:\n{}",
                serde_json::to_string_pretty(&record)?
            )?;
            return Ok(ExitCode::SUCCESS);
        }
        event = loop {
            write!(out, "Вы: ")?;
            out.flush()?;
            let mut line = String::new();
            if lines.read_line(&mut line)? == 0 {
                writeln!(out, "\n— вы положили трубку")?;
                return Ok(ExitCode::SUCCESS);
            }
            match parse_line(line.trim()) {
                Some(Ok(event)) => break event,
                Some(Err(())) => return Ok(ExitCode::SUCCESS),
                None => continue,
            }
        };
    }
}

/// A typed line as an event: `None` to ask again, `Some(Err)` to quit.
pub(crate) fn parse_line(line: &str) -> Option<Result<Event, ()>> {
    let (command, rest) = line.split_once(' ').unwrap_or((line, ""));
    Some(Ok(match command {
        "" => return None,
        "/выход" | "/quit" | "/q" => return Some(Err(())),
        "/молчание" | "/silence" => Event::NoInput,
        "/dtmf" => Event::Dtmf {
            digits: rest.trim().to_owned(),
        },
        "/сбой" | "/fail" => Event::TransferFailed {
            reason: "no_answer".into(),
        },
        _ => Event::Utterance {
            text: line.to_owned(),
            confidence: 1.0,
        },
    }))
}

fn print_changes(
    out: &mut impl Write,
    before: &Qualification,
    after: &Qualification,
) -> std::io::Result<()> {
    for (name, slot) in &after.slots {
        if before.slots.get(name) != Some(slot) {
            writeln!(out, "  · {name} = {}", slot.value)?;
        }
    }
    if after.score != before.score {
        writeln!(out, "  · оценка лида: {}", after.score)?;
    }
    Ok(())
}

/// The current time in Moscow (UTC+3, no daylight saving), RFC 3339.
fn moscow_now() -> String {
    sva_abi::clock::rfc3339(sva_abi::clock::unix_now() as i64, 180)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn typed_lines() {
        assert_eq!(parse_line(""), None);
        assert_eq!(parse_line("/выход"), Some(Err(())));
        assert_eq!(parse_line("/молчание"), Some(Ok(Event::NoInput)));
        assert_eq!(
            parse_line("/dtmf 12"),
            Some(Ok(Event::Dtmf {
                digits: "12".into()
            }))
        );
        assert!(matches!(
            parse_line("да"),
            Some(Ok(Event::Utterance { .. }))
        ));
    }
}
