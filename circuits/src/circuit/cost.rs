//! Where a chunk's cells go: an optional ledger of advice and lookup cells per
//! part of the circuit, for the cost report (`cargo bench -p clearproof-circuits
//! --bench chunk`).
//!
//! Synthesis wraps each costly gadget call in [`metered`]; when no ledger is
//! open (always, except inside [`measure`]) that is a plain call. Cells are
//! counted as the growth of the context's advice column and of the range chip's
//! lookup list during the call, so parts never overlap: a metered call inside
//! another is counted once, in the outer part.

use std::cell::RefCell;

use halo2_base::gates::RangeChip;

use super::Ctx;
use crate::Fr;

/// A part of the chunk circuit, as the cost report lists it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Part {
    /// Index bits and the 2 × 2 sibling paths (old and new root) per slot.
    MerklePaths,
    /// The 12-field account leaf hashes (old and new leaf of both updates).
    LeafHashes,
    /// Loading and range-checking the touched accounts' fields and siblings.
    AccountFields,
    /// §5 funding settlement of both touched accounts.
    Funding,
    /// §4 total value, requirements and health/solvency comparisons.
    Margin,
    /// Markets and globals: loading, range checks, and the state-root hashes.
    StateHashes,
    /// The data-hash chain step.
    DataHash,
    /// Order slots (PROTOCOL §6.2): both sides' slot leaves and paths.
    OrderSlots,
    /// Signatures (PROTOCOL §6.1): both sides' messages, challenges and the
    /// EdDSA chip's rows.
    Signatures,
    /// The oracle committee's quorum (PROTOCOL §6.3): observations, median,
    /// timestamps, and both sides' observation messages.
    Oracle,
}

impl Part {
    /// Every part, in report order.
    pub const ALL: [Part; 10] = [
        Part::MerklePaths,
        Part::LeafHashes,
        Part::AccountFields,
        Part::Funding,
        Part::Margin,
        Part::StateHashes,
        Part::DataHash,
        Part::OrderSlots,
        Part::Signatures,
        Part::Oracle,
    ];

    /// The report's name for the part.
    pub fn name(self) -> &'static str {
        match self {
            Part::MerklePaths => "Merkle paths",
            Part::LeafHashes => "leaf hashes",
            Part::AccountFields => "account fields",
            Part::Funding => "funding settlement",
            Part::Margin => "margin arithmetic",
            Part::StateHashes => "markets, globals, state root",
            Part::DataHash => "data hash",
            Part::OrderSlots => "order slots",
            Part::Signatures => "signatures",
            Part::Oracle => "oracle quorum",
        }
    }
}

/// Cells spent by one part.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Cost {
    /// Advice cells (in the gate columns).
    pub advice: usize,
    /// Of those, cells also copied to the lookup columns (range-check limbs).
    pub lookup: usize,
    /// Rows of the Poseidon chip (each [`super::poseidon_chip::ADVICE_COLUMNS`] wide).
    pub chip_rows: usize,
}

/// Cells per part, in [`Part::ALL`] order.
pub type Ledger = [Cost; Part::ALL.len()];

struct Open {
    ledger: Ledger,
    depth: usize,
}

thread_local! {
    static OPEN: RefCell<Option<Open>> = const { RefCell::new(None) };
    static CHIP_ROWS: std::cell::Cell<usize> = const { std::cell::Cell::new(0) };
}

/// Counts `rows` of the Poseidon chip towards the part being metered.
pub(crate) fn charge_chip_rows(rows: usize) {
    CHIP_ROWS.with(|c| c.set(c.get() + rows));
}

fn lookups(range: &RangeChip<Fr>) -> usize {
    range.lookup_manager().iter().map(|m| m.total_rows()).sum()
}

/// Runs `f`, charging the cells it assigns to `part` if a ledger is open.
pub fn metered<T>(
    part: Part,
    ctx: &mut Ctx,
    range: &RangeChip<Fr>,
    f: impl FnOnce(&mut Ctx) -> T,
) -> T {
    let outermost = OPEN.with(|o| {
        o.borrow_mut().as_mut().is_some_and(|open| {
            open.depth += 1;
            open.depth == 1
        })
    });
    if !outermost {
        let out = f(ctx);
        OPEN.with(|o| {
            if let Some(open) = o.borrow_mut().as_mut() {
                open.depth -= 1;
            }
        });
        return out;
    }
    let (advice, lookup, rows) = (ctx.advice.len(), lookups(range), CHIP_ROWS.with(|c| c.get()));
    let out = f(ctx);
    let spent = Cost {
        advice: ctx.advice.len() - advice,
        lookup: lookups(range) - lookup,
        chip_rows: CHIP_ROWS.with(|c| c.get()) - rows,
    };
    OPEN.with(|o| {
        let mut o = o.borrow_mut();
        let open = o.as_mut().expect("ledger still open");
        open.depth -= 1;
        let i = Part::ALL.iter().position(|p| *p == part).expect("listed part");
        open.ledger[i].advice += spent.advice;
        open.ledger[i].lookup += spent.lookup;
        open.ledger[i].chip_rows += spent.chip_rows;
    });
    out
}

/// Runs `f` (which synthesizes a circuit on this thread) with a ledger open and
/// returns what each part cost.
pub fn measure(f: impl FnOnce()) -> Ledger {
    OPEN.with(|o| *o.borrow_mut() = Some(Open { ledger: Ledger::default(), depth: 0 }));
    f();
    OPEN.with(|o| o.borrow_mut().take().expect("ledger still open").ledger)
}
