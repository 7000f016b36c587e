//! BouncyCastle's named curve `curve25519`: Curve25519 in short-Weierstrass form,
//! `y² = x³ + a·x + b` over p = 2^255 − 19, with a base point of prime order n and cofactor 8.
//!
//! Points travel in Weierstrass coordinates (that is what Java peers send and expect), but the
//! arithmetic runs on the birationally equivalent Montgomery curve `v² = u³ + A·u² + u`
//! (A = 486662) through the map `u = x − A/3`, `v = y`: an x-only Montgomery ladder, the same
//! number of field operations for every scalar (it never looks at the scalar's size), with
//! conditional swaps in place of branches. Scalars are **not** clamped, as X25519's are: a Java
//! private key is any integer from 1 to n − 1, and so is ours. For our own public key the
//! ladder's two outputs also give `v` (Okeya–Sakurai y-recovery).
//!
//! Field arithmetic is crypto-bigint's Montgomery-form residues (already in the dependency tree
//! through p256 and rsa): constant-time multiplication, addition and inversion.

use super::problem::FideliusProblem;
use crypto_bigint::modular::constant_mod::Residue;
use crypto_bigint::subtle::{Choice, ConditionallySelectable};
use crypto_bigint::{Encoding, U256, impl_modulus};
use zeroize::{Zeroize, Zeroizing};

impl_modulus!(FieldPrime, U256, "7fffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffed");

/// An element of GF(2^255 − 19).
type Fe = Residue<FieldPrime, { U256::LIMBS }>;

/// p = 2^255 − 19.
pub(crate) const P: U256 = U256::from_be_hex("7fffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffed");
/// The order of the base point: 2^252 + 0x14def9dea2f79cd65812631a5cf5d3ed.
pub(crate) const N: U256 = U256::from_be_hex("1000000000000000000000000000000014def9dea2f79cd65812631a5cf5d3ed");
/// The Weierstrass coefficients, as BouncyCastle has them.
pub(crate) const A: U256 = U256::from_be_hex("2aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa984914a144");
pub(crate) const B: U256 = U256::from_be_hex("7b425ed097b425ed097b425ed097b425ed097b425ed097b4260b5e9c7710c864");
/// The base point G in Weierstrass coordinates (its Montgomery u is 9).
pub(crate) const GX: U256 = U256::from_be_hex("2aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaad245a");
pub(crate) const GY: U256 = U256::from_be_hex("20ae19a1b8a086b4e01edd2c7748d14c923d4d7e6d7c61b229e9c5a27eced3d9");
/// The cofactor.
pub(crate) const H: u8 = 8;

/// A/3 mod p, with A = 486662: `x = u + A/3`.
const A_THIRD: Fe = Fe::new(&U256::from_be_hex("2aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaad2451"));
/// The Montgomery curve's A.
const MONT_A: Fe = Fe::new(&U256::from_u32(486_662));
/// (A − 2) / 4, the ladder's doubling constant.
const A24: Fe = Fe::new(&U256::from_u32(121_665));
/// The base point's Montgomery u.
const BASE_U: Fe = Fe::new(&U256::from_u8(9));

/// Every scalar below n fits in this many bits: the ladder always runs all of them.
const SCALAR_BITS: usize = 253;

/// An affine point on the curve, in Weierstrass coordinates, big-endian and padded to 32 bytes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Point {
    pub(crate) x: [u8; 32],
    pub(crate) y: [u8; 32],
}

/// A scalar from 1 to n − 1, big-endian, padded to 32 bytes.
pub(crate) type Scalar = Zeroizing<[u8; 32]>;

/// Whether `k` (big-endian, 32 bytes) is a usable private key: from 1 to n − 1. The check is on
/// whole numbers, not bytes, with no early exit on the key's value.
pub(crate) fn scalar_in_range(k: &[u8; 32]) -> bool {
    let mut v = U256::from_be_bytes(*k);
    let ok = v != U256::ZERO && v < N;
    v.zeroize();
    ok
}

fn fe(bytes: &[u8; 32]) -> Fe {
    Fe::new(&U256::from_be_bytes(*bytes))
}

fn bytes(f: &Fe) -> [u8; 32] {
    f.retrieve().to_be_bytes()
}

/// Checks a point read from a peer: both coordinates below p, on the curve, and in the group
/// the base point generates (n·Q is the point at infinity), as BouncyCastle checks a point it
/// decodes. The point at infinity has no affine encoding, so it cannot arrive here.
pub(crate) fn validate(x: &[u8; 32], y: &[u8; 32]) -> Result<Point, FideliusProblem> {
    let (xi, yi) = (U256::from_be_bytes(*x), U256::from_be_bytes(*y));
    if xi >= P || yi >= P {
        return Err(FideliusProblem::NotOnCurve);
    }
    let (xf, yf) = (Fe::new(&xi), Fe::new(&yi));
    let rhs = xf.square() * xf + Fe::new(&A) * xf + Fe::new(&B);
    if yf.square() != rhs {
        return Err(FideliusProblem::NotOnCurve);
    }
    // y = 0 is the one point of order 2 (Montgomery u = 0), where the ladder's differential
    // addition does not hold; it is outside the group anyway.
    if yf == Fe::ZERO {
        return Err(FideliusProblem::NotInGroup);
    }
    let (_, z, _, _) = ladder(&N.to_be_bytes(), &(xf - A_THIRD));
    if z != Fe::ZERO {
        return Err(FideliusProblem::NotInGroup);
    }
    Ok(Point { x: *x, y: *y })
}

/// The Montgomery ladder: for a scalar k and a point P given by its Montgomery u (not 0),
/// returns (X₂, Z₂, X₃, Z₃) with X₂/Z₂ = u(k·P) and X₃/Z₃ = u((k+1)·P); Z = 0 is the point at
/// infinity. RFC 7748's loop, without clamping, over all [`SCALAR_BITS`] bits.
fn ladder(k: &[u8; 32], u: &Fe) -> (Fe, Fe, Fe, Fe) {
    let (mut x2, mut z2, mut x3, mut z3) = (Fe::ONE, Fe::ZERO, *u, Fe::ONE);
    let mut swap = Choice::from(0);
    for t in (0..SCALAR_BITS).rev() {
        let bit = Choice::from((k[31 - t / 8] >> (t % 8)) & 1);
        swap ^= bit;
        Fe::conditional_swap(&mut x2, &mut x3, swap);
        Fe::conditional_swap(&mut z2, &mut z3, swap);
        swap = bit;
        let a = x2 + z2;
        let aa = a.square();
        let b = x2 - z2;
        let bb = b.square();
        let e = aa - bb;
        let c = x3 + z3;
        let d = x3 - z3;
        let da = d * a;
        let cb = c * b;
        x3 = (da + cb).square();
        z3 = *u * (da - cb).square();
        x2 = aa * bb;
        z2 = e * (aa + A24 * e);
    }
    Fe::conditional_swap(&mut x2, &mut x3, swap);
    Fe::conditional_swap(&mut z2, &mut z3, swap);
    (x2, z2, x3, z3)
}

/// k·G with both coordinates: our public key for the private key `k` (1 ≤ k < n).
pub(crate) fn base_mul(k: &[u8; 32]) -> Point {
    let (mut x2, mut z2, mut x3, mut z3) = ladder(k, &BASE_U);
    let (up, vp) = (BASE_U, fe(&GY.to_be_bytes()));
    let point = if z3 == Fe::ZERO {
        // (k+1)·G is the point at infinity: k = n − 1 and k·G = −G.
        Point { x: GX.to_be_bytes(), y: bytes(&-vp) }
    } else {
        // One inversion for three quotients: u(kG), u((k+1)G) and 1/(2·v(G)).
        let two_vp = vp + vp;
        let inv = (z2 * z3 * two_vp).invert().0;
        let uq = x2 * z3 * two_vp * inv;
        let ur = x3 * z2 * two_vp * inv;
        let inv_two_vp = z2 * z3 * inv;
        // Okeya–Sakurai: v(Q) from u(P), v(P), u(Q) and u(Q + P), on v² = u³ + A·u² + u.
        let two_a = MONT_A + MONT_A;
        let diff = up - uq;
        let vq = ((up * uq + Fe::ONE) * (up + uq + two_a) - two_a - diff.square() * ur) * inv_two_vp;
        Point { x: bytes(&(uq + A_THIRD)), y: bytes(&vq) }
    };
    x2.zeroize();
    z2.zeroize();
    x3.zeroize();
    z3.zeroize();
    point
}

/// The x-coordinate (Weierstrass) of k·Q for a validated peer point Q and our private key k:
/// the ECDH secret, 32 bytes big-endian, padded (never trimmed).
pub(crate) fn shared_x(k: &[u8; 32], q: &Point) -> Result<Zeroizing<[u8; 32]>, FideliusProblem> {
    let u = fe(&q.x) - A_THIRD;
    let (mut x2, mut z2, mut x3, mut z3) = ladder(k, &u);
    let infinity = z2 == Fe::ZERO;
    let mut u_shared = x2 * z2.invert().0;
    let secret = Zeroizing::new(bytes(&(u_shared + A_THIRD)));
    u_shared.zeroize();
    x2.zeroize();
    z2.zeroize();
    x3.zeroize();
    z3.zeroize();
    // Cannot happen for a point that passed `validate` and a key below n; BouncyCastle refuses
    // it the same way.
    if infinity {
        return Err(FideliusProblem::NotInGroup);
    }
    Ok(secret)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn n_minus(d: u64) -> [u8; 32] {
        N.wrapping_sub(&U256::from_u64(d)).to_be_bytes()
    }

    fn small(k: u64) -> [u8; 32] {
        U256::from_u64(k).to_be_bytes()
    }

    #[test]
    fn the_base_point_is_on_the_curve_and_in_the_group() {
        let g = validate(&GX.to_be_bytes(), &GY.to_be_bytes()).unwrap();
        assert!(g == base_mul(&small(1)));
        assert_eq!(bytes(&(BASE_U + A_THIRD)), GX.to_be_bytes());
    }

    #[test]
    fn the_weierstrass_coefficients_are_the_montgomery_curves() {
        // a = 1 − A²/3 (with B = 1), b = A·(2A² − 9)/27.
        let three_inv = Fe::new(&U256::from_u8(3)).invert().0;
        let a = Fe::ONE - MONT_A.square() * three_inv;
        let b = MONT_A
            * (MONT_A.square() + MONT_A.square() - Fe::new(&U256::from_u8(9)))
            * Fe::new(&U256::from_u8(27)).invert().0;
        assert_eq!(a.retrieve(), A);
        assert_eq!(b.retrieve(), B);
        assert_eq!(A_THIRD, MONT_A * three_inv);
    }

    #[test]
    fn small_multiples_agree_with_the_ladder_and_lie_on_the_curve() {
        for k in [1u64, 2, 3, 7, 8, 255, 256, 1 << 40] {
            let p = base_mul(&small(k));
            validate(&p.x, &p.y).unwrap();
        }
        // (n − 1)·G = −G: same x, y negated.
        let m = base_mul(&n_minus(1));
        assert_eq!(m.x, GX.to_be_bytes());
        assert_eq!(U256::from_be_bytes(m.y), P.wrapping_sub(&GY));
        validate(&m.x, &m.y).unwrap();
    }

    #[test]
    fn ecdh_is_commutative_for_extreme_scalars() {
        for (a, b) in [(small(1), n_minus(1)), (n_minus(2), small(3)), (small(0x1234567), n_minus(0x7654321))] {
            let (pa, pb) = (base_mul(&a), base_mul(&b));
            assert_eq!(*shared_x(&a, &pb).unwrap(), *shared_x(&b, &pa).unwrap());
        }
    }

    #[test]
    fn scalars_outside_one_to_n_minus_one_are_refused() {
        assert!(!scalar_in_range(&[0; 32]));
        assert!(!scalar_in_range(&N.to_be_bytes()));
        assert!(!scalar_in_range(&[0xff; 32]));
        assert!(scalar_in_range(&n_minus(1)));
        assert!(scalar_in_range(&small(1)));
    }

    #[test]
    fn points_off_the_curve_or_outside_the_group_are_refused() {
        let (gx, gy) = (GX.to_be_bytes(), GY.to_be_bytes());
        let mut y = gy;
        y[31] ^= 1;
        assert_eq!(validate(&gx, &y), Err(FideliusProblem::NotOnCurve));
        assert_eq!(validate(&P.to_be_bytes(), &gy), Err(FideliusProblem::NotOnCurve));
        // y + p: the same residue, but not a canonical coordinate.
        let big_y = GY.wrapping_add(&P).to_be_bytes();
        assert_eq!(validate(&gx, &big_y), Err(FideliusProblem::NotOnCurve));
        // The point of order 2: Montgomery (0, 0), i.e. (A/3, 0).
        assert_eq!(validate(&bytes(&A_THIRD), &[0; 32]), Err(FideliusProblem::NotInGroup));
        // A point of order 4, and G plus points of order 2 and 4 (made with BouncyCastle, which
        // refuses them as well): on the curve, outside the group.
        for raw in [
            "2aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaad24526be4f497f9a9c2afc21fa77ad7f4a6ef635a11c7284a9363e9a248ef9c884415",
            "71c71c71c71c71c71c71c71c71c71c71c71c71c71c71c71c71c71c71c71eeb63387c4536e46fcbc4e0c9e3fc4a61138a1dccacded58fd8de320cea98dbab460b",
            "495978998d2755df58724b63ce07f38d669b4058bf5d98a3293f8ca972dccf0e296346bbcc9f743d91db442eeabb2cae02f398b0e3a553d622f0e731df2e9cb2",
        ] {
            let b = hex::decode(raw).unwrap();
            let (x, y) = (b[..32].try_into().unwrap(), b[32..].try_into().unwrap());
            assert_eq!(validate(&x, &y), Err(FideliusProblem::NotInGroup), "{raw}");
        }
    }
}
