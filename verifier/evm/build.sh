#!/usr/bin/env bash
# Regenerates the EVM fixtures: the generated Solidity (Poseidon.sol, from the
# Rust spec), then every contract under contracts/ compiled with the pinned
# solc-js into build/ (<Contract>.bin and manifest.json, committed: the Rust
# tests read them and CI has no node).
#
# usage: verifier/evm/build.sh            (from anywhere; needs cargo and node)
#        verifier/evm/build.sh --no-generate   (skip the cargo steps)
#        verifier/evm/build.sh --fixtures      (also re-prove the fixtures: the
#            production aggregation key, two batches aggregated, the Solidity
#            verifier generated; about 10 minutes and 9 GB on 2 cores. Needed
#            when the chunk or aggregation verifying key changes.)
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
cd "$here"

if [[ "${1:-}" == "--fixtures" ]]; then
  AGG_FIXTURES="$here" cargo bench --locked -p clearproof-circuits --bench aggregation
fi
if [[ "${1:-}" != "--no-generate" ]]; then
  # The generator runs as a test that writes the file instead of comparing it.
  CLEARPROOF_REGENERATE_EVM=1 cargo test --locked -q -p clearproof-verifier --features evm \
    --test evm poseidon_sol_is_generated
fi

# npm ci when node_modules is missing or older than the lockfile.
if [[ ! -d node_modules/solc || package-lock.json -nt node_modules/.package-lock.json ]]; then
  npm ci --no-audit --no-fund
fi

# The generated aggregation verifier (Verifier.sol) is compiled on its own with
# the optimizer off, as snark-verifier compiles it (solc-js runs out of memory
# optimising it); the hand-written contracts with the optimizer.
mapfile -t sources < <(find contracts -name '*.sol' -o -name '*.yul' | grep -v '^contracts/Verifier.sol$' | LC_ALL=C sort)
node compile.js --clean "${sources[@]}"
if [[ -f contracts/Verifier.sol ]]; then
  node compile.js --no-optimize contracts/Verifier.sol
fi
