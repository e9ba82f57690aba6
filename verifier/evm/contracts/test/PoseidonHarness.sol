// SPDX-License-Identifier: MIT OR Apache-2.0
pragma solidity 0.8.19;

import "../Poseidon.sol";

/// @title Test only: the Poseidon library's functions as external calls, for
/// the Rust tests (verifier/tests/evm.rs) to compare with the native hash.
/// (`uint256[10]`: Poseidon.TX_ENCODING_LEN, which an external signature
/// cannot name; the tests build the signature from the Rust constant.)
contract PoseidonHarness {
    function hash(uint256[] memory inputs) external pure returns (uint256) {
        return Poseidon.hash(inputs);
    }

    function dataHashStep(uint256 d, uint256[10] memory enc) external pure returns (uint256) {
        return Poseidon.dataHashStep(d, enc);
    }

    function dataHash(uint256 prev, uint256[] calldata data) external pure returns (uint256) {
        return Poseidon.dataHash(prev, data);
    }

    /// `dataHashStep` and the gas it used inside the EVM (no call overhead).
    function dataHashStepGas(uint256 d, uint256[10] memory enc)
        external
        view
        returns (uint256 h, uint256 gasUsed)
    {
        uint256 before = gasleft();
        h = Poseidon.dataHashStep(d, enc);
        gasUsed = before - gasleft();
    }
}
