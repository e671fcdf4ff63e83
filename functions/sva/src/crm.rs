//! `sva crm`: the tenant's Bitrix24 and what reached it. `install` connects a portal as
//! an application its administrator installs (and prints the address to give Bitrix24);
//! `status` shows what the portal showed (the install, the last check, what it lacks);
//! `leads` shows the local sandbox portal's leads and deals; `outbox` the calls still
//! waiting and the dead letters with their reasons; `retry` puts dead letters back once
//! the cause is fixed.

use crate::admin::ApiArgs;
use clap::{Args, Subcommand};
use serde_json::Value;
use std::path::PathBuf;
use std::process::ExitCode;
use sva_admin::SettingsChange;
use sva_tenants::{CrmAuth, CrmConnection, CrmSecrets};
use sva_wire::key::{DEAD_PREFIX, OUTBOX_PREFIX};
use sva_wire::outbox::OutboxEntry;

/// `sva crm` commands.
#[derive(Subcommand)]
pub enum Command {
    /// Connect the tenant's Bitrix24 as an application the portal's administrator
    /// installs: prints the install address for the application's form. Run it again
    /// with --client-id and --client-secret once Bitrix24 shows them.
    Install(InstallArgs),
    /// What the tenant's portal showed: the installed application, the last check of
    /// the settings against it, and what it lacks of them.
    Status {
        #[command(flatten)]
        api: ApiArgs,
    },
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

/// `sva crm install`.
#[derive(Args)]
pub struct InstallArgs {
    #[command(flatten)]
    api: ApiArgs,
    /// The portal, https://acme.bitrix24.ru (the tenant's current one when left out).
    #[arg(long)]
    portal: Option<String>,
    /// Where portals reach the CRM function (the local stack: the admin API's address).
    #[arg(long, env = "SVA_CRM_PUBLIC_URL")]
    crm_url: Option<String>,
    /// The application's client id (`local.…`), once Bitrix24 shows it.
    #[arg(long)]
    client_id: Option<String>,
    /// The application's client secret, once Bitrix24 shows it (stored, never shown).
    #[arg(long, env = "SVA_CRM_CLIENT_SECRET", hide_env_values = true)]
    client_secret: Option<String>,
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
            Command::Install(args) => install(&args).await,
            Command::Status { api } => status(&api).await,
            Command::Leads { url } => leads(&url).await,
            Command::Outbox(place) => outbox(&place).await,
            Command::Retry { place, call } => retry(&place, call.as_deref()).await,
        }
    })
}

/// Sets the tenant's portal up for an install (or completes it with the application's
/// id and secret) and prints what the administrator does next.
async fn install(args: &InstallArgs) -> anyhow::Result<ExitCode> {
    let client = args.api.client()?;
    let tenant = &args.api.tenant;
    let view = client.tenant(tenant).await.map_err(readable)?;
    let current = view.settings.crm.clone();
    let portal = args
        .portal
        .clone()
        .or_else(|| current.as_ref().map(|c| c.portal.clone()))
        .ok_or_else(|| anyhow::anyhow!("укажите портал: --portal https://….bitrix24.ru"))?;
    let mut crm = match current {
        Some(c) if c.auth == CrmAuth::Oauth && same_origin(&c.portal, &portal) => c,
        _ => CrmConnection::new(&portal, CrmAuth::Oauth),
    };
    if let Some(id) = &args.client_id {
        crm.client_id = Some(id.clone());
    }
    let completing = args.client_id.is_some() || args.client_secret.is_some();
    let key = (!completing).then(|| sva_tenants::secret::random_hex(16));
    let change = SettingsChange {
        crm: Some(Some(crm)),
        crm_secrets: Some(CrmSecrets {
            install_key: key.clone(),
            client_secret: args.client_secret.clone(),
            ..CrmSecrets::default()
        }),
        ..SettingsChange::default()
    };
    let view = client
        .change_settings(tenant, &change)
        .await
        .map_err(readable)?;
    match key {
        Some(key) => {
            let base = args.crm_url.as_deref().unwrap_or(args.api.url());
            println!(
                "Портал {} готов к установке приложения.

                 В Битрикс24: Разработчикам → Другое → Локальное приложение → серверное,
                 «Использует только API», права crm, telephony, user. В поля
                 «Путь вашего обработчика» и «Путь для первоначальной установки» вставьте:

  {}

                 Сохраните: портал сразу передаст ассистенту токены. Затем перенесите из формы
                 код приложения и ключ:

  sva crm install --tenant {tenant} --client-id local.… --client-secret …

                 Проверить: sva crm status --tenant {tenant}",
                view.settings.crm.as_ref().map_or("", |c| c.portal.as_str()),
                sva_crm::install::install_url(base, tenant, &key),
            );
        }
        None => println!(
            "Код и ключ приложения сохранены.
{}",
            describe(&view)
        ),
    }
    Ok(ExitCode::SUCCESS)
}

/// Whether two portal addresses are the same origin (case and a trailing slash aside).
fn same_origin(a: &str, b: &str) -> bool {
    a.trim_end_matches('/')
        .eq_ignore_ascii_case(b.trim_end_matches('/'))
}

async fn status(api: &ApiArgs) -> anyhow::Result<ExitCode> {
    let view = api.client()?.tenant(&api.tenant).await.map_err(readable)?;
    if api.json {
        println!("{}", serde_json::to_string_pretty(&view.crm_status)?);
    } else {
        print!("{}", describe(&view));
    }
    Ok(ExitCode::SUCCESS)
}

/// The tenant's CRM connection in Russian, for the terminal.
fn describe(view: &sva_admin::TenantView) -> String {
    let Some(crm) = &view.settings.crm else {
        return "CRM не подключена.
"
        .into();
    };
    let mut out = format!(
        "Портал: {} ({})
Секреты: {}
",
        crm.portal,
        match crm.auth {
            CrmAuth::Oauth => "приложение",
            CrmAuth::Webhook => "вебхук",
        },
        if view.crm_secrets_set.is_empty() {
            "не заданы".to_owned()
        } else {
            view.crm_secrets_set.join(", ")
        }
    );
    let Some(status) = &view.crm_status else {
        out.push_str(
            "Портал ещё ничего не сообщил.
",
        );
        return out;
    };
    match &status.install {
        Some(i) if i.uninstalled_at.is_some() => out.push_str(&format!(
            "Приложение удалено с портала {} ({}).
",
            i.domain,
            i.uninstalled_at.as_deref().unwrap_or("")
        )),
        Some(i) => out.push_str(&format!(
            "Приложение установлено: {}, права {}, {}.
",
            i.domain, i.scope, i.installed_at
        )),
        None => out.push_str(
            "Приложение не устанавливалось через обработчик.
",
        ),
    }
    if let Some(at) = &status.checked_at {
        out.push_str(&format!(
            "Настройки сверены с порталом: {at}.
"
        ));
    }
    if let Some(why) = &status.unchecked {
        out.push_str(&format!(
            "Сверить с порталом не удалось: {why}.
"
        ));
    }
    if status.problems.is_empty() {
        out.push_str(
            "Расхождений с порталом нет.
",
        );
    }
    for p in &status.problems {
        out.push_str(&format!(
            "  ! {}: {}
",
            p.setting, p.message
        ));
    }
    out
}

/// An API error as the sentence the user reads, with its code.
fn readable(e: sva_admin::client::ClientError) -> anyhow::Error {
    match e {
        sva_admin::client::ClientError::Api { code, message, .. } => {
            anyhow::anyhow!("{message} [{code}]")
        }
        other => anyhow::anyhow!(other),
    }
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
