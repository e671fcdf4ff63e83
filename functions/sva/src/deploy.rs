//! `sva deploy voximplant`: the tenant's Voximplant application, made or brought up to
//! date through Voximplant's Management API (`sva-voximplant`): the application, the
//! VoxEngine scenario, the rule that runs it for inbound calls, and the secrets the
//! scenario reads. Idempotent: a second run changes nothing and says so.

use anyhow::Context as _;
use clap::{Args, Subcommand};
use std::path::PathBuf;
use sva_voximplant::{Client, ClientConfig, DeployPlan, Secret, SvaSecrets};

/// The VoxEngine scenario the application runs.
const SCRIPT: &str = "scenarios/voxengine/sales-assistant.voxengine.js";

/// What to deploy.
#[derive(Subcommand)]
pub enum Command {
    /// The tenant's Voximplant application: scenario, inbound rule, secrets.
    Voximplant(VoximplantArgs),
}

/// `sva deploy voximplant`.
#[derive(Args)]
pub struct VoximplantArgs {
    /// The Voximplant service account's key file (JSON, as the control panel issues it).
    #[arg(long, env = "VOXIMPLANT_KEY")]
    key: PathBuf,
    /// The tenant whose calls the application takes (the application is `sva-{tenant}`).
    #[arg(long, env = "SVA_TENANT")]
    tenant: String,
    /// The dialog function's base URL (the API gateway: `terraform output api_url`).
    #[arg(long, env = "SVA_FUNCTION_URL")]
    function_url: String,
    /// The tenant's signing secret (from `sva tenant create` or a rotation); read from
    /// the environment so it never shows in a process list.
    #[arg(
        long = "signing-secret",
        env = "SVA_SIGNING_SECRET",
        hide_env_values = true
    )]
    signing_secret: String,
    /// A rented number: the caller id of outbound calls and transfers (E.164).
    #[arg(long, env = "SVA_CALLER_ID")]
    caller_id: String,
    /// Where callers go when the function cannot answer (E.164); omitted: removed.
    #[arg(long, env = "SVA_FALLBACK_NUMBER")]
    fallback_number: Option<String>,
    /// The VoxEngine scenario to upload.
    #[arg(long, default_value = SCRIPT)]
    script: PathBuf,
    /// The Management API (a stand-in's, in tests).
    #[arg(long, env = "VOXIMPLANT_API_URL", default_value = sva_voximplant::DEFAULT_BASE_URL)]
    api_url: String,
}

/// Runs `sva deploy …`.
pub fn run(command: Command) -> anyhow::Result<std::process::ExitCode> {
    let Command::Voximplant(args) = command;
    for (what, number) in [
        ("--caller-id", Some(&args.caller_id)),
        ("--fallback-number", args.fallback_number.as_ref()),
    ] {
        if let Some(number) = number
            && !sva_abi::phone::is_e164(number)
        {
            anyhow::bail!("{what} must be E.164 (+74951234567), not {number:?}");
        }
    }
    let script = std::fs::read_to_string(&args.script)
        .with_context(|| format!("the VoxEngine scenario {}", args.script.display()))?;
    let config = ClientConfig {
        base_url: args.api_url.clone(),
        ..ClientConfig::default()
    };
    let client = Client::from_key_file(&args.key, &config)
        .with_context(|| format!("the Voximplant key {}", args.key.display()))?;
    let plan = DeployPlan::sva(
        &args.tenant,
        script,
        SvaSecrets {
            function_url: Secret::new(args.function_url.trim_end_matches('/')),
            tenant: Secret::new(args.tenant.as_str()),
            signing_secret: Secret::new(args.signing_secret.as_str()),
            caller_id: Secret::new(args.caller_id.as_str()),
            fallback_number: args.fallback_number.as_deref().map(Secret::new),
        },
    );
    let runtime = tokio::runtime::Runtime::new()?;
    let report = runtime.block_on(sva_voximplant::deploy(&client, &plan))?;
    print!("{report}");
    Ok(std::process::ExitCode::SUCCESS)
}
