//! The `clearproof` command line: parses arguments and calls the library crates.

use anyhow::Result;
use clap::{Parser, Subcommand};

use clearproof_circuits::signature::SecretKey;

/// clearproof: a zero-knowledge rollup for derivative settlement.
#[derive(Parser)]
#[command(name = "clearproof", version, about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Key management.
    Keys {
        #[command(subcommand)]
        command: KeysCommand,
    },
}

#[derive(Subcommand)]
enum KeysCommand {
    /// Generate a Baby Jubjub key pair; prints JSON with `secret` and `public` (hex).
    New,
}

fn main() -> Result<()> {
    match Cli::parse().command {
        Command::Keys { command: KeysCommand::New } => {
            let secret = SecretKey::generate(&mut rand::rngs::OsRng);
            let out = serde_json::json!({
                "secret": secret.to_hex(),
                "public": secret.public_key().to_hex(),
            });
            println!("{}", serde_json::to_string_pretty(&out)?);
        }
    }
    Ok(())
}
