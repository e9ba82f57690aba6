//! `clearproof submit`: JSON lines to a sequencer, one receipt printed per line.
//! Oracle observations go to `/v1/observations`, everything else to
//! `/v1/transactions`.

use std::io::BufRead;
use std::time::Duration;

use anyhow::{bail, Context, Result};
use clap::Args;
use clearproof_api::client::{BlockingClient, ClientError};
use clearproof_api::wire::OBSERVATION_TYPES;

use super::print_json;

#[derive(Args)]
pub(crate) struct SubmitArgs {
    /// Sequencer base URL.
    #[arg(long)]
    sequencer: String,
    /// File of JSON lines, or `-` for standard input.
    #[arg(default_value = "-")]
    file: String,
    /// Wait until each accepted transaction is committed in a batch.
    #[arg(long)]
    wait: bool,
}

/// Whether a line is an oracle observation (for `/v1/observations`).
fn is_observation(line: &str) -> bool {
    serde_json::from_str::<serde_json::Value>(line)
        .ok()
        .and_then(|v| v.get("type").and_then(|t| t.as_str()).map(str::to_owned))
        .is_some_and(|t| OBSERVATION_TYPES.contains(&t.as_str()))
}

pub(crate) fn run(args: &SubmitArgs) -> Result<()> {
    let reader: Box<dyn BufRead> = if args.file == "-" {
        Box::new(std::io::stdin().lock())
    } else {
        Box::new(std::io::BufReader::new(
            std::fs::File::open(&args.file).with_context(|| format!("opening {}", args.file))?,
        ))
    };
    let client = BlockingClient::new(&args.sequencer)?;
    let mut rejected = 0;
    for line in reader.lines() {
        let line = line?;
        if line.trim().is_empty() {
            continue;
        }
        if is_observation(&line) {
            match client.run(|c| c.observe_line(&line)) {
                Ok(receipt) => print_json(&receipt)?,
                Err(e @ (ClientError::Refused { .. } | ClientError::Unexpected { .. })) => {
                    rejected += 1;
                    print_json(&e.body())?;
                }
                Err(e) => return Err(e.into()),
            }
            continue;
        }
        match client.run(|c| c.submit_line(&line)) {
            Ok(accepted) if args.wait => {
                let id = accepted.receipt.id;
                let wait = Duration::from_secs(30);
                print_json(&client.run(|c| c.wait_committed(&id, wait))?)?;
            }
            Ok(accepted) => print_json(&accepted.receipt)?,
            // A refusal, or an answer that is not the API's: reported, and the
            // next line goes on.
            Err(e @ (ClientError::Refused { .. } | ClientError::Unexpected { .. })) => {
                rejected += 1;
                print_json(&e.body())?;
            }
            Err(e) => return Err(e.into()),
        }
    }
    if rejected > 0 {
        bail!("{rejected} submission(s) rejected");
    }
    Ok(())
}
