//! The slice of the Solidity ABI the settlement contract's calls need:
//! `uint256` words, fixed and dynamic `uint256` arrays, `bytes`, addresses,
//! function selectors and `Error(string)` revert reasons. Field elements are
//! words holding their canonical value, big-endian.

use clearproof_protocol::serde_fr::{from_hex, to_hex};
use clearproof_protocol::Fr;
use revm::primitives::{keccak256, Address, U256};

/// One ABI argument.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Token {
    /// `uint256` (and every smaller unsigned type, as its value).
    Uint(U256),
    /// `address`.
    Address(Address),
    /// `uint256[N]`: encoded in place.
    FixedUints(Vec<U256>),
    /// `uint256[]`.
    Uints(Vec<U256>),
    /// `bytes`.
    Bytes(Vec<u8>),
}

impl Token {
    fn head_len(&self) -> usize {
        match self {
            Token::FixedUints(v) => 32 * v.len(),
            _ => 32,
        }
    }
}

/// The 4-byte selector of a function signature such as `"deposit(uint64,uint256,uint256,uint64)"`.
pub fn selector(signature: &str) -> [u8; 4] {
    let hash = keccak256(signature.as_bytes());
    [hash[0], hash[1], hash[2], hash[3]]
}

/// The ABI encoding of `tokens` (a tuple: heads, then the dynamic tails).
pub fn encode(tokens: &[Token]) -> Vec<u8> {
    let heads: usize = tokens.iter().map(Token::head_len).sum();
    let mut head = Vec::with_capacity(heads);
    let mut tail = Vec::new();
    for token in tokens {
        match token {
            Token::Uint(x) => head.extend_from_slice(&x.to_be_bytes::<32>()),
            Token::Address(a) => head.extend_from_slice(a.into_word().as_slice()),
            Token::FixedUints(v) => {
                v.iter().for_each(|x| head.extend_from_slice(&x.to_be_bytes::<32>()))
            }
            Token::Uints(v) => {
                head.extend_from_slice(&U256::from(heads + tail.len()).to_be_bytes::<32>());
                tail.extend_from_slice(&U256::from(v.len()).to_be_bytes::<32>());
                v.iter().for_each(|x| tail.extend_from_slice(&x.to_be_bytes::<32>()));
            }
            Token::Bytes(b) => {
                head.extend_from_slice(&U256::from(heads + tail.len()).to_be_bytes::<32>());
                tail.extend_from_slice(&U256::from(b.len()).to_be_bytes::<32>());
                tail.extend_from_slice(b);
                tail.resize(tail.len().next_multiple_of(32), 0);
            }
        }
    }
    head.extend_from_slice(&tail);
    head
}

/// Calldata for `signature` with `args`: selector, then [`encode`].
pub fn encode_call(signature: &str, args: &[Token]) -> Vec<u8> {
    [selector(signature).as_slice(), &encode(args)].concat()
}

/// Word `index` of ABI-encoded return data, if present.
pub fn word(output: &[u8], index: usize) -> Option<U256> {
    let bytes = output.get(32 * index..32 * (index + 1))?;
    Some(U256::from_be_slice(bytes))
}

/// The message of `Error(string)` revert data, if it is one.
pub fn decode_revert_reason(output: &[u8]) -> Option<String> {
    let body = output.strip_prefix(selector("Error(string)").as_slice())?;
    let offset = usize::try_from(word(body, 0)?).ok()?;
    let len_word = body.get(offset..offset.checked_add(32)?)?;
    let len = usize::try_from(U256::from_be_slice(len_word)).ok()?;
    let start = offset + 32;
    let text = body.get(start..start.checked_add(len)?)?;
    String::from_utf8(text.to_vec()).ok()
}

/// A field element as a word.
pub fn fr_to_word(f: &Fr) -> U256 {
    U256::from_str_radix(&to_hex(f)[2..], 16).expect("to_hex writes 64 hex digits")
}

/// A word as a field element, if it is below the modulus.
pub fn word_to_fr(x: U256) -> Option<Fr> {
    from_hex(&format!("{x:064x}")).ok()
}
