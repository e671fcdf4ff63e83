//! `sva crm`: what reached the CRM. `leads` shows the local sandbox portal's leads and
//! deals; `outbox` the calls still waiting and the dead letters with their reasons;
//! `retry` puts dead letters back once the cause is fixed.

use clap::{Args, Subcommand};
use serde_json::Value;
use std::path::PathBuf;
use std::process::ExitCode;
use sva_wire::key::{DEAD_PREFIX, OUTBOX_PREFIX};
use sva_wire::outbox::OutboxEntry;

/// `sva crm` commands.
#[derive(Subcommand)]
pub enum Command {
    /// Leads and deals in the local stack's Bitrix24 sandbox portal.
    Leads {
        /// The local stack.
        #[arg(long, default_value = "http://127.0.0.1:8080")]
        url: String,
    },
    /// Calls waiting for the CRM step, and dead letters with their reasons.
    Outbox(Where),
    /// Puts a tenant's dead letters (or one call's) back in the outbox.
    Retry {
        #[command(flatten)]
        place: Where,
        /// Only this call.
        #[arg(long)]
        call: Option<String>,
    },
}

/// Where the outbox is.
#[derive(Args)]
pub struct Where {
    /// The local data directory (ignored when SVA_STORAGE is set).
    #[arg(long, default_value = ".sva/data")]
    data: PathBuf,
    /// The tenant.
    #[arg(long, default_value = "demo")]
    tenant: String,
}

/// Runs a `sva crm` command.
pub fn run(command: Command) -> anyhow::Result<ExitCode> {
    let runtime = tokio::runtime::Runtime::new()?;
    runtime.block_on(async {
        match command {
            Command::Leads { url } => leads(&url).await,
            Command::Outbox(place) => outbox(&place).await,
            Command::Retry { place, call } => retry(&place, call.as_deref()).await,
        }
    })
}

async fn leads(url: &str) -> anyhow::Result<ExitCode> {
    let state: Value = reqwest::get(format!("{}/_sandbox/state", url.trim_end_matches('/')))
        .await
        .map_err(|e| {
            anyhow::anyhow!(
                "песочница Битрикс24 на {url} не отвечает ({e}); запущен ли `make dev`?"
            )
        })?
        .error_for_status()?
        .json()
        .await?;
    for (kind, title) in [("leads", "Лиды"), ("deals", "Сделки")] {
        let rows = state[kind].as_array().cloned().unwrap_or_default();
        println!("{title}: {}", rows.len());
        for row in rows {
            let phones: Vec<&str> = row["PHONE"]
                .as_array()
                .map(|a| a.iter().filter_map(|p| p["VALUE"].as_str()).collect())
                .unwrap_or_default();
            println!(
                "  #{:<4} {:<12} {:<16} {:>12} {:<4} {}  (звонок {})",
                text(&row["ID"]),
                // A lead's status or a deal's stage.
                text(if kind == "leads" {
                    &row["STATUS_ID"]
                } else {
                    &row["STAGE_ID"]
                }),
                phones.join(", "),
                text(&row["OPPORTUNITY"]),
                text(&row["CURRENCY_ID"]),
                text(&row["TITLE"]),
                text(&row["ORIGIN_ID"]),
            );
        }
    }
    println!(
        "Всё, что пришло в портал: {}/_sandbox/",
        url.trim_end_matches('/')
    );
    Ok(ExitCode::SUCCESS)
}

async fn outbox(place: &Where) -> anyhow::Result<ExitCode> {
    let store = crate::store::open(&place.data).await?;
    for (prefix, title) in [
        (OUTBOX_PREFIX, "Ждут отправки в CRM"),
        (DEAD_PREFIX, "Не отправлены (dead letters)"),
    ] {
        let keys = store.list(&format!("{prefix}{}/", place.tenant)).await?;
        println!("{title}: {}", keys.len());
        for key in keys {
            let Some(bytes) = store.get(&key).await? else {
                continue;
            };
            let Ok(entry) = serde_json::from_slice::<OutboxEntry>(&bytes) else {
                println!("  {key}: нечитаемая запись");
                continue;
            };
            let why = entry
                .last_error
                .map(|e| format!("{}: {}", e.code, e.message))
                .unwrap_or_else(|| "ещё не отправлялся".into());
            println!(
                "  звонок {}: попыток {}; {why}",
                entry.call_id, entry.attempts
            );
        }
    }
    Ok(ExitCode::SUCCESS)
}

async fn retry(place: &Where, call: Option<&str>) -> anyhow::Result<ExitCode> {
    let store = crate::store::open(&place.data).await?;
    let moved = sva_crm::outbox::requeue(&store, &place.tenant, call).await?;
    println!(
        "Возвращено в очередь: {moved}. Они уйдут в CRM при следующем проходе (в `make dev` — в течение секунды)."
    );
    Ok(ExitCode::SUCCESS)
}

fn text(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        Value::Null => String::new(),
        other => other.to_string(),
    }
}
