//! Share and slash arithmetic: u128 amounts, 256-bit intermediates, no floats.
//!
//! Rounding always favours the chain (the pool never owes more than it holds):
//! * delegating `a` tokens to a validator with `T` tokens and `S` shares issues
//!   `floor(a·S/T)` shares (1:1 when `S = 0`);
//! * shares are worth `floor(s·T/S)` tokens (what a delegator may unbond);
//! * unbonding `a` tokens burns `ceil(a·S/T)` of the delegator's shares (at most all of
//!   them, which are worth at least `a` by the previous rule);
//! * a slash of `p` parts per million takes `ceil(x·p/10⁶)` of an amount `x`.

/// Parts per million in one whole.
pub const PPM: u32 = 1_000_000;

/// `a·b/c` rounded down, with a 256-bit product; `None` if `c = 0` or the quotient overflows.
pub fn mul_div_floor(a: u128, b: u128, c: u128) -> Option<u128> {
    mul_div(a, b, c).map(|(q, _)| q)
}

/// `a·b/c` rounded up; `None` if `c = 0` or the quotient overflows.
pub fn mul_div_ceil(a: u128, b: u128, c: u128) -> Option<u128> {
    let (q, r) = mul_div(a, b, c)?;
    if r == 0 {
        Some(q)
    } else {
        q.checked_add(1)
    }
}

/// Quotient and remainder of the 256-bit product `a·b` by `c`.
fn mul_div(a: u128, b: u128, c: u128) -> Option<(u128, u128)> {
    if c == 0 {
        return None;
    }
    let (hi, lo) = mul_wide(a, b);
    if hi == 0 {
        return Some((lo / c, lo % c));
    }
    if hi >= c {
        return None; // quotient ≥ 2^128
    }
    // Long division, one bit at a time: the remainder stays below c < 2^128, the
    // quotient fits because hi < c.
    let mut r = hi;
    let mut q: u128 = 0;
    for i in (0..128).rev() {
        let carry = r >> 127;
        r = (r << 1) | ((lo >> i) & 1);
        q <<= 1;
        if carry == 1 || r >= c {
            r = r.wrapping_sub(c);
            q |= 1;
        }
    }
    Some((q, r))
}

/// The full 256-bit product as (high, low) halves.
fn mul_wide(a: u128, b: u128) -> (u128, u128) {
    const MASK: u128 = u64::MAX as u128;
    let (a1, a0) = (a >> 64, a & MASK);
    let (b1, b0) = (b >> 64, b & MASK);
    let p00 = a0 * b0;
    let p01 = a0 * b1;
    let p10 = a1 * b0;
    let p11 = a1 * b1;
    let mid = (p00 >> 64) + (p01 & MASK) + (p10 & MASK);
    let lo = (p00 & MASK) | (mid << 64);
    let hi = p11 + (p01 >> 64) + (p10 >> 64) + (mid >> 64);
    (hi, lo)
}

/// Shares issued for delegating `amount` to a validator holding `tokens` with `shares`
/// outstanding. `None` when the validator has shares but no tokens (slashed to zero: new
/// delegations would be worthless) or on overflow.
pub fn shares_for_tokens(amount: u128, tokens: u128, shares: u128) -> Option<u128> {
    if shares == 0 {
        return Some(amount);
    }
    if tokens == 0 {
        return None;
    }
    mul_div_floor(amount, shares, tokens)
}

/// Tokens that `s` shares are worth, rounded down.
pub fn tokens_for_shares(s: u128, tokens: u128, shares: u128) -> u128 {
    if shares == 0 {
        return 0;
    }
    mul_div_floor(s, tokens, shares).unwrap_or(0).min(tokens)
}

/// Shares to remove when unbonding `amount` tokens, rounded up.
pub fn shares_to_unbond(amount: u128, tokens: u128, shares: u128) -> Option<u128> {
    if tokens == 0 {
        return None;
    }
    mul_div_ceil(amount, shares, tokens)
}

/// CometBFT voting power of `tokens` at PoL weight `weight_ppm`:
/// `floor(floor(tokens · weight_ppm / 10⁶) / POWER_REDUCTION)`, capped at
/// [`MAX_VALIDATOR_POWER`](crate::end_block::MAX_VALIDATOR_POWER). `weight_ppm` above 10⁶
/// counts as 10⁶.
pub fn weighted_power(tokens: u128, weight_ppm: u32) -> i64 {
    let weight = u128::from(weight_ppm.min(PPM));
    // weight ≤ 10⁶, so the quotient is at most `tokens` and never overflows.
    let weighted = mul_div_floor(tokens, weight, u128::from(PPM)).unwrap_or(tokens);
    let power = weighted / crate::POWER_REDUCTION;
    power.min(crate::end_block::MAX_VALIDATOR_POWER as u128) as i64
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::{Rng, SeedableRng};

    #[test]
    fn mul_div_matches_small_math_and_handles_wide_products() {
        let mut rng = rand::rngs::StdRng::seed_from_u64(7);
        for _ in 0..10_000 {
            let a = rng.gen::<u64>() as u128;
            let b = rng.gen::<u64>() as u128;
            let c = (rng.gen::<u64>() as u128).max(1);
            assert_eq!(mul_div_floor(a, b, c), Some(a * b / c));
            let ceil = (a * b).div_ceil(c);
            assert_eq!(mul_div_ceil(a, b, c), Some(ceil));
        }
        // Products past 2^128.
        assert_eq!(
            mul_div_floor(u128::MAX, u128::MAX, u128::MAX),
            Some(u128::MAX)
        );
        assert_eq!(mul_div_floor(u128::MAX, 3, 4), Some(u128::MAX / 4 * 3 + 2));
        assert_eq!(mul_div_floor(1 << 100, 1 << 100, 1 << 80), Some(1 << 120));
        assert_eq!(
            mul_div_ceil(u128::MAX, u128::MAX - 1, u128::MAX),
            Some(u128::MAX - 1)
        );
        assert_eq!(mul_div_floor(u128::MAX, 2, 1), None);
        assert_eq!(mul_div_floor(1, 1, 0), None);
        // Random wide products checked by q·c + r = a·b.
        for _ in 0..2_000 {
            let a: u128 = rng.gen();
            let b: u128 = rng.gen();
            let c: u128 = rng.gen::<u128>().max(1);
            if let Some((q, r)) = mul_div(a, b, c) {
                assert!(r < c);
                let (h1, l1) = mul_wide(q, c);
                let (l2, carry) = l1.overflowing_add(r);
                let h2 = h1 + carry as u128;
                assert_eq!((h2, l2), mul_wide(a, b));
            } else {
                assert!(mul_wide(a, b).0 >= c);
            }
        }
    }

    #[test]
    fn rounding_favours_the_chain() {
        // 3 tokens, 2 shares: 1 token buys floor(2/3) = 0 shares.
        assert_eq!(shares_for_tokens(1, 3, 2), Some(0));
        assert_eq!(shares_for_tokens(5, 3, 2), Some(3));
        // 1 share of (3 tokens, 2 shares) is worth floor(1.5) = 1.
        assert_eq!(tokens_for_shares(1, 3, 2), 1);
        // Unbonding 1 token of (3, 2) burns ceil(2/3) = 1 share.
        assert_eq!(shares_to_unbond(1, 3, 2), Some(1));
        // First delegation is 1:1; a slashed-to-zero validator takes no delegation.
        assert_eq!(shares_for_tokens(10, 0, 0), Some(10));
        assert_eq!(shares_for_tokens(10, 0, 5), None);
        // PoL weight: floor at each step, full weight is plain power, capped.
        assert_eq!(weighted_power(10_000_000, PPM), 10);
        assert_eq!(weighted_power(10_999_999, PPM), 10);
        assert_eq!(weighted_power(10_000_000, 550_000), 5);
        assert_eq!(weighted_power(10_000_000, 99_999), 0);
        assert_eq!(weighted_power(10_000_000, 2_000_000), 10);
        assert_eq!(
            weighted_power(u128::MAX, PPM),
            crate::end_block::MAX_VALIDATOR_POWER
        );

        // Property: delegate then unbond everything never returns more than was put in, and
        // the remaining holders' value per share never drops.
        let mut rng = rand::rngs::StdRng::seed_from_u64(11);
        for _ in 0..5_000 {
            let t: u128 = rng.gen_range(1..1_000_000_000);
            let s: u128 = rng.gen_range(1..1_000_000_000_000);
            let a: u128 = rng.gen_range(0..1_000_000_000);
            let issued = shares_for_tokens(a, t, s).unwrap();
            let (t2, s2) = (t + a, s + issued);
            let back = tokens_for_shares(issued, t2, s2);
            assert!(back <= a, "t={t} s={s} a={a}: {back} > {a}");
            // Others' value did not drop: (t2/s2) ≥ (t/s)  ⇔  t2·s ≥ t·s2.
            assert!(t2 * s >= t * s2);
            // Unbond `back` tokens: burns at most `issued` shares.
            if back > 0 {
                let burn = shares_to_unbond(back, t2, s2).unwrap().min(issued);
                let (t3, s3) = (t2 - back, s2 - burn);
                assert!(t3 * s2 >= t2 * s3, "per-share value dropped");
            }
        }
    }
}
