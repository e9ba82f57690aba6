//! `clearproof keys …`: key pairs.

use anyhow::Result;
use clap::Subcommand;
use clearproof_circuits::signature::SecretKey;
use clearproof_sequencer::genesis;

use super::print_json;

#[derive(Subcommand)]
pub enum KeysCommand {
    /// Generate a Baby Jubjub key pair; prints `{"secret", "public"}` (hex).
    New,
    /// Print the built-in devnet oracle key (public knowledge: insecure).
    DevnetOracle,
}

pub fn run(command: KeysCommand) -> Result<()> {
    let secret = match command {
        KeysCommand::New => SecretKey::generate(&mut rand::rngs::OsRng),
        KeysCommand::DevnetOracle => genesis::devnet_oracle(),
    };
    print_json(&serde_json::json!({
        "secret": secret.to_hex(),
        "public": secret.public_key().to_hex(),
    }))
}
