//! One channel's books on the worker: the best payment it holds (what it can claim), what
//! it has charged for the requests it took, and which payments it has taken (so none is
//! taken twice).
//!
//! The rule a payment must meet is *coverage*: after taking it, the best payment the
//! worker holds must pay at least everything charged so far, in each share (provider and
//! royalty). Payments may arrive in any order (a client pipelining requests on one
//! channel), and a payment signed ahead (a requester paying for several requests at once)
//! is credit the following requests use. A request that fails after its payment was taken
//! gives its charge back and its payment may be sent again.
//!
//! Invariant: `best` always covers `spent`, so a provider that claims `best` is paid for
//! every request it served.

use std::collections::BTreeSet;

use pol_payments::SignedPayment;

/// What one request costs: the provider's price and the model owner's royalty.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Price {
    pub provider: u128,
    pub royalty: u128,
}

impl Price {
    pub fn total(&self) -> u128 {
        self.provider.saturating_add(self.royalty)
    }
}

/// Why a payment was refused (besides those the chain view decides).
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum Refusal {
    #[error("payment of {amount} exceeds the channel's deposit of {deposit} committed on chain; top the channel up")]
    Overspent { amount: u128, deposit: u128 },
    #[error("payment of {amount} was already used for a request")]
    Replayed { amount: u128 },
    #[error("payment of {amount} is older than this channel's payments kept (at or below {floor}); sign a newer one")]
    Stale { amount: u128, floor: u128 },
    #[error("payment does not pay this request: after it the channel must authorise {need_amount} ({need_royalty} royalty) in total, the best payment authorises {have_amount} ({have_royalty} royalty)")]
    Underpaid {
        need_amount: u128,
        need_royalty: u128,
        have_amount: u128,
        have_royalty: u128,
    },
    #[error("payment's shares go down against a payment of the same channel (royalty and provider share only grow with the amount)")]
    Inconsistent,
}

/// How many taken payments a ledger remembers; older ones are refused as stale.
pub const SEEN_WINDOW: usize = 4096;

/// A request's hold on a ledger: give it back with [`Ledger::release`] if the request fails.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Reservation {
    pub channel_id: u64,
    pub amount: u128,
    pub price: Price,
}

#[derive(Clone, Debug, Default)]
pub struct Ledger {
    best: Option<SignedPayment>,
    spent: Price,
    seen: BTreeSet<u128>,
    /// Payments at or below this amount are refused (forgotten, or from before a restart).
    floor: Option<u128>,
}

impl Ledger {
    /// The books after a restart: the persisted best payment, all of it charged (the
    /// worker cannot know which of it was still credit), nothing at or below it taken again.
    pub fn recovered(best: SignedPayment) -> Self {
        Ledger {
            best: Some(best),
            spent: Price {
                provider: best.provider_share(),
                royalty: best.royalty,
            },
            seen: BTreeSet::new(),
            floor: Some(best.amount),
        }
    }

    pub fn best(&self) -> Option<&SignedPayment> {
        self.best.as_ref()
    }

    pub fn spent(&self) -> Price {
        self.spent
    }

    /// Take `p` (its signature already checked) for a request costing `price`, on a channel
    /// with `deposit` committed.
    pub fn reserve(
        &mut self,
        p: &SignedPayment,
        price: Price,
        deposit: u128,
    ) -> Result<Reservation, Refusal> {
        if p.amount > deposit {
            return Err(Refusal::Overspent {
                amount: p.amount,
                deposit,
            });
        }
        if let Some(floor) = self.floor.filter(|f| p.amount <= *f) {
            return Err(Refusal::Stale {
                amount: p.amount,
                floor,
            });
        }
        if self.seen.contains(&p.amount) {
            return Err(Refusal::Replayed { amount: p.amount });
        }
        let best = match &self.best {
            Some(b) if b.amount >= p.amount => {
                if p.royalty > b.royalty || p.provider_share() > b.provider_share() {
                    return Err(Refusal::Inconsistent);
                }
                *b
            }
            Some(b) => {
                if p.royalty < b.royalty || p.provider_share() < b.provider_share() {
                    return Err(Refusal::Inconsistent);
                }
                *p
            }
            None => *p,
        };
        let need = Price {
            provider: self.spent.provider.saturating_add(price.provider),
            royalty: self.spent.royalty.saturating_add(price.royalty),
        };
        if best.provider_share() < need.provider || best.royalty < need.royalty {
            return Err(Refusal::Underpaid {
                need_amount: need.total(),
                need_royalty: need.royalty,
                have_amount: best.amount,
                have_royalty: best.royalty,
            });
        }
        self.best = Some(best);
        self.spent = need;
        self.seen.insert(p.amount);
        while self.seen.len() > SEEN_WINDOW {
            let oldest = self.seen.pop_first();
            self.floor = self.floor.max(oldest);
        }
        Ok(Reservation {
            channel_id: p.channel_id,
            amount: p.amount,
            price,
        })
    }

    /// The request behind `r` failed before its answer: its charge is given back and its
    /// payment may be sent again. The best payment stays (it is still signed).
    pub fn release(&mut self, r: &Reservation) {
        if self.seen.remove(&r.amount) {
            self.spent.provider = self.spent.provider.saturating_sub(r.price.provider);
            self.spent.royalty = self.spent.royalty.saturating_sub(r.price.royalty);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ed25519_dalek::SigningKey;

    const PRICE: Price = Price {
        provider: 10,
        royalty: 3,
    };

    fn pay(amount: u128, royalty: u128) -> SignedPayment {
        SignedPayment::sign("c", 1, amount, royalty, &SigningKey::from_bytes(&[1; 32])).unwrap()
    }

    fn n(k: u128) -> SignedPayment {
        pay(13 * k, 3 * k)
    }

    #[test]
    fn each_request_pays_its_price_beyond_the_last() {
        let mut l = Ledger::default();
        for k in 1..=5 {
            l.reserve(&n(k), PRICE, 1_000).unwrap();
        }
        assert_eq!(l.best().unwrap().amount, 65);
        assert_eq!(
            l.spent(),
            Price {
                provider: 50,
                royalty: 15
            }
        );
        // Replayed, underpaid (no increment), underpaid royalty, overspent.
        assert_eq!(
            l.reserve(&n(5), PRICE, 1_000),
            Err(Refusal::Replayed { amount: 65 })
        );
        assert!(matches!(
            l.reserve(&pay(70, 18), PRICE, 1_000),
            Err(Refusal::Underpaid { .. })
        ));
        assert!(matches!(
            l.reserve(&pay(78, 16), PRICE, 1_000),
            Err(Refusal::Underpaid { .. })
        ));
        assert_eq!(
            l.reserve(&n(6), PRICE, 70),
            Err(Refusal::Overspent {
                amount: 78,
                deposit: 70
            })
        );
        // Shares that shrink against the best are refused whatever the total.
        assert_eq!(
            l.reserve(&pay(100, 14), PRICE, 1_000),
            Err(Refusal::Inconsistent)
        );
        assert_eq!(
            l.spent(),
            Price {
                provider: 50,
                royalty: 15
            },
            "refusals charge nothing"
        );
    }

    #[test]
    fn pipelined_payments_may_arrive_out_of_order() {
        let mut l = Ledger::default();
        l.reserve(&n(2), PRICE, 1_000).unwrap();
        l.reserve(&n(1), PRICE, 1_000).unwrap();
        l.reserve(&n(4), PRICE, 1_000).unwrap();
        l.reserve(&n(3), PRICE, 1_000).unwrap();
        assert_eq!(l.spent().total(), 52);
        assert_eq!(l.best().unwrap().amount, 52);
        // A fifth request with no newer payment is not covered.
        assert!(matches!(
            l.reserve(&pay(51, 12), PRICE, 1_000),
            Err(Refusal::Inconsistent) | Err(Refusal::Underpaid { .. })
        ));
    }

    #[test]
    fn prepaid_credit_serves_later_requests_and_failures_give_the_charge_back() {
        let mut l = Ledger::default();
        // One payment for three requests, then two smaller distinct payments use it.
        l.reserve(&n(3), PRICE, 1_000).unwrap();
        let r2 = l.reserve(&n(1), PRICE, 1_000).unwrap();
        l.reserve(&n(2), PRICE, 1_000).unwrap();
        assert!(matches!(
            l.reserve(&pay(38, 8), PRICE, 1_000),
            Err(Refusal::Underpaid { .. })
        ));
        // The second request failed: its charge and its payment come back.
        l.release(&r2);
        assert_eq!(l.spent().total(), 26);
        l.reserve(&n(1), PRICE, 1_000).unwrap();
        assert_eq!(l.spent().total(), 39);
        // Releasing twice gives nothing more back.
        let again = Reservation {
            channel_id: 1,
            amount: 999,
            price: PRICE,
        };
        l.release(&again);
        assert_eq!(l.spent().total(), 39);
    }

    #[test]
    fn the_best_payment_always_covers_what_was_charged() {
        use rand::{Rng, SeedableRng};
        let mut rng = rand::rngs::StdRng::seed_from_u64(5);
        let mut l = Ledger::default();
        let mut held = Vec::new();
        for _ in 0..5_000 {
            match rng.gen_range(0..3) {
                0 | 1 => {
                    let k = rng.gen_range(1..200u128);
                    let royalty = 3 * k - rng.gen_range(0..2u128);
                    if let Ok(r) = l.reserve(&pay(13 * k, royalty), PRICE, 2_000) {
                        held.push(r);
                    }
                }
                _ if !held.is_empty() => {
                    let r = held.swap_remove(rng.gen_range(0..held.len()));
                    l.release(&r);
                }
                _ => {}
            }
            if let Some(b) = l.best() {
                assert!(b.provider_share() >= l.spent().provider && b.royalty >= l.spent().royalty);
            }
        }
        // A restart keeps the best and refuses everything at or below it.
        let best = *l.best().unwrap();
        let mut r = Ledger::recovered(best);
        assert!(matches!(
            r.reserve(&best, PRICE, 10_000),
            Err(Refusal::Stale { .. })
        ));
        let next = pay(best.amount + 13, best.royalty + 3);
        r.reserve(&next, PRICE, 10_000).unwrap();
    }
}
