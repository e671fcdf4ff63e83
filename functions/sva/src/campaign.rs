//! `sva campaign`: outbound campaigns through the admin API — `create` one from a contact
//! file or `from-crm` from Bitrix24 leads or deals in a stage (every refused row printed
//! with its reason), `list` them, `show` one contact by
//! contact, and `pause`, `resume` or `cancel` it.

use crate::admin::ApiArgs;
use anyhow::Context as _;
use clap::Subcommand;
use serde_json::Value;
use std::path::PathBuf;
use std::process::ExitCode;
use sva_admin::{CrmSelectionQuery, NewCampaign, RunChange};

/// `sva campaign` commands.
#[derive(Subcommand)]
pub enum Command {
    /// Builds a campaign from a CSV of contacts (UTF-8 or Windows-1251, `;` or `,`;
    /// columns: телефон, имя, заявка, согласие, дата согласия, …) and starts it.
    Create {
        /// The contact file.
        file: PathBuf,
        #[command(flatten)]
        settings: Settings,
        #[command(flatten)]
        api: ApiArgs,
    },
    /// Builds a campaign from the tenant's Bitrix24 leads or deals in a stage (the
    /// consent: the request in the CRM, dated when it was made) and starts it.
    FromCrm {
        /// `lead` or `deal`.
        #[arg(long)]
        entity: String,
        /// The stage: a lead's STATUS_ID (NEW, IN_PROCESS…) or a deal's STAGE_ID.
        #[arg(long)]
        stage: String,
        /// A deal's pipeline (CATEGORY_ID; default 0).
        #[arg(long)]
        category: Option<u64>,
        #[command(flatten)]
        settings: Settings,
        #[command(flatten)]
        api: ApiArgs,
    },
    /// The tenant's campaigns with their counts.
    List {
        #[command(flatten)]
        api: ApiArgs,
    },
    /// One campaign: its counts, then every contact with its status and attempts, and
    /// the refused rows with their reasons.
    Show {
        /// The campaign's id (`--json` for JSON instead of a table).
        id: String,
        #[command(flatten)]
        api: ApiArgs,
    },
    /// No new calls until resumed.
    Pause {
        /// The campaign's id.
        id: String,
        #[command(flatten)]
        api: ApiArgs,
    },
    /// Calls again after a pause.
    Resume {
        /// The campaign's id.
        id: String,
        #[command(flatten)]
        api: ApiArgs,
    },
    /// No calls, ever: contacts not reached are cancelled.
    Cancel {
        /// The campaign's id.
        id: String,
        #[command(flatten)]
        api: ApiArgs,
    },
}

/// A new campaign's settings (`sva campaign create` and `from-crm`).
#[derive(clap::Args)]
pub struct Settings {
    /// The campaign's id (a-z, 0-9, -).
    #[arg(long)]
    id: String,
    /// A name for people.
    #[arg(long)]
    name: Option<String>,
    /// Simultaneous calls (1–100).
    #[arg(long)]
    max_simultaneous: Option<u32>,
    /// Attempts per contact (1–5).
    #[arg(long)]
    attempts: Option<u8>,
    /// Local calling hours on weekdays, HH:MM-HH:MM (default 09:00-20:00).
    #[arg(long)]
    hours: Option<String>,
    /// Local calling hours at weekends, HH:MM-HH:MM or `off`.
    #[arg(long)]
    weekend_hours: Option<String>,
    /// Days without calls, YYYY-MM-DD,YYYY-MM-DD,…
    #[arg(long)]
    days_off: Option<String>,
    /// Minutes before retrying a busy line.
    #[arg(long)]
    busy_retry_min: Option<u32>,
    /// Minutes before retrying after no answer.
    #[arg(long)]
    no_answer_retry_min: Option<u32>,
    /// Minutes before retrying after an answering machine.
    #[arg(long)]
    voicemail_retry_min: Option<u32>,
    /// On an answering machine: `hangup` or `message`.
    #[arg(long)]
    voicemail: Option<String>,
}

impl Settings {
    fn new_campaign(self) -> NewCampaign {
        NewCampaign {
            id: self.id,
            name: self.name,
            max_simultaneous: self.max_simultaneous,
            attempts: self.attempts,
            hours: self.hours,
            weekend_hours: self.weekend_hours,
            days_off: self.days_off,
            busy_retry_min: self.busy_retry_min,
            no_answer_retry_min: self.no_answer_retry_min,
            voicemail_retry_min: self.voicemail_retry_min,
            voicemail: self.voicemail,
        }
    }
}

/// Runs a `sva campaign` command.
pub fn run(command: Command) -> anyhow::Result<ExitCode> {
    let runtime = tokio::runtime::Runtime::new()?;
    runtime.block_on(async {
        match command {
            Command::Create {
                file,
                settings,
                api,
            } => {
                let bytes = std::fs::read(&file)
                    .with_context(|| format!("не читается файл {}", file.display()))?;
                let settings = settings.new_campaign();
                let client = api.client()?;
                let summary = client
                    .create_campaign(&api.tenant, &settings, bytes)
                    .await?;
                created(&client, &api, &settings.id, &summary).await
            }
            Command::FromCrm {
                entity,
                stage,
                category,
                settings,
                api,
            } => {
                let settings = settings.new_campaign();
                let selection = CrmSelectionQuery {
                    entity,
                    stage,
                    category,
                };
                let client = api.client()?;
                let summary = client
                    .create_campaign_from_crm(&api.tenant, &settings, &selection)
                    .await?;
                created(&client, &api, &settings.id, &summary).await
            }
            Command::List { api } => {
                let list = api.client()?.campaigns(&api.tenant).await?;
                let list = list.as_array().cloned().unwrap_or_default();
                if list.is_empty() {
                    println!("кампаний нет");
                }
                for summary in &list {
                    print_summary(summary);
                }
                Ok(ExitCode::SUCCESS)
            }
            Command::Show { id, api } => {
                let client = api.client()?;
                let summary = client.campaign(&api.tenant, &id, false).await?;
                let details = client.campaign(&api.tenant, &id, true).await?;
                if api.json {
                    let both = serde_json::json!({"campaign": summary, "contacts": details});
                    println!("{}", serde_json::to_string_pretty(&both)?);
                    return Ok(ExitCode::SUCCESS);
                }
                print_summary(&summary);
                println!(
                    "\n{:<8} {:<14} {:<18} {:>8}  {:<20} окно (UTC)",
                    "контакт", "телефон", "статус", "попыток", "имя"
                );
                for c in details["contacts"].as_array().into_iter().flatten() {
                    println!(
                        "{:<8} {:<14} {:<18} {:>8}  {:<20} {}",
                        c["id"].as_str().unwrap_or_default(),
                        c["phone"].as_str().unwrap_or_default(),
                        status(&c["status"]),
                        c["attempts"],
                        c["name"].as_str().unwrap_or("—"),
                        c["window_utc"].as_str().unwrap_or_default(),
                    );
                }
                print_refusals(&details);
                Ok(ExitCode::SUCCESS)
            }
            Command::Pause { id, api } => change(&api, &id, RunChange::Pause).await,
            Command::Resume { id, api } => change(&api, &id, RunChange::Resume).await,
            Command::Cancel { id, api } => change(&api, &id, RunChange::Cancel).await,
        }
    })
}

/// Prints a new campaign and its refused rows.
async fn created(
    client: &sva_admin::client::AdminClient,
    api: &ApiArgs,
    id: &str,
    summary: &Value,
) -> anyhow::Result<ExitCode> {
    print_summary(summary);
    let details = client.campaign(&api.tenant, id, true).await?;
    print_refusals(&details);
    Ok(ExitCode::SUCCESS)
}

async fn change(api: &ApiArgs, id: &str, run: RunChange) -> anyhow::Result<ExitCode> {
    let summary = api.client()?.change_run(&api.tenant, id, run).await?;
    print_summary(&summary);
    Ok(ExitCode::SUCCESS)
}

/// A status as one word: `done: qualified`, `refused: do_not_call`, `queued`.
fn status(s: &Value) -> String {
    let name = s["status"].as_str().unwrap_or_default();
    match s
        .get("outcome")
        .or_else(|| s.get("code"))
        .or_else(|| s.get("reason"))
        .and_then(Value::as_str)
    {
        Some(detail) => format!("{name}: {detail}"),
        None => name.to_owned(),
    }
}

fn run_name(run: &str) -> &str {
    match run {
        "built" => "собрана (обзвон не настроен)",
        "running" => "идёт",
        "paused" => "на паузе",
        "cancelled" => "отменена",
        other => other,
    }
}

fn print_summary(s: &Value) {
    let c = &s["campaign"];
    println!(
        "кампания {} «{}»: {}; строк {}, контактов {}, звонков {}",
        c["id"].as_str().unwrap_or_default(),
        c["name"].as_str().unwrap_or_default(),
        run_name(s["state"]["run"].as_str().unwrap_or_default()),
        s["rows"],
        s["contacts"],
        s["attempts"],
    );
    let counts = |v: &Value| {
        v.as_object()
            .map(|m| {
                m.iter()
                    .map(|(k, n)| format!("{k} {n}"))
                    .collect::<Vec<_>>()
                    .join(", ")
            })
            .unwrap_or_default()
    };
    println!("  по статусам: {}", counts(&s["statuses"]));
    if s["refused"].as_object().is_some_and(|m| !m.is_empty()) {
        println!("  отклонено: {}", counts(&s["refused"]));
    }
}

fn print_refusals(details: &Value) {
    let refusals = details["refusals"].as_array().cloned().unwrap_or_default();
    if refusals.is_empty() {
        return;
    }
    println!("\nотклонённые строки:");
    for r in refusals {
        println!(
            "  строка {:>5}  {:<18} {}",
            r["row"],
            r["code"].as_str().unwrap_or_default(),
            r["reason"].as_str().unwrap_or_default()
        );
    }
}
