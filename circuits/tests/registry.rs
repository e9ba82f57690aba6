//! The transaction registry is complete and consistent: every registered type
//! has a sample here, serialises under its declared name, encodes exactly its
//! declared fields, names accounts and a market among them, and is documented
//! (tag, fields, every error code) in `docs/PROTOCOL-ENCODING.md`. A new type
//! that is registered but not wired fails here, by name.

mod common;

use std::collections::BTreeSet;

use clearproof_protocol::params::TX_ENCODING_LEN;
use clearproof_protocol::tags;
use clearproof_protocol::tx::{CommonError, Transaction, TxKind};
use common::*;

/// One transaction of every registered type.
fn samples() -> Vec<Transaction> {
    vec![
        deposit(1, 1, 100),
        withdraw(1, 5, 0),
        trade_with_fees(0, 1, 2, 10, 1_000, 1, 2),
        liquidate(1, 1, 2, 10, 1_000, 3),
        cover(1),
        deleverage(2, 1, 2, 10, 1_000),
        price_update(3, 101, 5),
        funding_tick(0, -7, 5),
        forced(1, 5, clearproof_protocol::tx::ForcedOutcome::RefusedUndercollateralised),
    ]
}

fn encoding_doc() -> String {
    std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../docs/PROTOCOL-ENCODING.md"))
        .expect("docs/PROTOCOL-ENCODING.md")
}

#[test]
fn every_registered_type_has_a_sample() {
    let sampled: BTreeSet<TxKind> = samples().iter().map(Transaction::kind).collect();
    for kind in TxKind::ALL {
        assert!(sampled.contains(kind), "no sample of {kind}: add one to tests/registry.rs");
    }
}

#[test]
fn each_type_serialises_under_its_name_and_encodes_its_declared_fields() {
    for tx in samples() {
        let spec = tx.kind().spec();
        let json = serde_json::to_value(&tx).unwrap();
        assert_eq!(json["type"], spec.name, "{spec:?}");
        let back: Transaction = serde_json::from_value(json).unwrap();
        assert_eq!(back, tx);
        let enc = tx.encode();
        assert_eq!(enc[0], clearproof_protocol::Fr::from(spec.tag), "{}", spec.name);
        // Every declared field is in the JSON (names are the struct's fields, or
        // their coordinates for a key).
        for field in spec.fields {
            let base = field.trim_end_matches("_x").trim_end_matches("_y");
            assert!(
                serde_json::to_value(&tx).unwrap().get(base).is_some(),
                "{}: declared field {field:?} is not in its JSON",
                spec.name
            );
        }
        assert!(spec.fields.len() < TX_ENCODING_LEN);
    }
}

#[test]
fn specs_are_consistent() {
    let mut tags = BTreeSet::new();
    let mut codes = BTreeSet::new();
    for code in CommonError::CODES {
        assert!(codes.insert(*code), "{code} declared twice");
    }
    for kind in TxKind::ALL {
        let spec = kind.spec();
        assert!(tags.insert(spec.tag), "tag {} used twice", spec.tag);
        assert!(!tags::RESERVED.contains(&spec.tag));
        assert_eq!(kind.name(), spec.name);
        let fields: BTreeSet<_> = spec.fields.iter().collect();
        assert_eq!(fields.len(), spec.fields.len(), "{}: a field is declared twice", spec.name);
        for account in spec.accounts {
            assert!(spec.fields.contains(account), "{}: account {account:?}", spec.name);
        }
        if let Some(market) = spec.market {
            assert!(spec.fields.contains(&market), "{}: market {market:?}", spec.name);
        }
        assert!(!spec.opens_account || !spec.accounts.is_empty(), "{}", spec.name);
        for code in spec.codes {
            assert!(codes.insert(*code), "{code} declared twice");
        }
    }
}

#[test]
fn every_type_and_code_is_documented() {
    let doc = encoding_doc();
    for kind in TxKind::ALL {
        let spec = kind.spec();
        let row = format!("| {} | `{:?}` | {} |", spec.tag, kind, spec.fields.join(", "));
        assert!(doc.contains(&row), "docs/PROTOCOL-ENCODING.md lacks the encoding row {row:?}");
        for code in spec.codes {
            let row = format!("| `{code}` | `{kind:?}` |");
            assert!(doc.contains(&row), "docs/PROTOCOL-ENCODING.md lacks {row:?}");
        }
    }
    for code in CommonError::CODES {
        assert!(doc.contains(&format!("| `{code}` |")), "{code} is not documented");
    }
}

#[test]
fn what_each_type_moves_on_the_base_layer_is_declared_on_its_rule() {
    use clearproof_protocol::tx::{ForcedOutcome, Movement, Queue};
    for tx in samples() {
        let moved = tx.movement();
        let expected = match &tx {
            Transaction::Deposit(_) => Movement { consumes: Some(Queue::Deposit), releases: None },
            Transaction::Withdraw(w) => {
                Movement { consumes: None, releases: Some((w.account, w.amount)) }
            }
            Transaction::ForcedWithdraw(f) => Movement {
                consumes: Some(Queue::Forced),
                releases: (f.outcome == ForcedOutcome::Applied).then_some((f.account, f.amount)),
            },
            _ => Movement::default(),
        };
        assert_eq!(moved, expected, "{}", tx.name());
    }
    // An applied forced withdrawal releases its amount; a refused one nothing.
    let applied = forced(1, 5, ForcedOutcome::Applied);
    assert!(applied.movement().releases.is_some());
}
