//! `sva dev`: the local stack in the foreground.

use clap::Args;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;
use sva_local::{LocalOptions, LocalStack};

/// `sva dev` arguments.
#[derive(Args)]
pub struct DevArgs {
    /// Where to listen.
    #[arg(long, default_value = "127.0.0.1:8080")]
    listen: SocketAddr,
    /// The data directory (tenants, scenarios, call records, the outbox).
    #[arg(long, default_value = ".sva/data")]
    data: PathBuf,
    /// The default scenario module the demo tenant runs.
    #[arg(long, default_value = sva_local::DEFAULT_SCENARIO)]
    scenario: PathBuf,
}

pub fn run(args: DevArgs) -> anyhow::Result<ExitCode> {
    sva_kit::logging::init(sva_kit::logging::LogFormat::Pretty)?;
    let runtime = tokio::runtime::Runtime::new()?;
    runtime.block_on(async {
        let stack = LocalStack::start(LocalOptions {
            // Off unless SVA_EMBEDDINGS_FOLDER and SVA_EMBEDDINGS_API_KEY are set.
            embeddings: sva_retrieval::EmbeddingsConfig::from_env()?,
            // Off unless SVA_LLM_FOLDER + SVA_LLM_API_KEY (or SVA_LLM_URL) are set.
            llm: sva_llm::ProviderConfig::all_from_vars(|name| std::env::var(name).ok())?,
            data_dir: args.data.clone(),
            listen: args.listen,
            scenario: args.scenario,
            ..LocalOptions::default()
        })
        .await?;
        let demo = stack.demo();
        println!("Локальный стенд запущен: {}", stack.url());
        println!(
            "  демо-компания «ТехноСклад»: тенант {}, сценарий {}",
            demo.id,
            &demo.version[..12]
        );
        println!("  данные: {}", args.data.display());
        println!();
        println!("Поговорить с ассистентом — в другом терминале:");
        println!("  cargo run -q -p sva -- call --url {}", stack.url());
        println!(
            "Админ-API: {}/v1/tenants (OpenAPI: {}/openapi.json); ключ оператора — {}/{}",
            stack.url(),
            stack.url(),
            args.data.display(),
            sva_local::OPERATOR_KEY_OBJECT
        );
        println!(
            "  загрузить свой сценарий: cargo run -q -p sva -- scenario upload файл.wasm --activate"
        );
        println!(
            "Звонки пишутся в {}/calls/, задания для CRM — в {}/outbox/crm/.",
            args.data.display(),
            args.data.display()
        );
        println!(
            "CRM демо-компании — песочница Битрикс24 на этом же порту: {}/_sandbox/ \
             (лиды: cargo run -q -p sva -- crm leads --url {})",
            stack.url(),
            stack.url()
        );
        println!("Остановить — Ctrl-C.");
        stack.run_until_stopped().await;
        anyhow::Ok(())
    })?;
    Ok(ExitCode::SUCCESS)
}
