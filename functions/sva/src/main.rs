//! `sva`: the Sales Voice Assistant command line.
//!
//! Thin wiring over the libraries: every command parses its arguments, calls a library,
//! and prints. Errors reach the user as one readable sentence and a non-zero exit code.

// The arguments' doc comments are the command's `--help` text, printed as written: a
// URL there is for the terminal, not a link.
#![allow(rustdoc::bare_urls)]

mod admin;
mod call;
mod campaign;
mod crm;
mod deploy;
mod dev;
mod kb;
mod load;
mod nlu;
mod replay;
mod report;
mod scenario;
mod store;

use clap::{Parser, Subcommand};
use std::process::ExitCode;

#[derive(Parser)]
#[command(
    name = "sva",
    version,
    about = "Голосовой ассистент отдела продаж — Sales Voice Assistant"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Scenario modules: validate, talk to and test them; upload, activate, roll back, split.
    #[command(subcommand)]
    Scenario(scenario::Command),
    /// Tenants through the admin API: create, list, settings, keys, signing secret.
    #[command(subcommand)]
    Tenant(admin::TenantCommand),
    /// Russian understanding of caller utterances.
    #[command(subcommand)]
    Nlu(nlu::Command),
    /// The local stack: every function on one port, the demo tenant, a local data directory.
    Dev(dev::DevArgs),
    /// Call the assistant from the terminal, as VoxEngine would (signed turns, state tokens).
    Call(call::CallArgs),
    /// Load generator: concurrent scripted calls; turns/s and turn latency.
    Load(load::LoadArgs),
    /// What calls cost and brought: per call, day, scenario version, outcome; A/B test.
    Report(report::ReportArgs),
    /// What reached Bitrix24: the sandbox's leads, the outbox, dead letters and retries.
    #[command(subcommand)]
    Crm(crm::Command),
    /// The knowledge base: upload sources, search as the assistant does, unanswered questions.
    #[command(subcommand)]
    Kb(kb::Command),
    /// Outbound campaigns: build one from a contact file, list, show, pause, resume, cancel.
    #[command(subcommand)]
    Campaign(campaign::Command),
    /// Deployment: the tenant's Voximplant application (scenario, rule, secrets).
    #[command(subcommand)]
    Deploy(deploy::Command),
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Scenario(command) => scenario::run(command),
        Command::Tenant(command) => admin::tenant(command),
        Command::Nlu(command) => nlu::run(command),
        Command::Dev(args) => dev::run(args),
        Command::Call(args) => call::run(args),
        Command::Load(args) => load::run(args),
        Command::Report(args) => report::run(args),
        Command::Crm(command) => crm::run(command),
        Command::Kb(command) => kb::run(command),
        Command::Deploy(command) => deploy::run(command),
        Command::Campaign(command) => campaign::run(command),
    };
    match result {
        Ok(code) => code,
        Err(error) => {
            eprintln!("ошибка: {error:#}");
            ExitCode::FAILURE
        }
    }
}

#[cfg(test)]
mod tests {
    use super::Cli;
    use clap::CommandFactory as _;

    /// Every command's arguments are consistent (unique names, no clash between a
    /// command's own flags and the flattened ones) — clap checks it only when the
    /// command is built, so a clash would otherwise panic at its first use.
    #[test]
    fn every_command_line_is_consistent() {
        Cli::command().debug_assert();
    }
}
