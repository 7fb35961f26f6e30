//! The free tier a provider may offer: each channel may take `per_minute` requests a minute
//! without paying, as a token bucket (up to a minute's worth at once, refilled evenly).
//! Off (0) by default.

use std::collections::HashMap;
use std::time::Instant;

use parking_lot::Mutex;

/// Tokens are counted in thousandths, so a refill of less than one request a minute's
/// share is not lost between requests.
const MILLI: u64 = 1_000;

#[derive(Clone, Copy, Debug)]
struct Bucket {
    milli_tokens: u64,
    at: Instant,
}

pub struct FreeTier {
    per_minute: u32,
    buckets: Mutex<HashMap<u64, Bucket>>,
}

impl FreeTier {
    pub fn new(per_minute: u32) -> Self {
        FreeTier {
            per_minute,
            buckets: Mutex::new(HashMap::new()),
        }
    }

    /// Takes one free request for `channel` at `now`; false when the tier is off or the
    /// channel has used its minute's worth.
    pub fn take(&self, channel: u64, now: Instant) -> bool {
        if self.per_minute == 0 {
            return false;
        }
        let full = u64::from(self.per_minute) * MILLI;
        let mut buckets = self.buckets.lock();
        let b = buckets.entry(channel).or_insert(Bucket {
            milli_tokens: full,
            at: now,
        });
        let elapsed_ms =
            u64::try_from(now.saturating_duration_since(b.at).as_millis()).unwrap_or(u64::MAX);
        // per_minute tokens per 60,000 ms: per_minute · elapsed_ms / 60 milli-tokens.
        let refill = u64::from(self.per_minute).saturating_mul(elapsed_ms) / 60;
        b.milli_tokens = b.milli_tokens.saturating_add(refill).min(full);
        b.at = now;
        if b.milli_tokens < MILLI {
            return false;
        }
        b.milli_tokens -= MILLI;
        true
    }

    /// Forget settled channels.
    pub fn forget(&self, channels: &[u64]) {
        let mut buckets = self.buckets.lock();
        for id in channels {
            buckets.remove(id);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn each_channel_gets_its_minute_of_free_requests_and_refills_evenly() {
        let t0 = Instant::now();
        let tier = FreeTier::new(6);
        assert!((0..6).all(|_| tier.take(1, t0)));
        assert!(!tier.take(1, t0), "a minute's worth, no more");
        // Another channel has its own.
        assert!(tier.take(2, t0));
        // One request's worth comes back every 10 s.
        assert!(!tier.take(1, t0 + Duration::from_secs(9)));
        assert!(tier.take(1, t0 + Duration::from_secs(10)));
        assert!(!tier.take(1, t0 + Duration::from_secs(10)));
        // Never more than a minute's worth saved up.
        let later = t0 + Duration::from_secs(3600);
        assert_eq!((0..10).filter(|_| tier.take(1, later)).count(), 6);
        // Forgotten (settled), a channel id starts again.
        tier.forget(&[1]);
        assert!(tier.take(1, later));
        // Off: nothing is free.
        assert!(!FreeTier::new(0).take(1, t0));
    }
}
