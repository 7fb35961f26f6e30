//! Poseidon over the BN254 scalar field: width 9 (rate 8, capacity 1), x^5 S-box, 8 full and
//! 63 partial rounds (the 128-bit parameters of the Poseidon paper for t = 9), round constants
//! and MDS matrix from the reference Grain LFSR (`find_poseidon_ark_and_mds`, as arkworks and
//! circomlib derive them). The same permutation is used natively and in the circuit.

use ark_bn254::Fr;
use ark_crypto_primitives::sponge::poseidon::find_poseidon_ark_and_mds;
use ark_ff::Field;
use std::sync::OnceLock;

/// State width.
pub const WIDTH: usize = 9;
/// Rate (elements absorbed per permutation).
pub const RATE: usize = 8;
/// Full rounds (half before, half after the partial rounds).
pub const FULL_ROUNDS: usize = 8;
/// Partial rounds.
pub const PARTIAL_ROUNDS: usize = 63;

/// Round constants and MDS matrix.
pub struct Params {
    /// `ark[round][i]`.
    pub ark: Vec<[Fr; WIDTH]>,
    /// `mds[i][j]`: `state'[i] = sum_j mds[i][j] * state[j]`.
    pub mds: [[Fr; WIDTH]; WIDTH],
}

/// The parameters (computed once).
pub fn params() -> &'static Params {
    static P: OnceLock<Params> = OnceLock::new();
    P.get_or_init(|| {
        let (ark, mds) = find_poseidon_ark_and_mds::<Fr>(
            254,
            RATE,
            FULL_ROUNDS as u64,
            PARTIAL_ROUNDS as u64,
            0,
        );
        let ark = ark
            .into_iter()
            .map(|r| std::array::from_fn(|i| r[i]))
            .collect();
        let mds = std::array::from_fn(|i| std::array::from_fn(|j| mds[i][j]));
        Params { ark, mds }
    })
}

/// Is round `r` a full round?
pub fn is_full_round(r: usize) -> bool {
    !(FULL_ROUNDS / 2..FULL_ROUNDS / 2 + PARTIAL_ROUNDS).contains(&r)
}

fn sbox(x: Fr) -> Fr {
    let x2 = x.square();
    x2.square() * x
}

/// The permutation, in place.
pub fn permute(state: &mut [Fr; WIDTH]) {
    let p = params();
    for r in 0..FULL_ROUNDS + PARTIAL_ROUNDS {
        for (s, c) in state.iter_mut().zip(&p.ark[r]) {
            *s += c;
        }
        if is_full_round(r) {
            for s in state.iter_mut() {
                *s = sbox(*s);
            }
        } else {
            state[0] = sbox(state[0]);
        }
        let old = *state;
        for (i, s) in state.iter_mut().enumerate() {
            *s = p.mds[i].iter().zip(&old).map(|(m, v)| *m * v).sum();
        }
    }
}

/// Sponge hash of a fixed-length message: the capacity element starts at `domain`, the message
/// is absorbed `RATE` elements at a time (added into the rate part, the last block zero-padded;
/// the length is fixed by `domain`), and the first rate element of the final state is the hash.
pub fn hash(domain: Fr, message: &[Fr]) -> Fr {
    let mut state = [Fr::from(0u64); WIDTH];
    state[0] = domain;
    if message.is_empty() {
        permute(&mut state);
    }
    for block in message.chunks(RATE) {
        for (s, m) in state[1..].iter_mut().zip(block) {
            *s += m;
        }
        permute(&mut state);
    }
    state[1]
}

#[cfg(test)]
mod tests {
    use super::*;
    use ark_crypto_primitives::sponge::{
        poseidon::{PoseidonConfig, PoseidonSponge},
        CryptographicSponge,
    };

    #[test]
    fn permutation_matches_arkworks() {
        // Our permutation must be the standard one: compare with arkworks' sponge, whose
        // absorb of RATE elements followed by one squeeze permutes once.
        let (ark, mds) = find_poseidon_ark_and_mds::<Fr>(254, RATE, 8, 63, 0);
        let cfg = PoseidonConfig::new(8, 63, 5, mds, ark, RATE, 1);
        let msg: Vec<Fr> = (1..=RATE as u64).map(Fr::from).collect();
        let mut sponge = PoseidonSponge::new(&cfg);
        sponge.absorb(&msg);
        let theirs: Vec<Fr> = sponge.squeeze_field_elements(1);
        let mut state = [Fr::from(0u64); WIDTH];
        for (s, m) in state[1..].iter_mut().zip(&msg) {
            *s = *m;
        }
        permute(&mut state);
        assert_eq!(theirs[0], state[1]);
    }
}
