//! The chunk circuit — **in progress**: chunk-level state (accounts root, markets
//! and globals opened against `prev_state_root`, carried through the slots,
//! hashed into `next_state_root`), the public inputs, the data-hash chain, the
//! transaction-type one-hot, the oracle transactions (`PriceUpdate`,
//! `FundingTick`) and the single-account transactions (`Deposit`, `Withdraw`,
//! `CoverDeficit`) with their §5–§6 rules. The two-account types (`Trade`,
//! `Liquidate`, `Deleverage`) are constrained **off**: a chunk containing one
//! cannot be proven until their gadgets land (see `docs/CIRCUIT-DESIGN.md`).

use halo2_base::gates::circuit::builder::BaseCircuitBuilder;
use halo2_base::gates::circuit::CircuitBuilderStage;
use halo2_base::gates::{GateInstructions, RangeChip, RangeInstructions};
use halo2_base::QuantumCell::Constant;

use super::account::AssignedAccount;
use super::arith::assert_nonneg_if;
use super::hash::CircuitHasher;
use super::margin::Margin;
use super::market::{markets_hash, AssignedMarket};
use super::num::{check_amount, check_bits, check_signed63};
use super::public::{data_hash_step, data_hash_step_in_circuit, Instance, NUM_PUBLIC_INPUTS};
use super::{funding, merkle, Cell, Ctx};
use crate::batch::{AccountUpdate, BatchOutput};
use crate::margin::MarginLevel;
use crate::params::{MARKETS, TX_ENCODING_LEN};
use crate::state::{Globals, Market, MarketParams};
use crate::tx::{tag, Transaction};
use crate::Fr;

/// Number of transaction tags (0 = no-op … 8 = `FundingTick`).
const TAGS: usize = 9;
/// Bits bounding `max_funding_rate·price·Δt ± Δindex·2^32` (< 2^137).
const FUNDING_BOUND_BITS: usize = 140;

/// One slot: its transaction (`None` = no-op padding) and, for a single-account
/// transaction, the account's Merkle update from the native applier.
#[derive(Debug, Clone)]
pub struct SlotWitness {
    /// The transaction.
    pub tx: Option<Transaction>,
    /// The touched account (before/after, path), if any.
    pub account: Option<AccountUpdate>,
}

/// Everything a chunk proof needs: the state at the chunk's start and its slots.
#[derive(Debug, Clone)]
pub struct ChunkWitness {
    /// Account tree depth.
    pub depth: usize,
    /// Accounts root at the chunk's start.
    pub accounts_root: Fr,
    /// Markets at the chunk's start.
    pub markets: [Market; MARKETS],
    /// Globals at the chunk's start.
    pub globals: Globals,
    /// Data hash before the chunk.
    pub prev_data_hash: Fr,
    /// Exactly the chunk's number of slots.
    pub slots: Vec<SlotWitness>,
    /// The public inputs the native applier implies.
    pub instance: Instance,
}

/// Cuts a batch's applied transactions into chunks of `slots` slots (the last
/// padded with no-ops). `params` are the markets' genesis parameters;
/// `prev_data_hash` is the data hash before the batch (`0` for a batch's chain).
pub fn chunk_witnesses(
    batch: &BatchOutput,
    params: &[MarketParams; MARKETS],
    depth: usize,
    slots: usize,
    prev_data_hash: Fr,
) -> Vec<ChunkWitness> {
    let mut data_hash = prev_data_hash;
    batch
        .witnesses
        .chunks(slots)
        .map(|txs| {
            let first = &txs[0];
            let last = txs.last().expect("chunks are non-empty");
            let start_hash = data_hash;
            for w in txs {
                data_hash = data_hash_step(data_hash, &w.tx.encode());
            }
            let mut slot_witnesses: Vec<SlotWitness> = txs
                .iter()
                .map(|w| SlotWitness {
                    tx: Some(w.tx.clone()),
                    account: w.accounts.first().cloned(),
                })
                .collect();
            slot_witnesses.resize(slots, SlotWitness { tx: None, account: None });
            ChunkWitness {
                depth,
                accounts_root: first.accounts_root_before,
                markets: std::array::from_fn(|m| Market {
                    params: params[m],
                    state: first.markets_before[m],
                }),
                globals: first.globals_before,
                prev_data_hash: start_hash,
                slots: slot_witnesses,
                instance: Instance {
                    prev_state_root: first.state_root_before,
                    next_state_root: last.state_root_after,
                    prev_data_hash: start_hash,
                    next_data_hash: data_hash,
                },
            }
        })
        .collect()
}

fn encoding(slot: &SlotWitness) -> [Fr; TX_ENCODING_LEN] {
    slot.tx.as_ref().map_or([Fr::zero(); TX_ENCODING_LEN], Transaction::encode)
}

/// Global cells carried through the chunk.
struct GlobalCells {
    insurance_fund: Cell,
    fee_pool: Cell,
    batch_number: Cell,
}

impl GlobalCells {
    fn fields(&self) -> [Cell; 3] {
        [self.insurance_fund, self.fee_pool, self.batch_number]
    }
}

/// Lays out the chunk; returns the public-input cells in [`Instance`] order.
pub fn synthesize(ctx: &mut Ctx, range: &RangeChip<Fr>, w: &ChunkWitness) -> Vec<Cell> {
    let gate = range.gate();
    let hasher = CircuitHasher::new(ctx, gate);
    let mut accounts_root = ctx.load_witness(w.accounts_root);
    let mut markets = w.markets.map(|m| AssignedMarket::load(ctx, range, &m));
    let g = ctx.assign_witnesses(w.globals.fields());
    range.range_check(ctx, g[0], 63);
    range.range_check(ctx, g[1], 63);
    range.range_check(ctx, g[2], 64);
    let mut globals = GlobalCells { insurance_fund: g[0], fee_pool: g[1], batch_number: g[2] };
    let root =
        |ctx: &mut Ctx, accounts: Cell, markets: &[AssignedMarket; MARKETS], g: &GlobalCells| {
            let m = markets_hash(ctx, range, &hasher, markets);
            let gh = hasher.hash(ctx, gate, &g.fields());
            hasher.hash(ctx, gate, &[accounts, m, gh])
        };
    let prev_root = root(ctx, accounts_root, &markets, &globals);
    let prev_data_hash = ctx.load_witness(w.prev_data_hash);

    let mut data_hash = prev_data_hash;
    for slot in &w.slots {
        let enc: [Cell; TX_ENCODING_LEN] =
            ctx.assign_witnesses(encoding(slot)).try_into().expect("8 cells");
        // "slot type is one of the v1 tags": a one-hot indicator that sums to 1.
        let is = gate.idx_to_indicator(ctx, enc[0], TAGS);
        let total = gate.sum(ctx, is.iter().copied());
        gate.assert_is_const(ctx, &total, &Fr::one());
        // "two-account types are not in this circuit yet".
        for t in [tag::TRADE, tag::LIQUIDATE, tag::DELEVERAGE] {
            gate.assert_is_const(ctx, &is[t as usize], &Fr::zero());
        }
        let kind = |t: u64| is[t as usize];
        let (is_noop, is_deposit, is_withdraw, is_cover, is_price, is_funding) = (
            kind(tag::NOOP),
            kind(tag::DEPOSIT),
            kind(tag::WITHDRAW),
            kind(tag::COVER_DEFICIT),
            kind(tag::PRICE_UPDATE),
            kind(tag::FUNDING_TICK),
        );
        // "unused encoding fields are zero": field i is used by the types below.
        let uses = |ctx: &mut Ctx, field: usize| -> Cell {
            let users: Vec<Cell> = match field {
                1 => vec![is_deposit, is_withdraw, is_cover, is_price, is_funding],
                2 | 3 => vec![is_deposit, is_withdraw, is_price, is_funding],
                4 => vec![is_deposit],
                _ => vec![],
            };
            gate.sum(ctx, users)
        };
        for (i, field) in enc.iter().enumerate().skip(1) {
            let used = uses(ctx, i);
            let unused = gate.not(ctx, used);
            let masked = gate.mul(ctx, *field, unused);
            gate.assert_is_const(ctx, &masked, &Fr::zero());
        }
        oracle_slot(ctx, range, &mut markets, &enc, is_price, is_funding);
        let kinds = AccountKinds { deposit: is_deposit, withdraw: is_withdraw, cover: is_cover };
        accounts_root = account_slot(
            ctx,
            range,
            &hasher,
            w.depth,
            slot,
            &enc,
            kinds,
            &markets,
            &mut globals,
            accounts_root,
        );
        data_hash = data_hash_step_in_circuit(ctx, gate, &hasher, data_hash, &enc, is_noop);
    }

    let next_root = root(ctx, accounts_root, &markets, &globals);
    vec![prev_root, next_root, prev_data_hash, data_hash]
}

/// Type bits of the single-account transactions.
#[derive(Clone, Copy)]
struct AccountKinds {
    deposit: Cell,
    withdraw: Cell,
    cover: Cell,
}

/// `Deposit{account, owner, amount}`, `Withdraw{account, amount, nonce}` and
/// `CoverDeficit{account}`: one account's Merkle update, gated by their type
/// bits; returns the accounts root after the slot.
#[allow(clippy::too_many_arguments)]
fn account_slot(
    ctx: &mut Ctx,
    range: &RangeChip<Fr>,
    hasher: &CircuitHasher,
    depth: usize,
    slot: &SlotWitness,
    enc: &[Cell; TX_ENCODING_LEN],
    kinds: AccountKinds,
    markets: &[AssignedMarket; MARKETS],
    globals: &mut GlobalCells,
    accounts_root: Cell,
) -> Cell {
    let gate = range.gate();
    let active = gate.sum(ctx, [kinds.deposit, kinds.withdraw, kinds.cover]);
    // "account id < 2^depth" (the index bits are the Merkle path's directions).
    let index = gate.mul(ctx, enc[1], active);
    let bits = merkle::index_bits(ctx, range, index, depth);
    let siblings = ctx.assign_witnesses(
        slot.account.as_ref().map_or(vec![Fr::zero(); depth], |u| u.path.siblings.clone()),
    );
    let before =
        AssignedAccount::load(ctx, range, slot.account.as_ref().and_then(|u| u.before.as_ref()));
    // §5: funding first (an empty account settles to snapshots = indices).
    let settled = funding::settle(ctx, range, &before, markets);
    let one = ctx.load_constant(Fr::one());

    // Deposit: "owner matches an existing account"; amount 0 < x < 2^63.
    let (owner_x, owner_y, amount) = (enc[2], enc[3], enc[4]);
    let existing_deposit = gate.mul(ctx, kinds.deposit, before.exists);
    for (have, want) in [(before.owner_x, owner_x), (before.owner_y, owner_y)] {
        let diff = gate.sub(ctx, have, want);
        let bad = gate.mul(ctx, diff, existing_deposit);
        gate.assert_is_const(ctx, &bad, &Fr::zero());
    }
    let checked_amount = gate.select(ctx, amount, one, kinds.deposit);
    check_amount(ctx, range, checked_amount);
    let deposited = gate.add(ctx, settled.collateral, amount);
    let after_deposit =
        AssignedAccount { exists: one, owner_x, owner_y, collateral: deposited, ..settled.clone() };

    // Withdraw: "account exists", "nonce matches", amount 0 < x < 2^63,
    // "collateral ≥ 0 after", "healthy at im_bp after".
    let (w_amount, w_nonce) = (enc[2], enc[3]);
    let missing = gate.not(ctx, before.exists);
    let withdraw_or_cover = gate.add(ctx, kinds.withdraw, kinds.cover);
    let unknown = gate.mul(ctx, missing, withdraw_or_cover);
    gate.assert_is_const(ctx, &unknown, &Fr::zero());
    let nonce_diff = gate.sub(ctx, before.nonce, w_nonce);
    let bad_nonce = gate.mul(ctx, nonce_diff, kinds.withdraw);
    gate.assert_is_const(ctx, &bad_nonce, &Fr::zero());
    let checked_withdrawal = gate.select(ctx, w_amount, one, kinds.withdraw);
    check_amount(ctx, range, checked_withdrawal);
    // Zero outside withdrawals, so the margin below always sees bounded values
    // (field 2 is an owner coordinate in a deposit).
    let w_amount_used = gate.mul(ctx, w_amount, kinds.withdraw);
    let remaining = gate.sub(ctx, settled.collateral, w_amount_used);
    assert_nonneg_if(ctx, range, remaining, kinds.withdraw, 64);
    let next_nonce = gate.add(ctx, settled.nonce, Constant(Fr::one()));
    let after_withdraw =
        AssignedAccount { collateral: remaining, nonce: next_nonce, ..settled.clone() };
    let margin = Margin::new(ctx, range, &after_withdraw, markets);
    let healthy = margin.healthy(ctx, range, markets, MarginLevel::Initial);
    let unhealthy = gate.not(ctx, healthy);
    let bad = gate.mul(ctx, unhealthy, kinds.withdraw);
    gate.assert_is_const(ctx, &bad, &Fr::zero());

    // CoverDeficit: "all positions 0", "collateral < 0", "fund ≥ −collateral".
    for b in settled.balances {
        let open = gate.mul(ctx, b, kinds.cover);
        gate.assert_is_const(ctx, &open, &Fr::zero());
    }
    let deficit = gate.neg(ctx, settled.collateral);
    let deficit_minus_one = gate.sub(ctx, deficit, Constant(Fr::one()));
    assert_nonneg_if(ctx, range, deficit_minus_one, kinds.cover, 64);
    let fund_after = gate.add(ctx, globals.insurance_fund, settled.collateral);
    assert_nonneg_if(ctx, range, fund_after, kinds.cover, 64);
    globals.insurance_fund = gate.select(ctx, fund_after, globals.insurance_fund, kinds.cover);
    let zero = ctx.load_zero();
    let after_cover = AssignedAccount { collateral: zero, ..settled.clone() };

    // The new account: by type, or unchanged when the slot touches no account.
    let pick = |ctx: &mut Ctx, f: fn(&AssignedAccount) -> Cell| {
        let d = gate.select(ctx, f(&after_deposit), f(&before), kinds.deposit);
        let wd = gate.select(ctx, f(&after_withdraw), d, kinds.withdraw);
        gate.select(ctx, f(&after_cover), wd, kinds.cover)
    };
    let after = AssignedAccount {
        exists: pick(ctx, |a| a.exists),
        owner_x: pick(ctx, |a| a.owner_x),
        owner_y: pick(ctx, |a| a.owner_y),
        nonce: pick(ctx, |a| a.nonce),
        collateral: pick(ctx, |a| a.collateral),
        balances: std::array::from_fn(|m| {
            let d = gate.select(ctx, after_deposit.balances[m], before.balances[m], kinds.deposit);
            let wd = gate.select(ctx, after_withdraw.balances[m], d, kinds.withdraw);
            gate.select(ctx, after_cover.balances[m], wd, kinds.cover)
        }),
        snapshots: std::array::from_fn(|m| {
            gate.select(ctx, settled.snapshots[m], before.snapshots[m], active)
        }),
    };
    // "results stay in range": collateral |x| < 2^63, nonce < 2^40.
    check_signed63(ctx, range, after.collateral);
    check_bits(ctx, range, after.nonce, 40);

    // Merkle: membership of `before` and the new root, both only when active.
    let old_leaf = before.leaf(ctx, range, hasher);
    let new_leaf = after.leaf(ctx, range, hasher);
    let computed_old = merkle::root_of(ctx, range, hasher, &bits, &siblings, old_leaf);
    let mismatch = gate.sub(ctx, computed_old, accounts_root);
    let bad = gate.mul(ctx, mismatch, active);
    gate.assert_is_const(ctx, &bad, &Fr::zero());
    let computed_new = merkle::root_of(ctx, range, hasher, &bits, &siblings, new_leaf);
    gate.select(ctx, computed_new, accounts_root, active)
}

/// `PriceUpdate{market, price, timestamp}` and `FundingTick{market, index,
/// timestamp}` (fields 1..4 of the encoding), gated by their type bits.
fn oracle_slot(
    ctx: &mut Ctx,
    range: &RangeChip<Fr>,
    markets: &mut [AssignedMarket; MARKETS],
    enc: &[Cell; TX_ENCODING_LEN],
    is_price: Cell,
    is_funding: Cell,
) {
    let gate = range.gate();
    let active = gate.add(ctx, is_price, is_funding);
    // "market id < 4": its one-hot must sum to 1 (other types read market 0).
    let market_id = gate.mul(ctx, enc[1], active);
    let m_is = gate.idx_to_indicator(ctx, market_id, MARKETS);
    let total = gate.sum(ctx, m_is.iter().copied());
    gate.assert_is_const(ctx, &total, &Fr::one());
    let pick = |ctx: &mut Ctx, f: fn(&AssignedMarket) -> Cell| {
        let values: Vec<Cell> = markets.iter().map(f).collect();
        gate.select_by_indicator(ctx, values, m_is.iter().copied())
    };
    let price = pick(ctx, |m| m.price);
    let price_ts = pick(ctx, |m| m.price_ts);
    let index = pick(ctx, |m| m.funding_index);
    let funding_ts = pick(ctx, |m| m.funding_ts);
    let rate = pick(ctx, |m| m.max_funding_rate);
    let (value, timestamp) = (enc[2], enc[3]);

    // "timestamp < 2^40" for both oracle types.
    let ts = gate.mul(ctx, timestamp, active);
    range.range_check(ctx, ts, 40);
    // PriceUpdate: "price < 2^64", "price > 0", "timestamp > price_ts".
    let p = gate.mul(ctx, value, is_price);
    range.range_check(ctx, p, 64);
    let zero_price = gate.is_zero(ctx, value);
    let bad = gate.mul(ctx, zero_price, is_price);
    gate.assert_is_const(ctx, &bad, &Fr::zero());
    let newer = gate.sub(ctx, timestamp, price_ts);
    let newer = gate.sub(ctx, newer, Constant(Fr::one()));
    assert_nonneg_if(ctx, range, newer, is_price, 40);
    // FundingTick: "|index| < 2^63", "timestamp > funding_ts", and the rate bound
    // |index − funding_index|·2^32 ≤ max_funding_rate·price·(timestamp − funding_ts).
    let i = gate.mul(ctx, value, is_funding);
    check_signed63(ctx, range, i);
    let elapsed = gate.sub(ctx, timestamp, funding_ts);
    let newer = gate.sub(ctx, elapsed, Constant(Fr::one()));
    assert_nonneg_if(ctx, range, newer, is_funding, 40);
    let delta = gate.sub(ctx, value, index);
    let scaled_delta = gate.mul(ctx, delta, Constant(Fr::from(1u64 << 32)));
    let allowance = gate.mul(ctx, rate, price);
    let allowance = gate.mul(ctx, allowance, elapsed);
    let up = gate.sub(ctx, allowance, scaled_delta);
    let down = gate.add(ctx, allowance, scaled_delta);
    assert_nonneg_if(ctx, range, up, is_funding, FUNDING_BOUND_BITS);
    assert_nonneg_if(ctx, range, down, is_funding, FUNDING_BOUND_BITS);

    // Effects: the selected market takes the new values.
    for (m, market) in markets.iter_mut().enumerate() {
        let set_price = gate.mul(ctx, is_price, m_is[m]);
        let set_funding = gate.mul(ctx, is_funding, m_is[m]);
        market.price = gate.select(ctx, value, market.price, set_price);
        market.price_ts = gate.select(ctx, timestamp, market.price_ts, set_price);
        market.funding_index = gate.select(ctx, value, market.funding_index, set_funding);
        market.funding_ts = gate.select(ctx, timestamp, market.funding_ts, set_funding);
    }
}

/// A builder with the chunk laid out and its public inputs assigned to the
/// instance column, and the public values the circuit computed. `stage` must not
/// be a prover-only stage for MockProver or keygen.
pub fn builder(
    stage: CircuitBuilderStage,
    k: usize,
    w: &ChunkWitness,
) -> (BaseCircuitBuilder<Fr>, Vec<Fr>) {
    let mut builder = BaseCircuitBuilder::from_stage(stage)
        .use_k(k)
        .use_lookup_bits(k - 1)
        .use_instance_columns(1);
    let range = builder.range_chip();
    let public = synthesize(builder.main(0), &range, w);
    assert_eq!(public.len(), NUM_PUBLIC_INPUTS);
    let values = public.iter().map(|c| *c.value()).collect();
    builder.assigned_instances[0].extend(public);
    builder.calculate_params(Some(9));
    (builder, values)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::signature::SecretKey;
    use crate::state::{Genesis, MarketState, State};
    use crate::tx::*;
    use crate::types::*;
    use halo2_base::halo2_proofs::dev::MockProver;

    const K: usize = 17;
    const DEPTH: usize = 8;
    const SLOTS: usize = 4;
    const T0: u64 = 1_000;

    fn key(i: u8) -> SecretKey {
        SecretKey::from_bytes([i; 32]).unwrap()
    }

    fn params() -> [MarketParams; MARKETS] {
        [MarketParams::standard(key(200).public_key(), FundingRate::new(4_294_967).unwrap());
            MARKETS]
    }

    fn n(x: i128) -> Amount {
        Amount::new(x).unwrap()
    }

    fn id(i: u32) -> AccountId {
        AccountId::new(i as i128).unwrap()
    }

    fn mkt(m: u8) -> MarketId {
        MarketId::new(m as i128).unwrap()
    }

    fn deposit(account: u32, owner: u8, amount: i128) -> Transaction {
        Transaction::Deposit(Deposit {
            account: id(account),
            owner: key(owner).public_key(),
            amount: n(amount),
        })
    }

    fn withdraw(account: u32, amount: i128, nonce: i128) -> Transaction {
        Transaction::Withdraw(Withdraw {
            account: id(account),
            amount: n(amount),
            nonce: Nonce::new(nonce).unwrap(),
        })
    }

    fn price(m: u8, units: u32, ts: u64) -> Transaction {
        Transaction::PriceUpdate(PriceUpdate {
            market: mkt(m),
            price: Price::from_units(units),
            timestamp: Timestamp::new(ts as i128).unwrap(),
        })
    }

    fn tick(m: u8, index: i128, ts: u64) -> Transaction {
        Transaction::FundingTick(FundingTick {
            market: mkt(m),
            index: FundingIndex::new(index).unwrap(),
            timestamp: Timestamp::new(ts as i128).unwrap(),
        })
    }

    /// Batch 1 (not proven) leaves Alice (1) flat at −800, Bob (2) short 900,
    /// Carol (3) long 900; batch 2, the one proven, uses every type of this slice.
    fn proven_batch() -> Vec<ChunkWitness> {
        let t0 = Timestamp::new(T0 as i128).unwrap();
        let genesis = Genesis {
            markets: params()
                .map(|p| Market { params: p, state: MarketState::at(Price::from_units(100), t0) }),
            insurance_fund: Quote::new(5_000).unwrap(),
        };
        let mut state = State::genesis_with_depth(&genesis, DEPTH).unwrap();
        let setup = [
            deposit(1, 1, 10_000),
            deposit(2, 2, 10_000),
            deposit(3, 3, 1_000_000),
            deposit(4, 4, 1_000),
            Transaction::Trade(Trade {
                market: mkt(0),
                buyer: id(1),
                seller: id(2),
                base: n(900),
                quote: n(90_000),
                buyer_fee: Quote::ZERO,
                seller_fee: Quote::ZERO,
            }),
            price(0, 88, T0 + 1),
            Transaction::Liquidate(Liquidate {
                market: mkt(0),
                liquidated: id(1),
                liquidator: id(3),
                base: n(900),
                quote: n(79_200),
                penalty: Quote::ZERO,
            }),
        ];
        let out = state.apply_batch(&setup);
        assert_eq!(out.witnesses.len(), setup.len());
        let txs = [
            deposit(5, 5, 1_000),
            deposit(4, 4, 500),
            withdraw(3, 1_000, 0),
            Transaction::CoverDeficit(CoverDeficit { account: id(1) }),
            price(1, 101, T0 + 2),
            tick(0, 3_000_000, T0 + 10),
            withdraw(2, 5_000, 0),
        ];
        let out = state.apply_batch(&txs);
        assert_eq!(out.witnesses.len(), txs.len(), "every transaction must apply natively");
        chunk_witnesses(&out, &params(), DEPTH, SLOTS, Fr::zero())
    }

    fn mock(w: &ChunkWitness, instance: Option<Vec<Fr>>) -> (bool, Vec<Fr>) {
        let (b, outputs) = builder(CircuitBuilderStage::Mock, K, w);
        let instance = instance.unwrap_or_else(|| outputs.clone());
        let result = MockProver::run(K as u32, &b, vec![instance]).unwrap().verify();
        if let Err(errors) = &result {
            if std::env::var("CHUNK_DEBUG").is_ok() {
                for e in errors.iter().take(3) {
                    eprintln!("{e:?}");
                }
            }
        }
        (result.is_ok(), outputs)
    }

    /// Satisfied with the circuit's own outputs as public inputs: a failure can
    /// only come from a rule constraint, not from a public-input mismatch.
    fn rules_hold(w: &ChunkWitness) -> bool {
        mock(w, None).0
    }

    #[test]
    fn chunks_match_the_native_applier() {
        let chunks = proven_batch();
        assert_eq!(chunks.len(), 2);
        assert_eq!(chunks[0].instance.next_state_root, chunks[1].instance.prev_state_root);
        assert_eq!(chunks[0].instance.next_data_hash, chunks[1].instance.prev_data_hash);
        for (i, w) in chunks.iter().enumerate() {
            let (ok, outputs) = mock(w, Some(w.instance.to_vec()));
            assert_eq!(outputs, w.instance.to_vec(), "chunk {i} computes the native public inputs");
            assert!(ok, "chunk {i} is satisfied");
        }
    }

    #[test]
    fn a_public_input_that_does_not_match_is_rejected() {
        let w = &proven_batch()[0];
        for i in 0..NUM_PUBLIC_INPUTS {
            let mut instance = w.instance.to_vec();
            instance[i] += Fr::one();
            assert!(!mock(w, Some(instance)).0, "public input {i}");
        }
    }

    /// Replaces slot `slot` of chunk `chunk`'s transaction.
    fn tampered(chunk: usize, slot: usize, f: impl FnOnce(&mut SlotWitness)) -> ChunkWitness {
        let mut w = proven_batch().swap_remove(chunk);
        f(&mut w.slots[slot]);
        w
    }

    fn set_tx(tx: Transaction) -> impl FnOnce(&mut SlotWitness) {
        move |s| s.tx = Some(tx)
    }

    #[test]
    fn withdrawal_leaving_negative_collateral_is_rejected() {
        assert!(rules_hold(&tampered(0, 2, set_tx(withdraw(3, 1_000, 0)))));
        assert!(!rules_hold(&tampered(0, 2, set_tx(withdraw(3, 2_000_000, 0)))));
    }

    #[test]
    fn withdrawal_below_initial_margin_is_rejected() {
        // Bob: TV 20 800 − funding, requirement 7 920 at 88: withdrawing 13 000 leaves too little.
        assert!(rules_hold(&tampered(1, 2, set_tx(withdraw(2, 5_000, 0)))));
        assert!(!rules_hold(&tampered(1, 2, set_tx(withdraw(2, 13_000, 0)))));
    }

    #[test]
    fn withdrawal_with_a_wrong_nonce_is_rejected() {
        assert!(!rules_hold(&tampered(1, 2, set_tx(withdraw(2, 5_000, 1)))));
    }

    #[test]
    fn deposit_to_an_account_owned_by_another_key_is_rejected() {
        assert!(!rules_hold(&tampered(0, 1, set_tx(deposit(4, 9, 500)))));
    }

    #[test]
    fn cover_deficit_on_an_account_with_open_positions_is_rejected() {
        let cover_bob = Transaction::CoverDeficit(CoverDeficit { account: id(2) });
        assert!(!rules_hold(&tampered(1, 2, set_tx(cover_bob))));
    }

    #[test]
    fn wrong_sibling_is_rejected() {
        assert!(!rules_hold(&tampered(0, 1, |s| {
            s.account.as_mut().unwrap().path.siblings[3] += Fr::one();
        })));
    }

    #[test]
    fn wrong_leaf_field_is_rejected() {
        assert!(!rules_hold(&tampered(0, 2, |s| {
            let before = s.account.as_mut().unwrap().before.as_mut().unwrap();
            before.collateral = before.collateral.checked_add(1).unwrap();
        })));
    }

    #[test]
    fn oracle_timestamp_not_increasing_is_rejected() {
        // Chunk 1: slot 0 is the price update (market 1), slot 1 the funding tick (market 0).
        assert!(rules_hold(&tampered(1, 1, set_tx(tick(0, 3_000_000, T0 + 1)))));
        assert!(!rules_hold(&tampered(1, 1, set_tx(tick(0, 3_000_000, T0)))));
        assert!(rules_hold(&tampered(1, 0, set_tx(price(1, 101, T0 + 1)))));
        assert!(!rules_hold(&tampered(1, 0, set_tx(price(1, 101, T0)))));
    }

    #[test]
    fn funding_tick_exceeding_the_rate_bound_is_rejected() {
        // Market 0 at 88 over 10 s: |Δ| ≤ rate·88·10.
        let bound = 4_294_967i128 * 88 * 10;
        assert!(rules_hold(&tampered(1, 1, set_tx(tick(0, bound, T0 + 10)))));
        assert!(rules_hold(&tampered(1, 1, set_tx(tick(0, -bound, T0 + 10)))));
        assert!(!rules_hold(&tampered(1, 1, set_tx(tick(0, bound + 1, T0 + 10)))));
        assert!(!rules_hold(&tampered(1, 1, set_tx(tick(0, -bound - 1, T0 + 10)))));
    }

    #[test]
    fn zero_price_is_rejected() {
        let zero = Transaction::PriceUpdate(PriceUpdate {
            market: mkt(1),
            price: Price::new(0).unwrap(),
            timestamp: Timestamp::new((T0 + 2) as i128).unwrap(),
        });
        assert!(!rules_hold(&tampered(1, 0, set_tx(zero))));
    }

    #[test]
    fn a_transaction_cannot_be_left_out_of_the_data_hash() {
        let w = &proven_batch()[1];
        let mut instance = w.instance.to_vec();
        instance[super::super::public::NEXT_DATA_HASH] = w.prev_data_hash;
        assert!(!mock(w, Some(instance)).0);
    }

    #[test]
    fn two_account_types_are_not_yet_provable() {
        let trade = Transaction::Trade(Trade {
            market: mkt(0),
            buyer: id(3),
            seller: id(2),
            base: n(1),
            quote: n(88),
            buyer_fee: Quote::ZERO,
            seller_fee: Quote::ZERO,
        });
        assert!(!rules_hold(&tampered(1, 3, set_tx(trade))));
    }
}
