//! [`SledStore`]: the sequencer's durable state in sled, one tree, keys by prefix.
//!
//! | key | value |
//! |---|---|
//! | `meta/format` | layout version (2: batches without witnesses) |
//! | `meta/genesis`, `meta/depth` | genesis JSON, tree depth |
//! | `meta/root` | committed state root (hex) |
//! | `meta/next_seq`, `meta/next_deposit` | next transaction id, next deposit queue index |
//! | `acct/{id:u32be}` | account JSON |
//! | `node/{height:u8}{index:u64be}` | non-empty Merkle node (32 bytes, little-endian) |
//! | `mkts`, `glob` | markets and globals JSON |
//! | `batch/{n:u64be}` | stored batch JSON, zstd-compressed (header, transactions with authority, undo record) |
//! | `rcpt/{seq:u64be}` | receipt of a committed or rejected transaction |
//! | `pend/{seq:u64be}` | accepted, not yet committed entry |
//! | `depq/{index:u64be}` | deposit queue entry (for idempotency) with its id |
//! | `fill/{account:u32be}{order_id:u64be}` | order message and filled lots |
//! | `prf/{batch:u64be}{chunk:u32be}` | a chunk proof artifact (JSON), stored once |
//! | `idem/{key}` | an idempotency key's first use ([`Idempotency`] JSON) |
//! | `idex/{at:u64be}{key}` | the same key by time of first use, for forgetting it |
//!
//! A batch commit is one `sled::Batch` (atomic) followed by a flush; an accepted
//! entry is inserted and flushed before it is acknowledged. Every flush goes
//! through the store's one [`GroupCommit`] writer.

use std::collections::BTreeMap;
use std::path::Path;

use clearproof_protocol::orders::{slot_of, OrderSlots, Slot};
use clearproof_protocol::serde_fr;
use clearproof_protocol::state::{Account, Genesis, Globals, Market, State};
use clearproof_protocol::tree::SparseMerkleTree;
use clearproof_protocol::types::AccountId;
use clearproof_protocol::Fr;
use serde::{de::DeserializeOwned, Serialize};

use super::{
    corrupt, BatchCommit, EntryBody, Flush, GroupCommit, Idempotency, Loaded, PendingEntry, Store,
    StoreError, StoredReceipt,
};
use clearproof_api::wire::DepositRequest;

/// The store's layout version (`meta/format`): 2 stores batches without
/// witnesses, zstd-compressed.
const FORMAT: u64 = 2;

/// sled's segment (and write buffer) size: 8 MiB instead of 512 KiB. With
/// the default, committing a 1000-trade batch seals enough write buffers at
/// once to hit a sled 0.34 deadlock (its IO threads all wait for the segment
/// accountant, which waits for a file truncation queued behind them; its pool
/// stops growing because of a miscounted idle-thread counter):
/// `THROUGHPUT_COMMITS=4 cargo bench -p clearproof-sequencer --bench throughput`
/// hung in the first 1000-trade round every time with 512 KiB and never with
/// 2 or 8 MiB. Larger buffers mean fewer concurrent writes; the cost is a data
/// file that grows in 8 MiB steps.
const SEGMENT_SIZE: usize = 8 << 20;

/// The sled store.
#[derive(Clone)]
pub struct SledStore {
    db: sled::Db,
    writer: std::sync::Arc<GroupCommit>,
}

impl std::fmt::Debug for SledStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SledStore").finish_non_exhaustive()
    }
}

fn key(prefix: &str, parts: &[&[u8]]) -> Vec<u8> {
    let mut k = prefix.as_bytes().to_vec();
    for p in parts {
        k.extend_from_slice(p);
    }
    k
}

fn seq_key(prefix: &str, seq: u64) -> Vec<u8> {
    key(prefix, &[&seq.to_be_bytes()])
}

/// An order slot: `slot/` + account (4 bytes) + slot index (8 bytes).
fn slot_key(account: AccountId, slot: u64) -> Vec<u8> {
    key("slot/", &[&account.get().to_be_bytes(), &slot.to_be_bytes()])
}

fn remember(b: &mut sled::Batch, key: Option<&Idempotency>) {
    if let Some(k) = key {
        b.insert(self::key("idem/", &[k.key.as_bytes()]), json(k));
        b.insert(self::key("idex/", &[&k.at.to_be_bytes(), k.key.as_bytes()]), &[]);
    }
}

fn json<T: Serialize>(value: &T) -> Vec<u8> {
    serde_json::to_vec(value).expect("protocol types serialise")
}

fn parse<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, StoreError> {
    serde_json::from_slice(bytes).map_err(corrupt)
}

/// Batch records are zstd-compressed: a batch's transactions and signatures
/// are most of what the store holds.
fn compress(bytes: &[u8]) -> Result<Vec<u8>, StoreError> {
    zstd::bulk::compress(bytes, 3).map_err(|e| StoreError::Corrupt(format!("compressing: {e}")))
}

fn decompress(bytes: &[u8]) -> Result<Vec<u8>, StoreError> {
    zstd::stream::decode_all(bytes).map_err(|e| corrupt(format!("a batch record: {e}")))
}

fn u64_value(bytes: &[u8]) -> Result<u64, StoreError> {
    Ok(u64::from_be_bytes(bytes.try_into().map_err(corrupt)?))
}

impl SledStore {
    /// Opens (or creates) the store in `dir`. A directory written before
    /// batches were stored without witnesses is refused as
    /// [`StoreError::Outdated`].
    pub fn open(dir: &Path) -> Result<Self, StoreError> {
        if let Err(e) = clearproof_verifier::sled_dir::remove_stale_snapshots(dir) {
            tracing::warn!(error = %e, "checking for a killed process's snapshot");
        }
        let db = sled::Config::new()
            .path(dir)
            .mode(sled::Mode::HighThroughput)
            .segment_size(SEGMENT_SIZE)
            .open()
            .map_err(|e| match e {
                // Directories of earlier versions have sled's default segments.
                sled::Error::Unsupported(m) if m.contains("io buffer size") => StoreError::Outdated,
                e => e.into(),
            })?;
        let initialised = db.get("meta/genesis")?.is_some();
        if initialised && db.get("meta/format")?.as_deref() != Some(&FORMAT.to_be_bytes()[..]) {
            return Err(StoreError::Outdated);
        }
        let flushed = db.clone();
        let writer = GroupCommit::start("sled", move || {
            flushed.flush()?;
            Ok(())
        });
        Ok(Self { db, writer: std::sync::Arc::new(writer) })
    }

    fn meta_u64(&self, k: &str) -> Result<u64, StoreError> {
        u64_value(&self.db.get(k)?.ok_or_else(|| corrupt(format!("{k} missing")))?)
    }
}

impl Store for SledStore {
    fn genesis(&self) -> Result<Option<(Genesis, usize)>, StoreError> {
        match (self.db.get("meta/genesis")?, self.db.get("meta/depth")?) {
            (Some(g), Some(d)) => Ok(Some((parse(&g)?, u64_value(&d)? as usize))),
            _ => Ok(None),
        }
    }

    fn init(&self, genesis: &Genesis, state: &State, depth: usize) -> Result<(), StoreError> {
        let mut b = sled::Batch::default();
        b.insert("meta/format", &FORMAT.to_be_bytes());
        b.insert("meta/genesis", json(genesis));
        b.insert("meta/depth", &(depth as u64).to_be_bytes());
        b.insert("meta/root", serde_fr::to_hex(&state.root()).as_bytes());
        b.insert("meta/next_seq", &1u64.to_be_bytes());
        b.insert("meta/next_deposit", &0u64.to_be_bytes());
        b.insert("meta/next_forced", &0u64.to_be_bytes());
        b.insert("mkts", json(state.markets()));
        b.insert("glob", json(state.globals()));
        self.db.apply_batch(b)?;
        self.writer.wait()
    }

    fn load(&self) -> Result<Loaded, StoreError> {
        let (_, depth) = self.genesis()?.ok_or_else(|| corrupt("store not initialised"))?;
        let mut accounts = BTreeMap::new();
        for kv in self.db.scan_prefix("acct/") {
            let (k, v) = kv?;
            let id = u32::from_be_bytes(k[5..].try_into().map_err(corrupt)?);
            accounts.insert(AccountId::new(id as i128).map_err(corrupt)?, parse::<Account>(&v)?);
        }
        let mut nodes = Vec::new();
        for kv in self.db.scan_prefix("node/") {
            let (k, v) = kv?;
            let height = k[5];
            let index = u64::from_be_bytes(k[6..14].try_into().map_err(corrupt)?);
            let bytes: [u8; 32] = v.as_ref().try_into().map_err(corrupt)?;
            let node = Option::from(Fr::from_bytes(&bytes)).ok_or_else(|| corrupt("node"))?;
            nodes.push(((height, index), node));
        }
        let markets: [Market; 4] =
            parse(&self.db.get("mkts")?.ok_or_else(|| corrupt("markets missing"))?)?;
        let globals: Globals =
            parse(&self.db.get("glob")?.ok_or_else(|| corrupt("globals missing"))?)?;
        let mut slots: BTreeMap<AccountId, Vec<Slot>> = BTreeMap::new();
        for kv in self.db.scan_prefix("slot/") {
            let (k, v) = kv?;
            let account = u32::from_be_bytes(k[5..9].try_into().map_err(corrupt)?);
            let account = AccountId::new(account as i128).map_err(corrupt)?;
            slots.entry(account).or_default().push(parse(&v)?);
        }
        let orders = OrderSlots::from_slots_by_account(slots);
        let state = State::from_parts(
            accounts,
            orders,
            SparseMerkleTree::from_nodes(depth, nodes),
            markets,
            globals,
        )
        .map_err(corrupt)?;
        let root = self.db.get("meta/root")?.ok_or_else(|| corrupt("root missing"))?;
        let stored_root =
            serde_fr::from_hex(std::str::from_utf8(&root).map_err(corrupt)?).map_err(corrupt)?;
        if state.root() != stored_root {
            return Err(corrupt("state root does not match the stored root"));
        }
        let pending = self
            .db
            .scan_prefix("pend/")
            .map(|kv| kv.map_err(StoreError::from).and_then(|(_, v)| parse(&v)))
            .collect::<Result<Vec<PendingEntry>, _>>()?;
        let next_seq = self.meta_u64("meta/next_seq")?;
        let next_deposit = self.meta_u64("meta/next_deposit")?;
        // Stores made before forced withdrawals have no forced queue head.
        let next_forced = match self.db.get("meta/next_forced")? {
            Some(v) => u64_value(&v)?,
            None => 0,
        };
        Ok(Loaded { state, pending, next_seq, next_deposit, next_forced })
    }

    fn append_pending(
        &self,
        entry: &PendingEntry,
        idempotency: Option<&Idempotency>,
    ) -> Result<(), StoreError> {
        let mut b = sled::Batch::default();
        remember(&mut b, idempotency);
        b.insert(seq_key("pend/", entry.seq), json(entry));
        b.insert("meta/next_seq", &(entry.seq + 1).to_be_bytes());
        if let EntryBody::Deposit(d) = &entry.body {
            b.insert(seq_key("depq/", d.queue_index), json(&(entry.seq, d)));
            b.insert("meta/next_deposit", &(d.queue_index + 1).to_be_bytes());
        }
        if let EntryBody::Forced(f) = &entry.body {
            b.insert("meta/next_forced", &(f.queue_index + 1).to_be_bytes());
        }
        self.db.apply_batch(b)?;
        Ok(())
    }

    fn record_rejection(
        &self,
        seq: u64,
        receipt: &StoredReceipt,
        deposit: Option<&DepositRequest>,
        idempotency: Option<&Idempotency>,
    ) -> Result<(), StoreError> {
        let mut b = sled::Batch::default();
        remember(&mut b, idempotency);
        b.insert(seq_key("rcpt/", seq), json(receipt));
        b.insert("meta/next_seq", &(seq + 1).to_be_bytes());
        if let Some(d) = deposit {
            b.insert(seq_key("depq/", d.queue_index), json(&(seq, d)));
            b.insert("meta/next_deposit", &(d.queue_index + 1).to_be_bytes());
        }
        self.db.apply_batch(b)?;
        Ok(())
    }

    fn commit_batch(&self, c: BatchCommit<'_>) -> Result<(), StoreError> {
        let mut b = sled::Batch::default();
        let tree = c.state.tree();
        for id in &c.touched {
            let account = c.state.account(*id).ok_or_else(|| corrupt("touched account missing"))?;
            b.insert(key("acct/", &[&id.get().to_be_bytes()]), json(account));
            for ((height, index), node) in tree.path_nodes(id.index()) {
                let k = key("node/", &[&[height], &index.to_be_bytes()]);
                match node {
                    Some(n) => b.insert(k, &n.to_bytes()),
                    None => b.remove(k),
                }
            }
        }
        b.insert("mkts", json(c.state.markets()));
        b.insert("glob", json(c.state.globals()));
        b.insert("meta/root", serde_fr::to_hex(&c.state.root()).as_bytes());
        b.insert("meta/next_seq", &c.next_seq.to_be_bytes());
        b.insert("meta/next_deposit", &c.next_deposit.to_be_bytes());
        b.insert("meta/next_forced", &c.next_forced.to_be_bytes());
        b.insert(seq_key("batch/", c.number), compress(&c.record)?);
        for (seq, receipt) in &c.receipts {
            b.insert(seq_key("rcpt/", *seq), json(receipt));
            b.remove(seq_key("pend/", *seq));
        }
        for (account, slot) in &c.order_slots {
            b.insert(slot_key(*account, slot_of(slot.order_id)), json(slot));
        }
        // Forget idempotency keys past their retention (oldest first, by time).
        for kv in self.db.scan_prefix("idex/") {
            let (k, _) = kv?;
            let at = u64::from_be_bytes(k[5..13].try_into().map_err(corrupt)?);
            if at >= c.forget_keys_before {
                break;
            }
            b.remove(k.clone());
            b.remove(key("idem/", &[&k[13..]]));
        }
        self.db.apply_batch(b)?;
        self.writer.wait()
    }

    fn flush(&self) -> Flush<'_> {
        Box::pin(self.writer.durable())
    }

    fn idempotency(&self, k: &str) -> Result<Option<Idempotency>, StoreError> {
        self.db.get(key("idem/", &[k.as_bytes()]))?.map(|v| parse(&v)).transpose()
    }

    fn receipt(&self, seq: u64) -> Result<Option<StoredReceipt>, StoreError> {
        self.db.get(seq_key("rcpt/", seq))?.map(|v| parse(&v)).transpose()
    }

    fn account(&self, id: AccountId) -> Result<Option<Account>, StoreError> {
        self.db.get(key("acct/", &[&id.get().to_be_bytes()]))?.map(|v| parse(&v)).transpose()
    }

    fn batch(&self, number: u64) -> Result<Option<Vec<u8>>, StoreError> {
        self.db.get(seq_key("batch/", number))?.map(|v| decompress(&v)).transpose()
    }

    fn put_proof(&self, batch: u64, chunk: u32, artifact: &[u8]) -> Result<bool, StoreError> {
        let k = key("prf/", &[&batch.to_be_bytes(), &chunk.to_be_bytes()]);
        let stored = self.db.compare_and_swap(k, None::<&[u8]>, Some(artifact))?.is_ok();
        if stored {
            self.writer.wait()?;
        }
        Ok(stored)
    }

    fn proof(&self, batch: u64, chunk: u32) -> Result<Option<Vec<u8>>, StoreError> {
        let k = key("prf/", &[&batch.to_be_bytes(), &chunk.to_be_bytes()]);
        Ok(self.db.get(k)?.map(|v| v.to_vec()))
    }

    fn deposit(&self, queue_index: u64) -> Result<Option<(u64, DepositRequest)>, StoreError> {
        self.db.get(seq_key("depq/", queue_index))?.map(|v| parse(&v)).transpose()
    }
}
