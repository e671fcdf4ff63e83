//! `sva call`: a call simulator in the terminal that speaks the turn protocol exactly as
//! VoxEngine does (signed requests, state tokens, the end-of-call report).

use crate::scenario::{HELP, parse_line};
use anyhow::Context as _;
use clap::Args;
use std::io::{BufRead, Write};
use std::path::PathBuf;
use std::process::ExitCode;
use sva_abi::{Direction, Event};
use sva_caller::{Call, Phone};
use sva_wire::turn::VoxAction;

/// `sva call` arguments.
#[derive(Args)]
pub struct CallArgs {
    /// The local stack (or a deployed dialog function).
    #[arg(long, default_value = "http://127.0.0.1:8080")]
    url: String,
    /// The tenant to call.
    #[arg(long, default_value = "demo")]
    tenant: String,
    /// The tenant's signing secret; by default read from the local data directory.
    #[arg(long, env = "SVA_SIGNING_SECRET", hide_env_values = true)]
    secret: Option<String>,
    /// The local data directory (for the secret and to show the call record).
    #[arg(long, default_value = ".sva/data")]
    data: PathBuf,
    /// The caller's number (`none` for a hidden number).
    #[arg(long, default_value = "+79161234567")]
    caller: String,
    /// An outbound call (the assistant calls the customer).
    #[arg(long)]
    outbound: bool,
}

pub fn run(args: CallArgs) -> anyhow::Result<ExitCode> {
    let secret = match &args.secret {
        Some(secret) => secret.clone(),
        None => {
            let path = args
                .data
                .join(sva_tenants::signing_secret_key(&args.tenant));
            std::fs::read_to_string(&path)
                .with_context(|| {
                    format!(
                        "нет секрета подписи тенанта {} ({}): запущен ли `sva dev` с этим каталогом данных? Или передайте --secret",
                        args.tenant,
                        path.display()
                    )
                })?
                .trim()
                .to_owned()
        }
    };
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    let phone = Phone::new(&args.url, &args.tenant, secret.as_bytes());
    let mut info = sva_caller::inbound(&args.caller);
    info.caller = (args.caller != "none").then(|| args.caller.clone());
    if args.outbound {
        info.direction = Direction::Outbound;
    }
    let mut out = std::io::stdout().lock();
    writeln!(
        out,
        "Звонок {} → {} ({})\n{HELP}\n",
        args.caller, args.tenant, args.url
    )?;
    let mut call = runtime
        .block_on(phone.dial(info))
        .with_context(|| format!("стенд по адресу {} не ответил", args.url))?;
    let stdin = std::io::stdin();
    let mut lines = stdin.lock();
    let reason = loop {
        show(&mut out, &call)?;
        if call.is_over() {
            break match call.next_step() {
                Some(VoxAction::Transfer { .. }) => "transfer",
                _ => "hangup",
            };
        }
        let event = loop {
            write!(out, "Вы: ")?;
            out.flush()?;
            let mut line = String::new();
            if lines.read_line(&mut line)? == 0 {
                break None;
            }
            match parse_line(line.trim()) {
                Some(Ok(event)) => break Some(event),
                Some(Err(())) => break None,
                None => continue,
            }
        };
        let Some(event) = event else {
            writeln!(out, "\n— вы положили трубку")?;
            break "caller_hangup";
        };
        let answer = match event {
            Event::Utterance { text, .. } => runtime.block_on(call.say(&text)).map(|_| ()),
            other => runtime.block_on(call.event(other)).map(|_| ()),
        };
        answer.context("ход не удался")?;
    };
    let ended = runtime.block_on(call.hang_up(reason))?;
    writeln!(out, "\nЗапись звонка: {}", ended.record)?;
    let local = args.data.join(&ended.record);
    if let Ok(text) = std::fs::read_to_string(&local) {
        let record: serde_json::Value = serde_json::from_str(&text)?;
        writeln!(
            out,
            "Квалификация:\n{}",
            serde_json::to_string_pretty(&record["qualification"])?
        )?;
        writeln!(out, "Файл: {}", local.display())?;
    }
    Ok(ExitCode::SUCCESS)
}

fn show(out: &mut impl Write, call: &Call) -> std::io::Result<()> {
    let Some(answer) = call.last() else {
        return Ok(());
    };
    for action in &answer.actions {
        match action {
            VoxAction::Say { text, .. } => writeln!(out, "Ассистент: {text}")?,
            VoxAction::Transfer { to, summary, .. } => {
                writeln!(out, "\n— перевод на {to}\n  для менеджера: {summary}")?
            }
            VoxAction::Hangup { reason } => {
                writeln!(out, "\n— ассистент завершил звонок ({reason})")?
            }
            VoxAction::Listen { .. } => {}
        }
    }
    Ok(())
}
