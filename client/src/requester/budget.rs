//! The hedging budget: each request earns `max_extra_ppm` millionths of a hedge, a hedge
//! spends a whole one, so over any long run hedges are at most that share of requests
//! (plus the small burst the cap allows).

/// One hedge, in millionths.
const ONE: u64 = 1_000_000;

#[derive(Clone, Debug)]
pub struct HedgeBudget {
    max_extra_ppm: u64,
    tokens: u64,
    cap: u64,
}

impl HedgeBudget {
    pub fn new(max_extra_ppm: u32) -> Self {
        HedgeBudget {
            max_extra_ppm: u64::from(max_extra_ppm),
            // One hedge at hand from the start, at most three saved up.
            tokens: ONE.min(u64::from(max_extra_ppm) * 1000),
            cap: 3 * ONE,
        }
    }

    /// A request was made.
    pub fn earn(&mut self) {
        self.tokens = (self.tokens + self.max_extra_ppm).min(self.cap);
    }

    /// Spend a hedge if one is available.
    pub fn try_spend(&mut self) -> bool {
        if self.tokens >= ONE {
            self.tokens -= ONE;
            true
        } else {
            false
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hedges_stay_within_the_share_of_requests() {
        let mut b = HedgeBudget::new(50_000);
        let mut hedges = 0;
        for _ in 0..10_000 {
            b.earn();
            if b.try_spend() {
                hedges += 1;
            }
        }
        // 5 % of 10,000, plus the one at hand from the start.
        assert!((500..=501).contains(&hedges), "{hedges}");
        let mut none = HedgeBudget::new(0);
        none.earn();
        assert!(!none.try_spend());
    }
}
