//! Per-peer rate limit of the public `Prove` RPC: a token bucket per remote IP address, so
//! that one host cannot keep the public prover places full by itself. Connections from many
//! addresses are what the obligation lane's reserved places are for (`crate::pool`).

use parking_lot::Mutex;
use std::collections::HashMap;
use std::net::IpAddr;
use std::time::{Duration, Instant};

/// Buckets kept at most; past it, those idle longest are forgotten (they are full anyway).
const MAX_PEERS: usize = 10_000;

pub struct PeerRateLimit {
    per_minute: u32,
    buckets: Mutex<HashMap<IpAddr, (f64, Instant)>>,
}

impl PeerRateLimit {
    /// `per_minute` calls per peer, in bursts of as many; 0 = unlimited.
    pub fn new(per_minute: u32) -> Self {
        Self {
            per_minute,
            buckets: Mutex::new(HashMap::new()),
        }
    }

    /// Take one call for `peer` at `now`; `Err(wait)` when its bucket is empty.
    pub fn take(&self, peer: IpAddr, now: Instant) -> Result<(), Duration> {
        if self.per_minute == 0 {
            return Ok(());
        }
        let cap = f64::from(self.per_minute);
        let per_sec = cap / 60.0;
        let mut b = self.buckets.lock();
        if b.len() >= MAX_PEERS && !b.contains_key(&peer) {
            let full_after = Duration::from_secs(60);
            b.retain(|_, (_, at)| now.duration_since(*at) < full_after);
        }
        let (tokens, at) = b.entry(peer).or_insert((cap, now));
        let refilled = (*tokens + now.duration_since(*at).as_secs_f64() * per_sec).min(cap);
        *at = now;
        if refilled >= 1.0 {
            *tokens = refilled - 1.0;
            Ok(())
        } else {
            *tokens = refilled;
            Err(Duration::from_secs_f64((1.0 - refilled) / per_sec))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_peer_gets_its_burst_then_its_rate_and_others_are_unaffected() {
        let l = PeerRateLimit::new(60);
        let (a, b): (IpAddr, IpAddr) = ("10.0.0.1".parse().unwrap(), "10.0.0.2".parse().unwrap());
        let t0 = Instant::now();
        for _ in 0..60 {
            l.take(a, t0).unwrap();
        }
        let wait = l.take(a, t0).unwrap_err();
        assert!(wait > Duration::from_millis(900) && wait <= Duration::from_secs(1));
        l.take(b, t0).unwrap();
        // One a second comes back.
        l.take(a, t0 + Duration::from_secs(1)).unwrap();
        assert!(l.take(a, t0 + Duration::from_secs(1)).is_err());
        let unlimited = PeerRateLimit::new(0);
        for _ in 0..1000 {
            unlimited.take(a, t0).unwrap();
        }
    }
}
