#!/usr/bin/env bash
# The aggregation ladder end to end: for 1, 2, 4, … chunks per batch (while a
# rung fits the memory limit), the aggregation's keygen and proving time, peak
# memory and shape (`cargo bench -p clearproof-circuits --bench aggregation`),
# then each rung's generated verifier compiled with the pinned solc-js and its
# batch posted to Settlement.sol in revm: bytecode size, gas for verification and
# for settlement, calldata bytes, gas per trade next to StarkEx's figure.
#
# usage: verifier/evm/bench.sh   (needs cargo and node; AGG_LADDER=1,2 to pick
#        rungs; about 10 minutes per chunk of the largest rung on 2 cores)
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
cd "$here/../.."
target="${CARGO_TARGET_DIR:-$PWD/target}"

rm -rf "$target/aggregation"
cargo bench --locked -p clearproof-circuits --bench aggregation

cd "$here"
if [[ ! -d node_modules/solc || package-lock.json -nt node_modules/.package-lock.json ]]; then
  npm ci --no-audit --no-fund
fi
for rung in "$target"/aggregation/c*/; do
  node compile.js --no-optimize --out "$rung/build" "$rung/Verifier.sol"
done
cd "$here/../.."
cargo bench --locked -p clearproof-verifier --features evm --bench evm_gas
