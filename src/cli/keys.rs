//! `clearproof keys …`: key pairs.

use anyhow::Result;
use clap::Subcommand;
use clearproof_protocol::signature::SecretKey;
use clearproof_sequencer::genesis;

use super::print_json;

#[derive(Subcommand)]
pub(crate) enum KeysCommand {
    /// Generate a Baby Jubjub key pair; prints `{"secret", "public"}` (hex).
    New,
    /// Print a built-in devnet oracle committee member's key (public
    /// knowledge: insecure).
    DevnetOracle {
        /// The member (0 to 3).
        #[arg(long, default_value_t = 0, value_parser = clap::value_parser!(u8).range(0..4))]
        member: u8,
    },
}

pub(crate) fn run(command: KeysCommand) -> Result<()> {
    let secret = match command {
        KeysCommand::New => SecretKey::generate(&mut rand::rngs::OsRng),
        KeysCommand::DevnetOracle { member } => genesis::devnet_oracle(member as usize),
    };
    print_json(&serde_json::json!({
        "secret": secret.to_hex(),
        "public": secret.public_key().to_hex(),
    }))
}
