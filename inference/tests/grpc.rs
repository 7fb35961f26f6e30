//! gRPC round trips against a real server on a free 127.0.0.1 port: Infer with a verified
//! receipt, Models, Health, bad requests with their status codes, and Prove.

mod common;

use common::{digits_model, digits_vectors};
use ed25519_dalek::SigningKey;
use pol_proofs::model::{argmax, Model};
use pol_worker::batcher::BatchConfig;
use pol_worker::engine::{make_engine, DeviceChoice};
use pol_worker::pool::PoolConfig;
use pol_worker::proto::{
    worker_client::WorkerClient, HealthRequest, InferRequest, ModelsRequest, ProveRequest,
};
use pol_worker::receipt::{self, ReceiptBody, SignedReceipt};
use pol_worker::server::{serve, ModelSpec, WorkerOptions, WorkerState};
use std::sync::Arc;
use std::time::Duration;
use tonic::transport::Channel;
use tonic::Code;

const MODEL: &str = "digits-64-32-10";
const PROVIDER: [u8; 20] = [0x42; 20];
const MAX_MSG: usize = 16 * 1024;

struct TestServer {
    client: WorkerClient<Channel>,
    key: SigningKey,
    model: Arc<Model>,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    handle: Option<tokio::task::JoinHandle<()>>,
}

impl TestServer {
    async fn start() -> Self {
        let model = Arc::new(digits_model());
        let key = SigningKey::from_bytes(&[5u8; 32]);
        let device = if cfg!(feature = "torch") {
            DeviceChoice::Cpu
        } else {
            DeviceChoice::Reference
        };
        let state = WorkerState::new(
            WorkerOptions {
                chain_id: "pol-test-1".into(),
                provider: PROVIDER,
                key: key.clone(),
                batching: BatchConfig {
                    max_batch: 32,
                    window: Duration::from_micros(200),
                    queue_capacity: 1024,
                },
                pool: PoolConfig {
                    threads: 1,
                    max_pending: 4,
                    nice: 0,
                    ..Default::default()
                },
                record_window: Duration::from_secs(600),
                max_records: 10_000,
            },
            vec![ModelSpec {
                id: MODEL.into(),
                model: model.clone(),
                engine: make_engine(model.clone(), &device).unwrap(),
                file_sha256: String::new(),
            }],
            pol_worker::proving::default_backend(&pol_worker::config::Prover {
                setup_seed: 7,
                ..Default::default()
            })
            .unwrap(),
        )
        .unwrap();
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let handle = tokio::spawn(async move {
            serve(listener, Arc::new(state), MAX_MSG, async {
                let _ = stopped.await;
            })
            .await
            .unwrap();
        });
        let client = WorkerClient::connect(format!("http://{addr}"))
            .await
            .unwrap();
        Self {
            client,
            key,
            model,
            stop: Some(stop),
            handle: Some(handle),
        }
    }

    async fn stop(mut self) {
        drop(self.client);
        if let Some(s) = self.stop.take() {
            let _ = s.send(());
        }
        if let Some(h) = self.handle.take() {
            tokio::time::timeout(Duration::from_secs(10), h)
                .await
                .expect("server stops")
                .unwrap();
        }
    }
}

fn as_bytes(x: &[i8]) -> Vec<u8> {
    x.iter().map(|&v| v as u8).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn infer_round_trip_with_verified_receipts() {
    let mut s = TestServer::start().await;
    let v = digits_vectors();
    // Concurrent requests so that batching kicks in.
    let mut tasks = Vec::new();
    for (i, x) in v.inputs.iter().take(200).enumerate() {
        let mut c = s.client.clone();
        let x = x.clone();
        tasks.push(tokio::spawn(async move {
            let r = c
                .infer(InferRequest {
                    model_id: MODEL.into(),
                    input: as_bytes(&x),
                    nonce: 1000 + i as u64,
                    payment: None,
                })
                .await
                .unwrap()
                .into_inner();
            (x, i as u64, r)
        }));
    }
    for t in tasks {
        let (x, i, r) = t.await.unwrap();
        let want = s.model.forward(&x).unwrap();
        assert_eq!(r.logits, want);
        assert_eq!(r.class as usize, argmax(&want));
        let rc = SignedReceipt::from_proto(r.receipt.as_ref().unwrap()).unwrap();
        rc.verify_with_data(&x, &want).unwrap();
        assert_eq!(rc.worker_pubkey, s.key.verifying_key().to_bytes());
        assert_eq!(rc.body.nonce, 1000 + i);
        assert_eq!(rc.body.provider, PROVIDER);
        assert_eq!(rc.body.chain_id, "pol-test-1");
        assert_eq!(rc.body.model_id, MODEL);
    }
    let models = s
        .client
        .models(ModelsRequest {})
        .await
        .unwrap()
        .into_inner();
    assert_eq!(models.models.len(), 1);
    assert_eq!(models.models[0].widths, vec![64, 32, 10]);
    let h = s
        .client
        .health(HealthRequest {})
        .await
        .unwrap()
        .into_inner();
    assert_eq!(h.status, "SERVING");
    assert_eq!(h.provider, receipt::format_address(&PROVIDER));
    assert_eq!(h.worker_pubkey, s.key.verifying_key().to_bytes().to_vec());
    assert_eq!(h.provable_receipts, 200);
    s.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_requests_get_clear_codes() {
    let mut s = TestServer::start().await;
    let c = &mut s.client;
    let e = c
        .infer(InferRequest {
            model_id: "nope".into(),
            input: vec![0; 64],
            nonce: 1,
            payment: None,
        })
        .await
        .unwrap_err();
    assert_eq!(e.code(), Code::NotFound, "{e:?}");
    assert!(e.message().contains("nope"));
    let e = c
        .infer(InferRequest {
            model_id: MODEL.into(),
            input: vec![0; 63],
            nonce: 1,
            payment: None,
        })
        .await
        .unwrap_err();
    assert_eq!(e.code(), Code::InvalidArgument, "{e:?}");
    assert!(e.message().contains("63"));
    let e = c
        .infer(InferRequest {
            model_id: MODEL.into(),
            input: vec![0; MAX_MSG * 2],
            nonce: 1,
            payment: None,
        })
        .await
        .unwrap_err();
    assert!(
        matches!(e.code(), Code::OutOfRange | Code::ResourceExhausted),
        "{e:?}"
    );
    // The server still answers after the bad ones.
    let ok = c
        .infer(InferRequest {
            model_id: MODEL.into(),
            input: vec![1; 64],
            nonce: 2,
            payment: None,
        })
        .await
        .unwrap()
        .into_inner();
    let mut receipt = ok.receipt.unwrap();

    // Prove: missing, malformed, tampered, foreign, never served.
    let e = c.prove(ProveRequest { receipt: None }).await.unwrap_err();
    assert_eq!(e.code(), Code::InvalidArgument);
    let mut bad = receipt.clone();
    bad.signature.truncate(10);
    assert_eq!(
        c.prove(ProveRequest { receipt: Some(bad) })
            .await
            .unwrap_err()
            .code(),
        Code::InvalidArgument
    );
    let mut bad = receipt.clone();
    bad.nonce += 1;
    assert_eq!(
        c.prove(ProveRequest { receipt: Some(bad) })
            .await
            .unwrap_err()
            .code(),
        Code::InvalidArgument
    );
    let other = SigningKey::from_bytes(&[6u8; 32]);
    let foreign = ReceiptBody::new(
        "pol-test-1",
        PROVIDER,
        MODEL,
        &[1; 64],
        &ok.logits,
        2,
        receipt.worker_time_ms,
    )
    .sign(&other)
    .unwrap()
    .to_proto();
    assert_eq!(
        c.prove(ProveRequest {
            receipt: Some(foreign)
        })
        .await
        .unwrap_err()
        .code(),
        Code::InvalidArgument
    );
    let never = ReceiptBody::new("pol-test-1", PROVIDER, MODEL, &[2; 64], &ok.logits, 99, 1)
        .sign(&s.key)
        .unwrap()
        .to_proto();
    assert_eq!(
        c.prove(ProveRequest {
            receipt: Some(never)
        })
        .await
        .unwrap_err()
        .code(),
        Code::NotFound
    );
    let _ = &mut receipt;
    s.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn prove_produces_a_proof_that_pol_proofs_verifies() {
    use pol_proofs::commitment::{commit, Commitment};
    use pol_proofs::{setup_insecure_seeded, verify, Proof, Statement};
    let mut s = TestServer::start().await;
    let v = digits_vectors();
    let x = v.inputs[17].clone();
    let r = s
        .client
        .infer(InferRequest {
            model_id: MODEL.into(),
            input: as_bytes(&x),
            nonce: 777,
            payment: None,
        })
        .await
        .unwrap()
        .into_inner();
    let t = std::time::Instant::now();
    let p = s
        .client
        .prove(ProveRequest {
            receipt: r.receipt.clone(),
        })
        .await
        .expect("Prove")
        .into_inner();
    eprintln!(
        "Prove end to end (setup included): {:.2} s, proving {} ms",
        t.elapsed().as_secs_f64(),
        p.prove_ms
    );
    let commitment = Commitment::from_hex(&p.commitment).expect("hex commitment");
    assert_eq!(commitment, commit(&s.model));
    let statement = Statement {
        commitment,
        input: p.input.iter().map(|&b| b as i8).collect(),
        output: p.output.clone(),
        nonce: p.nonce,
        provider: p.provider.as_slice().try_into().unwrap(),
    };
    // The statement is the receipt's: same input/output hashes, nonce and provider.
    let rc = SignedReceipt::from_proto(r.receipt.as_ref().unwrap()).unwrap();
    rc.verify_with_data(&statement.input, &statement.output)
        .unwrap();
    assert_eq!(
        (statement.nonce, statement.provider),
        (rc.body.nonce, rc.body.provider)
    );
    let (_, vk) = setup_insecure_seeded(&s.model.architecture(), 7).unwrap();
    let pvk = vk.prepare();
    let proof = Proof::from_bytes(&p.proof).unwrap();
    verify(&pvk, &statement, &proof).expect("the worker's proof verifies");
    let mut other = statement.clone();
    other.nonce += 1;
    assert!(
        verify(&pvk, &other, &proof).is_err(),
        "a proof is bound to its nonce"
    );
    // A second proof of the same receipt reuses the cached key.
    let t = std::time::Instant::now();
    let p2 = s
        .client
        .prove(ProveRequest { receipt: r.receipt })
        .await
        .unwrap()
        .into_inner();
    eprintln!(
        "Prove end to end (keys cached): {:.2} s, proving {} ms",
        t.elapsed().as_secs_f64(),
        p2.prove_ms
    );
    verify(&pvk, &statement, &Proof::from_bytes(&p2.proof).unwrap()).unwrap();
    s.stop().await;
}
