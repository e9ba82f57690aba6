// SPDX-License-Identifier: MIT OR Apache-2.0
pragma solidity 0.8.19;

/// @title Baby Jubjub public-key validation, as `clearproof_circuits::signature::PublicKey::from_xy`
/// @notice The curve is ark-ed-on-bn254's twisted Edwards form over the BN254
/// scalar field: a x^2 + y^2 = 1 + d x^2 y^2 with a = 1,
/// d = 168696/168700; the group has order 8 L. A public key is a point on the
/// curve, in the order-L subgroup, other than the identity (0, 1).
/// @dev The subgroup check computes [L]P by double-and-add in projective
/// coordinates. With a a square and d a non-square the doubling and addition
/// formulas below have no exceptional points.
library BabyJubjub {
    /// The base field: the BN254 scalar field.
    uint256 internal constant P =
        21888242871839275222246405745257275088548364400416034343698204186575808495617;

    /// True if (x, y) is a valid public key: coordinates below P, on the curve,
    /// in the order-L subgroup, not the identity.
    function isPublicKey(uint256 x, uint256 y) internal pure returns (bool valid) {
        if (x >= P || y >= P || (x == 0 && y == 1)) {
            return false;
        }
        assembly {
            let p := 21888242871839275222246405745257275088548364400416034343698204186575808495617
            // On the curve: x^2 + y^2 == 1 + d x^2 y^2, d = 168696/168700.
            if eq(
                addmod(mulmod(x, x, p), mulmod(y, y, p), p),
                addmod(
                    1,
                    mulmod(
                        9706598848417545097372247223557719406784115219466060233080913168975159366771,
                        mulmod(mulmod(x, x, p), mulmod(y, y, p), p),
                        p
                    ),
                    p
                )
            ) {
                // The affine P in scratch memory keeps the stack shallow.
                mstore(0x00, x)
                mstore(0x20, y)
                // [L]P by double-and-add from L's top bit (bit 250) down, in
                // projective (X : Y : Z) starting at P; L (below) is the
                // subgroup's prime order. Constants are literals, not
                // variables: the stack has no room for them.
                let px := x
                let py := y
                let pz := 1
                for { let i := 250 } gt(i, 0) {} {
                    i := sub(i, 1)
                    // Doubling (dbl-2008-bbjlp, a = 1).
                    {
                        let f := 0
                        let c := mulmod(px, px, p)
                        {
                            let e := mulmod(py, py, p)
                            f := addmod(c, e, p)
                            c := addmod(c, sub(p, e), p)
                        }
                        let j := addmod(f, sub(p, mulmod(2, mulmod(pz, pz, p), p)), p)
                        px := mulmod(addmod(mulmod(add(px, py), add(px, py), p), sub(p, f), p), j, p)
                        py := mulmod(f, c, p)
                        pz := mulmod(f, j, p)
                    }
                    // Adding the affine P (madd-2008-bbjlp, a = 1).
                    if and(shr(i, 2736030358979909402780800718157159386076813972158567259200215660948447373041), 1) {
                        let s := 0
                        let t := 0
                        let ec := 0
                        {
                            let c := mulmod(px, mload(0x00), p)
                            let e := mulmod(py, mload(0x20), p)
                            s := addmod(mulmod(add(px, py), add(mload(0x00), mload(0x20)), p), sub(p, addmod(c, e, p)), p)
                            t := mulmod(
                                mulmod(9706598848417545097372247223557719406784115219466060233080913168975159366771, c, p),
                                e,
                                p
                            )
                            ec := addmod(e, sub(p, c), p)
                        }
                        let b := mulmod(pz, pz, p)
                        let f := addmod(b, sub(p, t), p)
                        let g := addmod(b, t, p)
                        px := mulmod(mulmod(pz, f, p), s, p)
                        py := mulmod(mulmod(pz, g, p), ec, p)
                        pz := mulmod(f, g, p)
                    }
                }
                // [L]P is the identity (0 : Z : Z).
                valid := and(iszero(px), eq(py, pz))
            }
        }
    }
}
