// SPDX-License-Identifier: MIT OR Apache-2.0
pragma solidity 0.8.19;

import "./BabyJubjub.sol";
import "./Poseidon.sol";

/// @title clearproof settlement: the base layer of PROTOCOL §7 on the EVM
/// @notice The rules of `verifier/src/rules.rs` (`settle`, `match_deposits`,
/// `release_withdrawals`) for what this contract covers:
///  - the chain of accepted roots: a batch is accepted only with the next
///    number, from the last accepted root, with its data hash recomputed here
///    (Poseidon, `clearproof_circuits::batch::data_hash`) and its aggregated
///    proof checked by the verifier contract (snark-verifier's generated
///    verifier) on public inputs `accumulator[0..12] ++ [prevRoot, nextRoot,
///    dataHash, number]`;
///  - the deposit queue: each deposit a batch applies must be the queue's next
///    entry; entries before it that differ were refused by the sequencer and
///    are consumed and refunded to the owner key they named;
///  - the owner on record of each account (named by the first consumed deposit
///    that credits it), to whom each withdrawal is released.
/// Not here yet (a follow-up): the forced-withdrawal queue, the freeze and the
/// escapes of `verifier/src/hatch.rs`. They need Baby Jubjub EdDSA signatures
/// and Poseidon Merkle paths verified in Solidity; until then a batch carrying
/// a forced withdrawal (tag 12) is refused, since no queue entry can back it.
/// Nor does the contract hold a token: as in the Rust ledger, amounts are
/// accounting in quote micro-units (`held`, `withdrawable`); custody and the
/// claim of `withdrawable` come with the asset a deployment settles in.
/// A refused call changes nothing (it reverts with the reason string).
contract Settlement {
    uint256 internal constant P = Poseidon.P;
    uint256 internal constant TX_LEN = Poseidon.TX_ENCODING_LEN;
    /// Transaction tags (`TxSpec::tag`): deposit, withdraw, forced withdraw.
    uint256 internal constant TAG_DEPOSIT = 1;
    uint256 internal constant TAG_WITHDRAW = 2;
    uint256 internal constant TAG_FORCED_WITHDRAW = 12;
    /// `AccountId`: `0 <= id < 2^ACCOUNT_TREE_DEPTH` (24).
    uint256 internal constant ACCOUNT_BOUND = 1 << 24;
    /// `Amount`: `0 < x < 2^63`; the genesis insurance fund is a `Quote`, `< 2^63`.
    uint256 internal constant AMOUNT_BOUND = 1 << 63;

    /// A queued deposit, as `clearproof_circuits::tx::Deposit`.
    struct QueuedDeposit {
        uint64 account;
        uint64 amount;
        uint256 ownerX;
        uint256 ownerY;
    }

    /// An owner key's affine coordinates; (0, 0) (not a curve point) for none.
    struct Owner {
        uint256 x;
        uint256 y;
    }

    /// The contract that checks the batches' aggregated proofs.
    address public immutable verifier;
    /// The root the chain started at.
    uint256 public immutable genesisRoot;
    /// The last accepted state root.
    uint256 public root;
    /// Accepted batches (= the last accepted batch number).
    uint64 public batches;
    /// Deposits ever queued.
    uint64 public depositsQueued;
    /// Deposits consumed by accepted batches (the queue head).
    uint64 public depositsConsumed;
    /// Quote micro-units held: the genesis insurance fund and the deposits,
    /// less refunds and released withdrawals (never below zero, as `rules.rs`).
    uint256 public held;
    /// Quote micro-units released to each owner key, by `keccak256(abi.encode(x, y))`.
    mapping(bytes32 => uint256) public withdrawable;

    mapping(uint256 => QueuedDeposit) internal queue;
    mapping(uint256 => Owner) internal owners;

    event DepositQueued(uint64 indexed index, uint64 indexed account, uint256 ownerX, uint256 ownerY, uint64 amount);
    event DepositRefunded(uint64 indexed index, uint64 indexed account, uint256 ownerX, uint256 ownerY, uint64 amount);
    event WithdrawalReleased(uint64 indexed batch, uint64 indexed account, uint256 ownerX, uint256 ownerY, uint256 amount);
    event BatchAccepted(uint64 indexed number, uint256 prevRoot, uint256 nextRoot, uint256 dataHash);

    /// A chain at `genesisRoot_` whose proofs `verifier_` checks, holding the
    /// genesis insurance fund.
    constructor(address verifier_, uint256 genesisRoot_, uint256 insuranceFund) {
        // A call to an address without code succeeds: it would accept any proof.
        require(verifier_.code.length != 0, "verifier has no code");
        require(genesisRoot_ < P, "genesis root not in the field");
        require(insuranceFund < AMOUNT_BOUND, "insurance fund out of range");
        verifier = verifier_;
        genesisRoot = genesisRoot_;
        root = genesisRoot_;
        held = insuranceFund;
    }

    /// Queues a deposit of `amount` quote micro-units to `account`, owned by
    /// the key (ownerX, ownerY); returns its queue index. The values must be
    /// ones `clearproof_circuits::tx::Deposit` allows.
    function deposit(uint64 account, uint256 ownerX, uint256 ownerY, uint64 amount) external returns (uint64 index) {
        require(account < ACCOUNT_BOUND, "account out of range");
        require(amount != 0 && amount < AMOUNT_BOUND, "amount out of range");
        require(ownerX < P && ownerY < P, "owner not in the field");
        require(BabyJubjub.isPublicKey(ownerX, ownerY), "owner is not a valid public key");
        index = depositsQueued;
        queue[index] = QueuedDeposit(account, amount, ownerX, ownerY);
        depositsQueued = index + 1;
        held += amount;
        emit DepositQueued(index, account, ownerX, ownerY, amount);
    }

    /// Accepts batch `number` from `root` to `nextRoot`: `data` is its public
    /// data (`Transaction::encode()` of each transaction, in order),
    /// `accumulator` and `proof` its aggregated proof.
    function postBatch(
        uint256 nextRoot,
        uint64 number,
        uint256[] calldata data,
        uint256[12] calldata accumulator,
        bytes calldata proof
    ) external {
        require(number == batches + 1, "wrong batch number");
        require(nextRoot < P, "next root not in the field");
        require(data.length % TX_LEN == 0, "data is not whole transactions");
        for (uint256 k = 0; k < data.length; k++) {
            require(data[k] < P, "data element not in the field");
        }
        uint256 prevRoot = root;
        uint256 hash = Poseidon.dataHash(prevRoot, data);
        // As `settle`: deposits, then forced withdrawals, then withdrawals, each
        // over the whole batch (an owner a later deposit names counts).
        uint256 paid = matchDeposits(data);
        refuseForced(data);
        paid += releaseWithdrawals(number, data);
        verify(abi.encodePacked(accumulator, prevRoot, nextRoot, hash, uint256(number), proof));
        root = nextRoot;
        batches = number;
        held = paid < held ? held - paid : 0;
        emit BatchAccepted(number, prevRoot, nextRoot, hash);
    }

    /// A batch's data hash from `prevRoot` over `data` (as `postBatch` computes it).
    function dataHash(uint256 prevRoot, uint256[] calldata data) external pure returns (uint256) {
        return Poseidon.dataHash(prevRoot, data);
    }

    /// Queue entry `index`.
    function queued(uint64 index)
        external
        view
        returns (uint64 account, uint256 ownerX, uint256 ownerY, uint64 amount)
    {
        require(index < depositsQueued, "no such deposit");
        QueuedDeposit storage entry = queue[index];
        return (entry.account, entry.ownerX, entry.ownerY, entry.amount);
    }

    /// The owner on record of `account`: (0, 0) if no consumed deposit created it.
    function ownerOf(uint256 account) external view returns (uint256 x, uint256 y) {
        Owner storage owner = owners[account];
        return (owner.x, owner.y);
    }

    /// `match_deposits`: consumes the queue up to each deposit in `data`,
    /// refunding the entries skipped, and records new accounts' owners.
    /// Returns the amount refunded.
    function matchDeposits(uint256[] calldata data) internal returns (uint256 refunded) {
        uint64 consumed = depositsConsumed;
        uint64 queuedCount = depositsQueued;
        for (uint256 at = 0; at < data.length; at += TX_LEN) {
            if (data[at] != TAG_DEPOSIT) continue;
            // enc = [1, account, owner_x, owner_y, amount, 0...]
            uint256 account = data[at + 1];
            uint256 ownerX = data[at + 2];
            uint256 ownerY = data[at + 3];
            while (true) {
                require(consumed < queuedCount, "deposit does not match the queue");
                QueuedDeposit storage entry = queue[consumed];
                consumed++;
                if (
                    entry.account == account && entry.ownerX == ownerX && entry.ownerY == ownerY
                        && entry.amount == data[at + 4]
                ) break;
                refunded += entry.amount;
                withdrawable[keccak256(abi.encode(entry.ownerX, entry.ownerY))] += entry.amount;
                emit DepositRefunded(consumed - 1, entry.account, entry.ownerX, entry.ownerY, entry.amount);
            }
            // The account's first deposit names its owner. Valid keys have
            // y != 0 (the points with y = 0 have order 4), so y == 0 means none.
            Owner storage owner = owners[account];
            if (owner.y == 0) {
                owner.x = ownerX;
                owner.y = ownerY;
            }
        }
        depositsConsumed = consumed;
    }

    /// `match_forced` without a forced queue: there is none yet, so no forced
    /// withdrawal can be in an accepted batch.
    function refuseForced(uint256[] calldata data) internal pure {
        for (uint256 at = 0; at < data.length; at += TX_LEN) {
            require(data[at] != TAG_FORCED_WITHDRAW, "forced withdrawals are not supported by this contract");
        }
    }

    /// `release_withdrawals`: each withdrawal is credited to its account's
    /// owner on record. Returns the amount released.
    function releaseWithdrawals(uint64 number, uint256[] calldata data) internal returns (uint256 released) {
        for (uint256 at = 0; at < data.length; at += TX_LEN) {
            if (data[at] != TAG_WITHDRAW) continue;
            // enc = [2, account, amount, nonce, 0...]
            uint256 account = data[at + 1];
            uint256 amount = data[at + 2];
            // The proof makes both hold; checked so junk data fails with a reason.
            require(amount != 0 && amount < AMOUNT_BOUND, "withdrawal amount out of range");
            Owner storage owner = owners[account];
            require(owner.y != 0, "unknown account");
            released += amount;
            withdrawable[keccak256(abi.encode(owner.x, owner.y))] += amount;
            // An account with an owner came from a deposit: account < 2^24.
            emit WithdrawalReleased(number, uint64(account), owner.x, owner.y, amount);
        }
    }

    /// Calls the verifier with `input` (no selector: snark-verifier's verifier
    /// reads raw calldata, reverts on a bad proof and returns on a good one).
    function verify(bytes memory input) internal view {
        // Checked on every call too: code at a verifier address can only go
        // away (SELFDESTRUCT before Cancun), and an empty address accepts all.
        require(verifier.code.length != 0, "verifier has no code");
        (bool ok,) = verifier.staticcall(input);
        require(ok, "proof does not verify");
    }
}
