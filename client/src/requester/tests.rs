//! The requester against fake workers on loopback: hedging a slow provider, the hedge cap,
//! failover past errors and bad receipts, its own measurements overruling the consensus,
//! retries, and which payments it uses again.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use ed25519_dalek::SigningKey;
use parking_lot::Mutex;
use pol_inference::receipt::{ReceiptBody, ReceiptPayment};
use pol_payments::SignedPayment;
use pol_worker_api::worker_server::{Worker, WorkerServer};
use pol_worker_api::*;
use tonic::{Request, Response, Status};

use super::*;

const CHAIN: &str = "pol-test-1";
const MODEL: &str = "m";
const LOGITS: [i32; 3] = [1, 5, 2];

#[derive(Clone, Copy, PartialEq, Eq)]
enum Behaviour {
    Answer,
    Unavailable,
    Refuse,
    WrongKey,
}

struct Fake {
    provider: [u8; 20],
    key: SigningKey,
    delay: Duration,
    behaviour: Behaviour,
    calls: Arc<AtomicU64>,
}

#[tonic::async_trait]
impl Worker for Fake {
    async fn infer(&self, r: Request<InferRequest>) -> Result<Response<InferResponse>, Status> {
        self.calls.fetch_add(1, Ordering::Relaxed);
        tokio::time::sleep(self.delay).await;
        let r = r.into_inner();
        match self.behaviour {
            Behaviour::Unavailable => return Err(Status::unavailable("down")),
            Behaviour::Refuse => return Err(Status::permission_denied("underpaid")),
            _ => {}
        }
        let input: Vec<i8> = r.input.iter().map(|&b| b as i8).collect();
        let payment = r
            .payment
            .map(|p| SignedPayment::from_proto(&p).unwrap())
            .map(|p| ReceiptPayment {
                channel_id: p.channel_id,
                amount: p.amount,
                price: 10,
                royalty: 0,
            })
            .unwrap_or_default();
        let key = if self.behaviour == Behaviour::WrongKey {
            SigningKey::from_bytes(&[99; 32])
        } else {
            self.key.clone()
        };
        let receipt = ReceiptBody::new(CHAIN, self.provider, MODEL, &input, &LOGITS, r.nonce, 1)
            .with_payment(payment)
            .sign(&key)
            .unwrap()
            .to_proto();
        Ok(Response::new(InferResponse {
            logits: LOGITS.to_vec(),
            class: 1,
            receipt: Some(receipt),
        }))
    }
    async fn models(&self, _: Request<ModelsRequest>) -> Result<Response<ModelsResponse>, Status> {
        Err(Status::unimplemented(""))
    }
    async fn health(&self, _: Request<HealthRequest>) -> Result<Response<HealthResponse>, Status> {
        Err(Status::unimplemented(""))
    }
    async fn prove(&self, _: Request<ProveRequest>) -> Result<Response<ProveResponse>, Status> {
        Err(Status::unimplemented(""))
    }
}

/// A fake worker on loopback; its candidate entry says what the chain believes of it.
async fn worker(
    b: u8,
    delay_ms: u64,
    behaviour: Behaviour,
    consensus_p99_us: u32,
) -> (Candidate, Arc<AtomicU64>) {
    let key = SigningKey::from_bytes(&[b; 32]);
    let calls = Arc::new(AtomicU64::new(0));
    let fake = Fake {
        provider: [b; 20],
        key: key.clone(),
        delay: Duration::from_millis(delay_ms),
        behaviour,
        calls: calls.clone(),
    };
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(
        tonic::transport::Server::builder()
            .add_service(WorkerServer::new(fake))
            .serve_with_incoming(tokio_stream::wrappers::TcpListenerStream::new(listener)),
    );
    let candidate = Candidate {
        provider: pol_inference::receipt::format_address(&[b; 20]),
        endpoint: format!("http://{addr}"),
        receipt_pubkey: key.verifying_key().to_bytes(),
        price: 10,
        rank: u32::from(b),
        consensus: Consensus {
            p50_us: consensus_p99_us / 2,
            p99_us: consensus_p99_us,
            failure_rate_ppm: 0,
        },
    };
    (candidate, calls)
}

fn job() -> Job {
    Job {
        chain_id: CHAIN.into(),
        model: MODEL.into(),
        input: vec![1, 2, 3],
        output_len: LOGITS.len(),
        royalty: 0,
        nonce: None,
        setup: Default::default(),
    }
}

fn config() -> RequesterConfig {
    RequesterConfig {
        timeout: Duration::from_millis(1_000),
        backoff: Duration::from_millis(10),
        ..Default::default()
    }
}

#[tokio::test]
async fn a_slow_first_provider_is_hedged_and_the_first_verified_answer_wins() {
    // The chain believes 1 is the fastest; it is slow today.
    let (slow, _) = worker(1, 400, Behaviour::Answer, 5_000).await;
    let (fast, _) = worker(2, 0, Behaviour::Answer, 10_000).await;
    let r = Requester::new(config());
    assert_eq!(
        r.order(&[fast.clone(), slow.clone()])[0].provider,
        slow.provider
    );
    let a = r
        .infer(&job(), &[slow, fast.clone()], &Unpaid)
        .await
        .unwrap();
    assert_eq!(a.provider, fast.provider);
    assert!(a.hedged);
    assert!(a.total < Duration::from_millis(300), "{:?}", a.total);
    assert_eq!(r.counts(), (1, 1));
}

#[tokio::test]
async fn hedges_stay_within_five_percent_of_requests() {
    let (slow, _) = worker(1, 15, Behaviour::Answer, 1_000).await;
    let (fast, _) = worker(2, 0, Behaviour::Answer, 50_000).await;
    let r = Requester::new(RequesterConfig {
        // Keep trusting the chain's figures (it takes 20 samples to learn).
        candidates: 2,
        ..config()
    });
    for _ in 0..60 {
        r.infer(&job(), &[slow.clone(), fast.clone()], &Unpaid)
            .await
            .unwrap();
    }
    let (requests, hedges) = r.counts();
    assert_eq!(requests, 60);
    assert!(hedges <= 1 + 60 * 5 / 100, "{hedges} hedges");
    assert!(hedges >= 1);
}

#[tokio::test]
async fn failures_and_bad_receipts_hand_over_to_the_next_provider() {
    let (down, _) = worker(1, 0, Behaviour::Unavailable, 1_000).await;
    let (liar, _) = worker(2, 0, Behaviour::WrongKey, 2_000).await;
    let (good, _) = worker(3, 0, Behaviour::Answer, 3_000).await;
    let r = Requester::new(RequesterConfig {
        max_extra_ppm: 0,
        ..config()
    });
    let a = r
        .infer(&job(), &[down.clone(), liar.clone(), good.clone()], &Unpaid)
        .await
        .unwrap();
    assert_eq!(a.provider, good.provider);
    let failed: Vec<&str> = a.failures.iter().map(|(p, _)| p.as_str()).collect();
    assert_eq!(failed, vec![down.provider.as_str(), liar.provider.as_str()]);
    assert!(a.failures[1].1.contains("registered"), "{:?}", a.failures);
}

#[tokio::test]
async fn its_own_measurements_overrule_the_consensus() {
    // The chain says 1 is faster; in fact 2 is.
    let (claimed_fast, _) = worker(1, 30, Behaviour::Answer, 1_000).await;
    let (really_fast, _) = worker(2, 0, Behaviour::Answer, 20_000).await;
    let r = Requester::new(RequesterConfig {
        max_extra_ppm: 0,
        candidates: 1,
        ..config()
    });
    let both = [claimed_fast.clone(), really_fast.clone()];
    // Learn both (only the first in order is asked: teach it each directly).
    for _ in 0..stats::MIN_OWN_SAMPLES {
        r.infer(&job(), std::slice::from_ref(&claimed_fast), &Unpaid)
            .await
            .unwrap();
        r.infer(&job(), std::slice::from_ref(&really_fast), &Unpaid)
            .await
            .unwrap();
    }
    assert_eq!(r.order(&both)[0].provider, really_fast.provider);
}

#[tokio::test]
async fn when_every_provider_fails_it_retries_then_gives_up() {
    let (a, calls_a) = worker(1, 0, Behaviour::Unavailable, 1_000).await;
    let (b, calls_b) = worker(2, 0, Behaviour::Unavailable, 2_000).await;
    let r = Requester::new(RequesterConfig {
        retries: 2,
        ..config()
    });
    let e = r.infer(&job(), &[a, b], &Unpaid).await.unwrap_err();
    match e {
        RequesterError::AllFailed { rounds, failures } => {
            assert_eq!(rounds, 3);
            assert_eq!(failures.len(), 6);
        }
        other => panic!("{other}"),
    }
    assert_eq!(
        calls_a.load(Ordering::Relaxed) + calls_b.load(Ordering::Relaxed),
        6
    );
    assert!(matches!(
        r.infer(&job(), &[], &Unpaid).await,
        Err(RequesterError::NoCandidates)
    ));
}

/// Counts payments handed out and given back.
#[derive(Default)]
struct Recorder {
    paid: Mutex<u128>,
    returned: Mutex<Vec<SignedPayment>>,
}

impl Pay for Recorder {
    fn pay(
        &self,
        _: &str,
        _: &str,
        price: u128,
        royalty: u128,
    ) -> Result<Option<SignedPayment>, String> {
        let mut total = self.paid.lock();
        *total += price + royalty;
        Ok(Some(
            SignedPayment::sign(CHAIN, 7, *total, 0, &SigningKey::from_bytes(&[5; 32])).unwrap(),
        ))
    }
    fn unused(&self, p: &SignedPayment) {
        self.returned.lock().push(*p);
    }
}

#[tokio::test]
async fn a_refused_payment_is_used_again_and_the_receipt_commits_to_the_one_taken() {
    let (refusing, _) = worker(1, 0, Behaviour::Refuse, 1_000).await;
    let (good, _) = worker(2, 0, Behaviour::Answer, 2_000).await;
    let pay = Recorder::default();
    let r = Requester::new(RequesterConfig {
        max_extra_ppm: 0,
        ..config()
    });
    let a = r.infer(&job(), &[refusing, good], &pay).await.unwrap();
    assert_eq!(
        pay.returned.lock().len(),
        1,
        "the refused request's payment comes back"
    );
    let receipt = pol_inference::receipt::SignedReceipt::from_proto(&a.receipt).unwrap();
    assert_eq!(
        (receipt.body.payment.channel_id, receipt.body.payment.amount),
        (7, 20)
    );
    // A timed-out request's payment is never handed out again (it may have been taken).
    let (hung, _) = worker(3, 2_000, Behaviour::Answer, 1_000).await;
    let pay = Recorder::default();
    let r = Requester::new(RequesterConfig {
        timeout: Duration::from_millis(100),
        retries: 0,
        max_extra_ppm: 0,
        ..config()
    });
    assert!(r.infer(&job(), &[hung], &pay).await.is_err());
    assert!(pay.returned.lock().is_empty());
}
