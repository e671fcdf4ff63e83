//! `sva`: the Sales Voice Assistant command line.
//!
//! Thin wiring over the libraries: every command parses its arguments, calls a library,
//! and prints. Errors reach the user as one readable sentence and a non-zero exit code.

mod nlu;
mod scenario;

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
    /// Scenario modules: validate, talk to, and test them.
    #[command(subcommand)]
    Scenario(scenario::Command),
    /// Russian understanding of caller utterances.
    #[command(subcommand)]
    Nlu(nlu::Command),
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Scenario(command) => scenario::run(command),
        Command::Nlu(command) => nlu::run(command),
    };
    match result {
        Ok(code) => code,
        Err(error) => {
            eprintln!("ошибка: {error:#}");
            ExitCode::FAILURE
        }
    }
}
