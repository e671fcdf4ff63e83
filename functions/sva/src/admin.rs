//! `sva tenant …` and `sva scenario upload|versions|activate|rollback|split`: the admin
//! API from the terminal, with readable output (or `--json`) and errors.

use anyhow::Context as _;
use clap::{Args, Subcommand};
use serde::Serialize;
use std::path::PathBuf;
use std::process::ExitCode;
use sva_admin::client::{AdminClient, ClientError};
use sva_admin::{NewTenant, SettingsChange, TenantView, VersionView};
use sva_tenants::{CrmAuth, CrmConnection, CrmSecrets, ScenarioRouting};

/// Where the admin API is and who is asking.
#[derive(Args, Clone)]
pub struct ApiArgs {
    /// The admin API (the local stack, or a deployed admin function).
    #[arg(long, env = "SVA_ADMIN_URL", default_value = "http://127.0.0.1:8080")]
    url: String,
    /// The API key (operator or tenant); by default the local stack's operator key.
    #[arg(long, env = "SVA_ADMIN_KEY", hide_env_values = true)]
    key: Option<String>,
    /// The local data directory (where the local operator key is).
    #[arg(long, default_value = ".sva/data")]
    data: PathBuf,
    /// The tenant.
    #[arg(long, env = "SVA_TENANT", default_value = "demo")]
    pub(crate) tenant: String,
    /// Print the API's JSON answer instead of a summary.
    #[arg(long)]
    pub(crate) json: bool,
}

impl ApiArgs {
    /// The admin API's address.
    pub(crate) fn url(&self) -> &str {
        &self.url
    }

    pub(crate) fn client(&self) -> anyhow::Result<AdminClient> {
        let key = match &self.key {
            Some(key) => key.clone(),
            None => {
                let path = self.data.join(sva_local::OPERATOR_KEY_OBJECT);
                std::fs::read_to_string(&path)
                    .with_context(|| {
                        format!(
                            "нет ключа: передайте --key (или SVA_ADMIN_KEY), или запустите `sva dev` — его ключ оператора лежит в {}",
                            path.display()
                        )
                    })?
                    .trim()
                    .to_owned()
            }
        };
        Ok(AdminClient::new(&self.url, &key))
    }
}

/// The `tenant` subcommands.
#[derive(Subcommand)]
pub enum TenantCommand {
    /// Create a tenant (operator); prints its VoxEngine signing secret once.
    Create {
        /// The tenant id: a-z, 0-9, '-'.
        id: String,
        /// The company's name as callers should hear it.
        #[arg(long)]
        company: String,
        /// What it sells.
        #[arg(long)]
        product: String,
        /// E.164 number hot leads are transferred to.
        #[arg(long)]
        manager_phone: Option<String>,
        #[command(flatten)]
        api: ApiArgs,
    },
    /// List tenants (operator).
    List {
        #[command(flatten)]
        api: ApiArgs,
    },
    /// Show a tenant's settings.
    Show {
        #[command(flatten)]
        api: ApiArgs,
    },
    /// Change a tenant's settings (only the options given).
    Set(Box<SetArgs>),
    /// Disable a tenant: its calls are refused (operator).
    Disable {
        #[command(flatten)]
        api: ApiArgs,
    },
    /// Enable a disabled tenant (operator).
    Enable {
        #[command(flatten)]
        api: ApiArgs,
    },
    /// Who changed what in the tenant's settings.
    History {
        #[command(flatten)]
        api: ApiArgs,
    },
    /// Replace the VoxEngine signing secret; prints the new one once. The old one stays
    /// valid for an hour unless --revoke-old.
    RotateSecret {
        /// Stop every old secret at once (it leaked).
        #[arg(long)]
        revoke_old: bool,
        #[command(flatten)]
        api: ApiArgs,
    },
    /// The tenant's API keys.
    #[command(subcommand)]
    Key(KeyCommand),
}

/// `sva tenant key …`.
#[derive(Subcommand)]
pub enum KeyCommand {
    /// Issue a key (operator); prints it once.
    Issue {
        /// What the key is for.
        #[arg(long, default_value = "")]
        label: String,
        #[command(flatten)]
        api: ApiArgs,
    },
    /// List keys (no secrets).
    List {
        #[command(flatten)]
        api: ApiArgs,
    },
    /// Revoke a key (operator).
    Revoke {
        /// The key id.
        key_id: String,
        #[command(flatten)]
        api: ApiArgs,
    },
}

/// `sva tenant set` options.
#[derive(Args)]
pub struct SetArgs {
    #[command(flatten)]
    api: ApiArgs,
    /// The company's name.
    #[arg(long)]
    company: Option<String>,
    /// What it sells.
    #[arg(long)]
    product: Option<String>,
    /// E.164 transfer number ("" removes it).
    #[arg(long)]
    manager_phone: Option<String>,
    /// The Yandex voice, e.g. ru_RU_alena.
    #[arg(long)]
    voice: Option<String>,
    /// What the caller hears when a turn fails.
    #[arg(long)]
    fallback_phrase: Option<String>,
    /// Minutes east of UTC (Moscow: 180).
    #[arg(long, allow_negative_numbers = true)]
    utc_offset_minutes: Option<i32>,
    /// Days call records are kept.
    #[arg(long)]
    retention_days: Option<u32>,
    /// A scenario text, `key=value` ("key=" removes it); repeatable. The recording
    /// notice is the text `recording_notice`.
    #[arg(long = "text", value_parser = key_value)]
    texts: Vec<(String, String)>,
    /// Record calls from their start (`true`/`false`); callers first hear the
    /// recording notice.
    #[arg(long)]
    record: Option<bool>,
    /// How long a manager's phone rings on a transfer, seconds (5..=120).
    #[arg(long)]
    transfer_timeout: Option<u32>,
    /// Give calls the language model (`true`/`false`; needs a model configured for the
    /// deployment and a scenario that declares `llm`).
    #[arg(long)]
    llm: Option<bool>,
    /// Let the model phrase knowledge answers from the passages (`true`/`false`).
    #[arg(long)]
    llm_phrase: Option<bool>,
    /// The model's provider among the deployment's: `yandex`, `openai`, `gigachat`, or
    /// `default` for the deployment's default.
    #[arg(long)]
    llm_provider: Option<String>,
    /// The Bitrix24 portal, https://acme.bitrix24.ru (with --crm-webhook-user and
    /// --crm-webhook-code: an incoming webhook).
    #[arg(long)]
    crm_portal: Option<String>,
    /// The incoming webhook's user id.
    #[arg(long, requires = "crm_portal")]
    crm_webhook_user: Option<u64>,
    /// The incoming webhook's code (a secret: stored, never shown).
    #[arg(long, env = "SVA_CRM_WEBHOOK_CODE", hide_env_values = true)]
    crm_webhook_code: Option<String>,
    /// Unusable caller turns in a row before the assistant offers a manager (1..=10).
    #[arg(long)]
    misunderstanding_limit: Option<u8>,
    /// The score from which a lead who decides is hot and offered a manager (1..=100).
    #[arg(long)]
    hot_score: Option<u8>,
    /// The score from which a lead is warm (below the hot score).
    #[arg(long)]
    warm_score: Option<u8>,
    /// A timeline within this many days is urgent (1..=365).
    #[arg(long)]
    urgent_days: Option<u16>,
    /// A department transfers are routed to, `id=+74951234567 [mon-fri 09:00-18:00 …]`
    /// (`sales`, `support`, `accounting` have built-in names and topics; no hours: at any
    /// hour); repeatable, replaces the list.
    #[arg(long = "department", value_parser = department)]
    departments: Vec<sva_tenants::Department>,
    /// Remove every department (transfers go to the manager number at any hour).
    #[arg(long, conflicts_with = "departments")]
    no_departments: bool,
    /// The dialog settings as a JSON file (`misunderstanding_limit`, `temperature`,
    /// `departments` with names, topics, hours and time zones); the flags above apply
    /// on top of it.
    #[arg(long, value_name = "FILE")]
    dialog_file: Option<PathBuf>,
}

fn department(spec: &str) -> Result<sva_tenants::Department, String> {
    sva_tenants::Department::parse_spec(spec)
}

/// The dialog settings change the flags and the file ask for, if any.
fn dialog_change(args: &SetArgs) -> anyhow::Result<Option<sva_tenants::DialogChange>> {
    let mut change = match &args.dialog_file {
        Some(path) => {
            let text = std::fs::read_to_string(path)
                .with_context(|| format!("reading {}", path.display()))?;
            serde_json::from_str::<sva_tenants::DialogChange>(&text)
                .with_context(|| format!("{} is not a dialog settings document", path.display()))?
        }
        None => sva_tenants::DialogChange::default(),
    };
    let mut touched = args.dialog_file.is_some();
    if let Some(limit) = args.misunderstanding_limit {
        change.misunderstanding_limit = Some(limit);
        touched = true;
    }
    if args.hot_score.is_some() || args.warm_score.is_some() || args.urgent_days.is_some() {
        let temperature = change.temperature.get_or_insert_with(Default::default);
        temperature.hot_score = args.hot_score.or(temperature.hot_score);
        temperature.warm_score = args.warm_score.or(temperature.warm_score);
        temperature.urgent_days = args.urgent_days.or(temperature.urgent_days);
        touched = true;
    }
    if !args.departments.is_empty() || args.no_departments {
        change.departments = Some(args.departments.clone());
        touched = true;
    }
    Ok(touched.then_some(change))
}

fn key_value(s: &str) -> Result<(String, String), String> {
    s.split_once('=')
        .map(|(k, v)| (k.trim().to_owned(), v.to_owned()))
        .ok_or_else(|| format!("ожидается key=value, а не {s:?}"))
}

/// The scenario subcommands that go through the admin API.
#[derive(Subcommand)]
pub enum ScenarioAdmin {
    /// Upload a module: validated, dry-run, precompiled and stored as a new version.
    Upload {
        /// The module (.wasm, or .wat text compiled before upload).
        module: PathBuf,
        /// Make it the active version right away.
        #[arg(long)]
        activate: bool,
        #[command(flatten)]
        api: ApiArgs,
    },
    /// List the uploaded versions and which serve calls.
    Versions {
        #[command(flatten)]
        api: ApiArgs,
    },
    /// Make a version active for new calls (a unique prefix of 8+ characters will do).
    Activate {
        /// The version.
        version: String,
        #[command(flatten)]
        api: ApiArgs,
    },
    /// Try a version on the tenant's recorded calls before activating it: per call,
    /// where its answers first differ and how the outcome, score and slots change.
    Try {
        /// The version (a unique prefix of 8+ characters will do).
        version: String,
        /// The first day of calls, YYYY-MM-DD (default: six days before `--to`).
        #[arg(long)]
        from: Option<String>,
        /// The last day (default: today in the tenant's time zone).
        #[arg(long)]
        to: Option<String>,
        /// At most this many calls (default 100, at most 500).
        #[arg(long)]
        limit: Option<usize>,
        #[command(flatten)]
        api: ApiArgs,
    },
    /// Return to the version active before the current one.
    Rollback {
        #[command(flatten)]
        api: ApiArgs,
    },
    /// Send a share of new calls to another version (A/B); `--percent 0` ends the split.
    Split {
        /// The version that gets the share.
        #[arg(default_value = "")]
        version: String,
        /// Its share of new calls, 0..=100.
        #[arg(long)]
        percent: u32,
        #[command(flatten)]
        api: ApiArgs,
    },
}

fn runtime() -> anyhow::Result<tokio::runtime::Runtime> {
    Ok(tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?)
}

/// Prints the answer as JSON or as `summary`.
fn show<T: Serialize>(api: &ApiArgs, value: &T, summary: impl FnOnce(&T) -> String) {
    if api.json {
        println!(
            "{}",
            serde_json::to_string_pretty(value).unwrap_or_default()
        );
    } else {
        print!("{}", summary(value));
    }
}

/// An API error as the sentence the user reads, with its code.
fn readable(e: ClientError) -> anyhow::Error {
    match e {
        ClientError::Api { code, message, .. } => anyhow::anyhow!("{message} [{code}]"),
        other => anyhow::anyhow!(other),
    }
}

/// Runs a `tenant` subcommand.
pub fn tenant(command: TenantCommand) -> anyhow::Result<ExitCode> {
    runtime()?.block_on(tenant_async(command))?;
    Ok(ExitCode::SUCCESS)
}

async fn tenant_async(command: TenantCommand) -> anyhow::Result<()> {
    match command {
        TenantCommand::Create {
            id,
            company,
            product,
            manager_phone,
            api,
        } => {
            let new = NewTenant {
                id,
                company,
                product,
                manager_phone,
            };
            let created = api.client()?.create_tenant(&new).await.map_err(readable)?;
            show(&api, &created, |c| {
                format!(
                    "{}секрет подписи VoxEngine (показан один раз): {}\n",
                    tenant_summary(&c.tenant),
                    c.signing_secret
                )
            });
        }
        TenantCommand::List { api } => {
            let tenants = api.client()?.tenants().await.map_err(readable)?;
            show(&api, &tenants, |list| {
                let mut out = String::new();
                for t in list {
                    out += &format!(
                        "{:<20} {:<30} {:<12} ревизия {}{}\n",
                        t.id,
                        t.company,
                        t.active_version.as_deref().map_or("—", short),
                        t.revision,
                        if t.disabled { "  ОТКЛЮЧЁН" } else { "" }
                    );
                }
                if list.is_empty() {
                    out += "тенантов нет\n";
                }
                out
            });
        }
        TenantCommand::Show { api } => {
            let view = api.client()?.tenant(&api.tenant).await.map_err(readable)?;
            show(&api, &view, tenant_summary);
        }
        TenantCommand::Set(args) => {
            let change = settings_change(&args)?;
            let view = args
                .api
                .client()?
                .change_settings(&args.api.tenant, &change)
                .await
                .map_err(readable)?;
            show(&args.api, &view, tenant_summary);
        }
        TenantCommand::Disable { api } => {
            let view = api
                .client()?
                .set_disabled(&api.tenant, true)
                .await
                .map_err(readable)?;
            show(&api, &view, tenant_summary);
        }
        TenantCommand::Enable { api } => {
            let view = api
                .client()?
                .set_disabled(&api.tenant, false)
                .await
                .map_err(readable)?;
            show(&api, &view, tenant_summary);
        }
        TenantCommand::History { api } => {
            let history = api.client()?.history(&api.tenant).await.map_err(readable)?;
            show(&api, &history, |lines| {
                lines
                    .iter()
                    .map(|h| format!("{:>4}  {}  {:<22} {}\n", h.revision, h.at, h.by, h.change))
                    .collect()
            });
        }
        TenantCommand::RotateSecret { revoke_old, api } => {
            let rotated = api
                .client()?
                .rotate_signing_secret(&api.tenant, !revoke_old)
                .await
                .map_err(readable)?;
            show(&api, &rotated, |r| {
                let old = match &r.previous_valid_until {
                    Some(until) => format!(
                        "прежний принимается до {until} — обновите секрет в приложении VoxEngine до этого времени"
                    ),
                    None => "прежние секреты больше не принимаются".to_owned(),
                };
                format!(
                    "новый секрет подписи (показан один раз): {}\n{old}\n",
                    r.signing_secret
                )
            });
        }
        TenantCommand::Key(KeyCommand::Issue { label, api }) => {
            let issued = api
                .client()?
                .issue_key(&api.tenant, &label)
                .await
                .map_err(readable)?;
            show(&api, &issued, |k| {
                format!("ключ {} выпущен (показан один раз): {}\n", k.info.id, k.key)
            });
        }
        TenantCommand::Key(KeyCommand::List { api }) => {
            let keys = api.client()?.keys(&api.tenant).await.map_err(readable)?;
            show(&api, &keys, |keys| {
                let mut out: String = keys
                    .iter()
                    .map(|k| {
                        format!(
                            "{}  {}  {}{}\n",
                            k.id,
                            k.created_at,
                            k.label,
                            k.revoked_at
                                .as_deref()
                                .map(|at| format!("  отозван {at}"))
                                .unwrap_or_default()
                        )
                    })
                    .collect();
                if keys.is_empty() {
                    out += "ключей нет\n";
                }
                out
            });
        }
        TenantCommand::Key(KeyCommand::Revoke { key_id, api }) => {
            let key = api
                .client()?
                .revoke_key(&api.tenant, &key_id)
                .await
                .map_err(readable)?;
            show(&api, &key, |k| format!("ключ {} отозван\n", k.id));
        }
    }
    Ok(())
}

fn settings_change(args: &SetArgs) -> anyhow::Result<SettingsChange> {
    let crm = args.crm_portal.as_ref().map(|portal| {
        (!portal.is_empty()).then(|| CrmConnection {
            webhook_user_id: args.crm_webhook_user,
            ..CrmConnection::new(portal, CrmAuth::Webhook)
        })
    });
    Ok(SettingsChange {
        company: args.company.clone(),
        product: args.product.clone(),
        manager_phone: args.manager_phone.clone(),
        voice: args.voice.clone(),
        fallback_phrase: args.fallback_phrase.clone(),
        utc_offset_minutes: args.utc_offset_minutes,
        retention_days: args.retention_days,
        texts: (!args.texts.is_empty()).then(|| args.texts.iter().cloned().collect()),
        settings: None,
        prices: None,
        crm,
        crm_secrets: args.crm_webhook_code.as_ref().map(|code| CrmSecrets {
            webhook_code: Some(code.clone()),
            ..CrmSecrets::default()
        }),
        calls: (args.record.is_some() || args.transfer_timeout.is_some()).then_some(
            sva_admin::CallsChange {
                record: args.record,
                transfer_timeout_s: args.transfer_timeout,
            },
        ),
        llm: (args.llm.is_some() || args.llm_phrase.is_some() || args.llm_provider.is_some()).then(
            || sva_tenants::ModelChange {
                enabled: args.llm,
                phrase: args.llm_phrase,
                provider: args
                    .llm_provider
                    .as_ref()
                    .map(|p| (p != "default").then(|| p.clone())),
                ..sva_tenants::ModelChange::default()
            },
        ),
        dialog: dialog_change(args)?,
    })
}

fn short(version: &str) -> &str {
    version.get(..12).unwrap_or(version)
}

fn tenant_summary(view: &TenantView) -> String {
    let s = &view.settings;
    let mut out = format!(
        "тенант     {}{}\nкомпания   {}\nпродукт    {}\nменеджер   {}\nголос      {}\nчасовой пояс UTC{:+}:{:02}\nхранение   {} дн.\nсценарий   {}\n",
        s.id,
        if s.disabled {
            " (ОТКЛЮЧЁН)"
        } else {
            ""
        },
        s.company,
        s.product,
        s.manager_phone.as_deref().unwrap_or("—"),
        s.voice,
        s.utc_offset_minutes / 60,
        (s.utc_offset_minutes % 60).abs(),
        s.retention_days,
        routing_summary(&s.scenario).trim_end(),
    );
    for (key, text) in &s.texts {
        out += &format!("текст      {key} = «{text}»\n");
    }
    if let Some(crm) = &s.crm {
        out += &format!(
            "CRM        {} ({:?}); секреты: {}\n",
            crm.portal,
            crm.auth,
            if view.crm_secrets_set.is_empty() {
                "нет".to_owned()
            } else {
                view.crm_secrets_set.join(", ")
            }
        );
    }
    out += &dialog_summary(&s.dialog);
    out += &format!("ревизия    {}\n", s.revision);
    out
}

/// The dialog settings, a line each: escalation, temperature, departments.
fn dialog_summary(dialog: &sva_tenants::DialogSettings) -> String {
    let t = &dialog.temperature;
    let mut out = format!(
        "диалог     менеджер после {} непонятых ответов подряд; горячий лид от {}, тёплый от {}, срочно — до {} дн.\n",
        dialog.misunderstanding_limit, t.hot_score, t.warm_score, t.urgent_days
    );
    for d in &dialog.departments {
        let hours = if d.hours.is_empty() {
            "круглосуточно".to_owned()
        } else {
            d.hours
                .iter()
                .map(|h| {
                    let days: Vec<&str> = h.days.iter().map(|day| day.name()).collect();
                    format!("{} {}–{}", days.join(","), h.open, h.close)
                })
                .collect::<Vec<_>>()
                .join("; ")
        };
        let zone = d
            .utc_offset_minutes
            .map(|m| format!(" (UTC{:+}:{:02})", m / 60, (m % 60).abs()))
            .unwrap_or_default();
        out += &format!("отдел      {} {} {hours}{zone}\n", d.id, d.phone);
    }
    out
}

/// The admin API's replay report as `sva scenario replay` prints its own.
fn replay_summary(report: &serde_json::Value) -> String {
    let calls: Vec<sva_script::CallReplay> =
        serde_json::from_value(report["calls"].clone()).unwrap_or_default();
    let mut out = format!(
        "version {} on the calls of {} to {}\n",
        report["version"].as_str().unwrap_or_default(),
        report["from"].as_str().unwrap_or_default(),
        report["to"].as_str().unwrap_or_default()
    );
    out += &crate::replay::table(&calls);
    for line in report["not_replayed"].as_array().into_iter().flatten() {
        out += &format!("✗ {}\n", line.as_str().unwrap_or_default());
    }
    for (change, count) in report["outcome_changes"].as_object().into_iter().flatten() {
        out += &format!("{change}: {count}\n");
    }
    out += &format!(
        "{} calls replayed, {} changed, {} not replayed\n",
        calls.len(),
        report["changed"],
        report["not_replayed"].as_array().map_or(0, Vec::len)
    );
    out
}

fn routing_summary(routing: &ScenarioRouting) -> String {
    let active = routing.active.as_deref().map_or("—", short);
    match &routing.split {
        Some(split) => format!(
            "{active} ({}%), {} ({}%)\n",
            100 - u32::from(split.percent),
            short(&split.version),
            split.percent
        ),
        None => format!("{active}\n"),
    }
}

fn version_line(v: &VersionView) -> String {
    let role = match v.role.as_str() {
        "active" => "активна",
        "split" => "A/B",
        "previous" => "прежняя",
        _ => "",
    };
    let name = v
        .info
        .manifest
        .as_ref()
        .map(|m| format!("{} {}", m.name, m.version))
        .unwrap_or_default();
    format!(
        "{}  {:>4} КиБ  {}  {:<8} {:>3}%  {}\n",
        short(&v.info.version),
        v.info.size.div_ceil(1024),
        v.info.uploaded_at,
        role,
        v.share_percent,
        name
    )
}

/// Runs a scenario subcommand that goes through the admin API.
pub fn scenario(command: ScenarioAdmin) -> anyhow::Result<ExitCode> {
    runtime()?.block_on(scenario_async(command))?;
    Ok(ExitCode::SUCCESS)
}

async fn scenario_async(command: ScenarioAdmin) -> anyhow::Result<()> {
    match command {
        ScenarioAdmin::Upload {
            module,
            activate,
            api,
        } => {
            let wasm = std::fs::read(&module)
                .with_context(|| format!("не читается модуль {}", module.display()))?;
            // The text format is compiled here, so a hand-written module uploads as is.
            let wasm = match module.extension().and_then(|e| e.to_str()) {
                Some("wat") => wat::parse_bytes(&wasm)
                    .with_context(|| format!("{} — не модуль WAT", module.display()))?
                    .into_owned(),
                _ => wasm,
            };
            let client = api.client()?;
            let uploaded = client.upload(&api.tenant, wasm).await.map_err(readable)?;
            show(&api, &uploaded, |u| {
                let said = u
                    .version
                    .info
                    .dry_run
                    .said
                    .first()
                    .cloned()
                    .unwrap_or_default();
                format!(
                    "{} версия {}\n  пробный шаг call_started: {} инструкций; скажет «{}»\n",
                    if u.created {
                        "загружена новая"
                    } else {
                        "уже загружена"
                    },
                    u.version.info.version,
                    u.version.info.dry_run.fuel,
                    said
                )
            });
            if activate {
                let routing = client
                    .activate(&api.tenant, &uploaded.version.info.version)
                    .await
                    .map_err(readable)?;
                if !api.json {
                    print!("активна: {}", routing_summary(&routing));
                }
            }
        }
        ScenarioAdmin::Versions { api } => {
            let view = api
                .client()?
                .scenarios(&api.tenant)
                .await
                .map_err(readable)?;
            show(&api, &view, |v| {
                let mut out: String = v.versions.iter().map(version_line).collect();
                if v.versions.is_empty() {
                    out += "версий нет: загрузите модуль `sva scenario upload файл.wasm`\n";
                }
                out
            });
        }
        ScenarioAdmin::Activate { version, api } => {
            let routing = api
                .client()?
                .activate(&api.tenant, &version)
                .await
                .map_err(readable)?;
            show(&api, &routing, |r| {
                format!("активна: {}", routing_summary(r))
            });
        }
        ScenarioAdmin::Try {
            version,
            from,
            to,
            limit,
            api,
        } => {
            let request = sva_admin::ReplayRequest { from, to, limit };
            let report = api
                .client()?
                .replay(&api.tenant, &version, &request)
                .await
                .map_err(readable)?;
            show(&api, &report, replay_summary);
        }
        ScenarioAdmin::Rollback { api } => {
            let routing = api
                .client()?
                .roll_back(&api.tenant)
                .await
                .map_err(readable)?;
            show(&api, &routing, |r| {
                format!("откат; активна: {}", routing_summary(r))
            });
        }
        ScenarioAdmin::Split {
            version,
            percent,
            api,
        } => {
            let routing = api
                .client()?
                .split(&api.tenant, &version, percent)
                .await
                .map_err(readable)?;
            show(&api, &routing, |r| {
                format!("новые звонки: {}", routing_summary(r))
            });
        }
    }
    Ok(())
}
