//! The gate and the claimer against a chain held in memory: every refusal with its gRPC
//! code and reason, nothing charged for a refused or failed request, the journal across a
//! restart, and claims batched, urgent-first, never for settled channels.

use std::collections::BTreeMap;
use std::sync::Arc;

use ed25519_dalek::SigningKey;
use parking_lot::Mutex;
use pol_payments::msg::MsgClaimPayment;
use pol_payments::pb::{self, ChannelState};
use pol_payments::SignedPayment;

use super::claimer::{self, ClaimSender};
use super::*;

const CHAIN: &str = "pol-test-1";
const ME: [u8; 20] = [7; 20];
const MODEL: &str = "tiny";
const PRICE: Price = Price {
    provider: 10,
    royalty: 3,
};

#[derive(Default)]
struct FakeChain {
    channels: BTreeMap<u64, pb::Channel>,
    height: u64,
    fetches: usize,
}

struct Source(Arc<Mutex<FakeChain>>);

#[tonic::async_trait]
impl ChannelSource for Source {
    async fn channel(&self, id: u64) -> Result<(Option<pb::Channel>, u64), String> {
        let mut c = self.0.lock();
        c.fetches += 1;
        Ok((c.channels.get(&id).cloned(), c.height))
    }
    async fn provider_channels(&self) -> Result<(Vec<pb::Channel>, u64), String> {
        let c = self.0.lock();
        let me = pol_inference::receipt::format_address(&ME);
        Ok((
            c.channels
                .values()
                .filter(|ch| ch.provider == me)
                .cloned()
                .collect(),
            c.height,
        ))
    }
    async fn prices(&self, models: &[String]) -> Result<(u128, BTreeMap<String, u128>), String> {
        Ok((
            PRICE.provider,
            models.iter().map(|m| (m.clone(), PRICE.royalty)).collect(),
        ))
    }
}

fn key() -> SigningKey {
    SigningKey::from_bytes(&[4; 32])
}

fn channel(id: u64, provider: [u8; 20], model: &str, deposit: u128, expiry: u64) -> pb::Channel {
    pb::Channel {
        id,
        requester: pol_inference::receipt::format_address(&[3; 20]),
        provider: pol_inference::receipt::format_address(&provider),
        model_id: model.into(),
        signer: key().verifying_key().to_bytes().to_vec(),
        denom: "upol".into(),
        deposit: deposit.to_string(),
        claimed: "0".into(),
        claimed_royalty: "0".into(),
        expiry_height: expiry,
        state: ChannelState::Open as i32,
        ..Default::default()
    }
}

struct Fixture {
    chain: Arc<Mutex<FakeChain>>,
    gate: Arc<PaymentGate>,
    dir: tempfile::TempDir,
}

fn gate_at(
    chain: &Arc<Mutex<FakeChain>>,
    dir: &std::path::Path,
    required: bool,
) -> Arc<PaymentGate> {
    let view = ChainView::new(Some(Arc::new(Source(chain.clone()))), vec![MODEL.into()]);
    let config = PaymentsConfig {
        required,
        margin_blocks: 10,
        ..Default::default()
    };
    Arc::new(PaymentGate::new(CHAIN, ME, config, view, &dir.join("payments.journal")).unwrap())
}

async fn fixture() -> Fixture {
    let mut c = FakeChain {
        height: 100,
        ..Default::default()
    };
    c.channels.insert(1, channel(1, ME, MODEL, 1_000, 500));
    c.channels.insert(2, channel(2, [8; 20], MODEL, 1_000, 500));
    c.channels.insert(3, channel(3, ME, "other", 1_000, 500));
    c.channels.insert(4, channel(4, ME, MODEL, 1_000, 105));
    let chain = Arc::new(Mutex::new(c));
    let dir = tempfile::tempdir().unwrap();
    let gate = gate_at(&chain, dir.path(), true);
    gate.view.refresh().await.unwrap();
    Fixture { chain, gate, dir }
}

fn pay(channel: u64, k: u128) -> pb::Payment {
    SignedPayment::sign(CHAIN, channel, 13 * k, 3 * k, &key())
        .unwrap()
        .to_proto()
}

async fn refused(gate: &Arc<PaymentGate>, p: Option<pb::Payment>) -> (&'static str, tonic::Code) {
    let e = gate.admit(MODEL, p.as_ref()).await.err().expect("refused");
    let status = e.to_status();
    assert_eq!(
        status
            .metadata()
            .get(REFUSED_METADATA)
            .unwrap()
            .to_str()
            .unwrap(),
        e.reason()
    );
    (e.reason(), status.code())
}

#[tokio::test]
async fn every_bad_payment_is_refused_with_its_code_and_charges_nothing() {
    use tonic::Code;
    let f = fixture().await;
    let g = &f.gate;
    assert_eq!(refused(g, None).await, ("missing", Code::PermissionDenied));
    let mut malformed = pay(1, 1);
    malformed.amount = "lots".into();
    assert_eq!(
        refused(g, Some(malformed)).await,
        ("malformed", Code::InvalidArgument)
    );
    assert_eq!(
        refused(g, Some(pay(9, 1))).await,
        ("unknown_channel", Code::FailedPrecondition)
    );
    assert_eq!(
        refused(g, Some(pay(2, 1))).await,
        ("wrong_channel", Code::FailedPrecondition)
    );
    assert_eq!(
        refused(g, Some(pay(3, 1))).await,
        ("wrong_channel", Code::FailedPrecondition)
    );
    assert_eq!(
        refused(g, Some(pay(4, 1))).await,
        ("expiring", Code::FailedPrecondition)
    );
    let forged = SignedPayment::sign(CHAIN, 1, 13, 3, &SigningKey::from_bytes(&[5; 32])).unwrap();
    assert_eq!(
        refused(g, Some(forged.to_proto())).await,
        ("forged", Code::Unauthenticated)
    );
    let other_chain = SignedPayment::sign("pol-other", 1, 13, 3, &key()).unwrap();
    assert_eq!(
        refused(g, Some(other_chain.to_proto())).await,
        ("forged", Code::Unauthenticated)
    );
    let short = SignedPayment::sign(CHAIN, 1, 12, 3, &key()).unwrap();
    assert_eq!(
        refused(g, Some(short.to_proto())).await,
        ("underpaid", Code::PermissionDenied)
    );
    let no_royalty = SignedPayment::sign(CHAIN, 1, 13, 0, &key()).unwrap();
    assert_eq!(
        refused(g, Some(no_royalty.to_proto())).await,
        ("underpaid", Code::PermissionDenied)
    );
    assert_eq!(
        refused(g, Some(pay(1, 77))).await,
        ("overspent", Code::PermissionDenied)
    );
    // None of it was charged: the first real payment is the first request's.
    let a = g.admit(MODEL, Some(&pay(1, 1))).await.unwrap();
    g.settle(a).unwrap();
    assert_eq!(
        refused(g, Some(pay(1, 1))).await,
        ("replayed", Code::AlreadyExists)
    );
    // An unknown id is remembered: asked again, the chain is not asked again.
    let fetches = f.chain.lock().fetches;
    refused(g, Some(pay(9, 1))).await;
    assert_eq!(f.chain.lock().fetches, fetches);
}

#[tokio::test]
async fn a_request_that_fails_gives_its_charge_back_and_a_top_up_is_seen() {
    let f = fixture().await;
    let g = &f.gate;
    // Admitted, then dropped without an answer (the model failed, the client left).
    let a = g.admit(MODEL, Some(&pay(1, 1))).await.unwrap();
    drop(a);
    // The same payment serves the retry.
    let a = g.admit(MODEL, Some(&pay(1, 1))).await.unwrap();
    g.settle(a).unwrap();
    // Paying beyond the deposit the view holds: the gate reads the channel again.
    f.chain.lock().channels.get_mut(&1).unwrap().deposit = "2000".into();
    let a = g.admit(MODEL, Some(&pay(1, 100))).await.unwrap();
    g.settle(a).unwrap();
    assert_eq!(
        g.journaled(),
        vec![SignedPayment::from_proto(&pay(1, 100)).unwrap()]
    );
}

#[tokio::test]
async fn payments_survive_a_restart_and_cannot_be_replayed_after_it() {
    let f = fixture().await;
    for k in 1..=5 {
        let a = f.gate.admit(MODEL, Some(&pay(1, k))).await.unwrap();
        f.gate.settle(a).unwrap();
    }
    // kill -9: nothing but the journal file survives.
    let journaled = f.gate.journaled();
    drop(f.gate);
    let gate = gate_at(&f.chain, f.dir.path(), true);
    gate.view.refresh().await.unwrap();
    assert_eq!(gate.journaled(), journaled);
    assert_eq!(journaled[0].amount, 65);
    for k in 1..=5 {
        assert_eq!(refused(&gate, Some(pay(1, k))).await.0, "stale");
    }
    let a = gate.admit(MODEL, Some(&pay(1, 6))).await.unwrap();
    gate.settle(a).unwrap();
}

#[tokio::test]
async fn without_required_payments_unpaid_requests_pass_and_paid_ones_are_still_checked() {
    let f = fixture().await;
    let g = gate_at(&f.chain, f.dir.path(), false);
    g.view.refresh().await.unwrap();
    let a = g.admit(MODEL, None).await.unwrap();
    assert!(a.reservation().is_none());
    g.settle(a).unwrap();
    assert_eq!(refused(&g, Some(pay(2, 1))).await.0, "wrong_channel");
}

/// A provider offering 2 free requests a minute per channel: a payment that proves the
/// channel but pays nothing new (a repeat, or one short of the price) is served free while
/// the channel has some left, charging nothing; past that it is refused as before, and a
/// payment that is forged, beyond the deposit or for another provider never is.
#[tokio::test]
async fn a_free_tier_serves_each_channel_its_share_and_nothing_more() {
    let f = fixture().await;
    let view = ChainView::new(Some(Arc::new(Source(f.chain.clone()))), vec![MODEL.into()]);
    let config = PaymentsConfig {
        required: true,
        margin_blocks: 10,
        free_per_minute: 2,
        ..Default::default()
    };
    let g = Arc::new(
        PaymentGate::new(CHAIN, ME, config, view, &f.dir.path().join("free.journal")).unwrap(),
    );
    g.view.refresh().await.unwrap();
    // A paid request, then its payment again: free.
    let a = g.admit(MODEL, Some(&pay(1, 1))).await.unwrap();
    assert!(!a.is_free() && a.reservation().is_some());
    g.settle(a).unwrap();
    let a = g.admit(MODEL, Some(&pay(1, 1))).await.unwrap();
    assert!(a.is_free() && a.reservation().is_none());
    g.settle(a).unwrap();
    // One short of the price: free too, and the last of the minute.
    let short = SignedPayment::sign(CHAIN, 1, 14, 3, &key())
        .unwrap()
        .to_proto();
    assert!(g.admit(MODEL, Some(&short)).await.unwrap().is_free());
    assert_eq!(refused(&g, Some(pay(1, 1))).await.0, "replayed");
    assert_eq!(refused(&g, Some(short)).await.0, "underpaid");
    // Nothing free was charged or journaled: the books hold the one paid request.
    assert_eq!(
        g.journaled(),
        vec![SignedPayment::from_proto(&pay(1, 1)).unwrap()]
    );
    let a = g.admit(MODEL, Some(&pay(1, 2))).await.unwrap();
    assert!(!a.is_free());
    g.settle(a).unwrap();
    // The free tier identifies by a channel's signature, on a channel that pays this
    // provider, within its deposit.
    let forged = SignedPayment::sign(CHAIN, 1, 13, 3, &SigningKey::from_bytes(&[5; 32])).unwrap();
    assert_eq!(refused(&g, Some(forged.to_proto())).await.0, "forged");
    assert_eq!(refused(&g, Some(pay(2, 1))).await.0, "wrong_channel");
    assert_eq!(refused(&g, Some(pay(1, 77))).await.0, "overspent");
    assert_eq!(refused(&g, None).await.0, "missing");
    assert_eq!(f.gate.config.free_per_minute, 0, "off by default");
}

#[derive(Default)]
struct Sender {
    sent: Mutex<Vec<Vec<MsgClaimPayment>>>,
    chain: Option<Arc<Mutex<FakeChain>>>,
}

#[tonic::async_trait]
impl ClaimSender for Sender {
    async fn send_claims(&self, msgs: Vec<MsgClaimPayment>) -> anyhow::Result<Result<u64, String>> {
        if let Some(chain) = &self.chain {
            let mut c = chain.lock();
            for m in &msgs {
                let p = m.payment.as_ref().unwrap();
                c.channels.get_mut(&p.channel_id).unwrap().claimed = p.amount.clone();
            }
        }
        self.sent.lock().push(msgs);
        Ok(Ok(1))
    }
}

#[tokio::test]
async fn the_claimer_claims_due_channels_in_batches_and_forgets_settled_ones() {
    let f = fixture().await;
    let g = &f.gate;
    // Channel 5 runs out soon (urgent); 1 does not.
    f.chain
        .lock()
        .channels
        .insert(5, channel(5, ME, MODEL, 1_000, 115));
    g.view.refresh().await.unwrap();
    for (id, k) in [(1, 3), (5, 2)] {
        for j in 1..=k {
            let a = g.admit(MODEL, Some(&pay(id, j))).await.unwrap();
            g.settle(a).unwrap();
        }
    }
    let sender = Sender {
        chain: Some(f.chain.clone()),
        ..Default::default()
    };
    let me = pol_inference::receipt::format_address(&ME);
    let r = claimer::round(g, &sender, &me, false).await.unwrap();
    assert_eq!(
        (r.claimed_channels, r.transactions),
        (1, 1),
        "only the urgent channel"
    );
    assert_eq!(
        sender.sent.lock()[0][0]
            .payment
            .as_ref()
            .unwrap()
            .channel_id,
        5
    );
    let r = claimer::round(g, &sender, &me, true).await.unwrap();
    assert_eq!(
        r.claimed_channels, 1,
        "forced: channel 1; channel 5 has nothing new"
    );
    let r = claimer::round(g, &sender, &me, true).await.unwrap();
    assert_eq!(r.claimed_channels, 0, "nothing unclaimed is left");
    // Channel 1 settles on chain: the worker forgets it and compacts its journal.
    f.chain.lock().channels.remove(&1);
    let r = claimer::round(g, &sender, &me, true).await.unwrap();
    assert_eq!(r.forgotten, 1);
    assert_eq!(
        g.journaled()
            .iter()
            .map(|p| p.channel_id)
            .collect::<Vec<_>>(),
        vec![5]
    );
    let (_, on_disk) = Journal::open(&f.dir.path().join("payments.journal")).unwrap();
    assert_eq!(on_disk.keys().copied().collect::<Vec<_>>(), vec![5]);
}

#[tokio::test]
async fn many_channels_are_claimed_a_hundred_to_a_transaction() {
    let f = fixture().await;
    {
        let mut c = f.chain.lock();
        for id in 10..260 {
            c.channels.insert(id, channel(id, ME, MODEL, 1_000, 500));
        }
    }
    f.gate.view.refresh().await.unwrap();
    for id in 10..260 {
        let a = f.gate.admit(MODEL, Some(&pay(id, 1))).await.unwrap();
        f.gate.settle(a).unwrap();
    }
    let sender = Sender::default();
    let r = claimer::round(&f.gate, &sender, "p", true).await.unwrap();
    assert_eq!((r.claimed_channels, r.transactions), (250, 3));
    let sizes: Vec<usize> = sender.sent.lock().iter().map(Vec::len).collect();
    assert_eq!(sizes, vec![100, 100, 50]);
}
