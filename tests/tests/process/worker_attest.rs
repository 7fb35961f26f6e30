//! A single-validator chain and a real pol-worker, with no hand in between: the worker
//! registers the model (architecture key from its own prover) and itself as provider, serves
//! a request, and when the chain samples the settled receipt into a proof obligation, proves
//! it and attests; the provider is credited. Then the worker is stopped with a receipt still
//! to settle: its obligation passes the deadline, the bond is slashed (burned) and a
//! correctness fault is recorded.

use std::time::Duration;

use pol_client::{RpcClient, SignerKey};
use pol_inference::pb::{self, ObligationState};
use pol_tests::worker::WorkerProcess;
use pol_tests::*;
use pol_worker_api::worker_client::WorkerClient;
use pol_worker_api::InferRequest;
use prost::Message;
use serde_json::Value;

const MODEL: &str = "digits-64-32-10";
const BOND: u128 = 20_000_000;
const PRICE: u128 = 100;
const DEADLINE_BLOCKS: u64 = 60;

async fn query<Req: Message, Resp: Message + Default>(
    rpc: &RpcClient,
    method: &str,
    req: &Req,
) -> Option<Resp> {
    rpc.query(&format!("/pol.inference.v1.Query/{method}"), req, 0)
        .await
        .ok()
}

async fn provider(rpc: &RpcClient, addr: &str) -> Option<pb::Provider> {
    let r: pb::QueryProviderResponse = query(
        rpc,
        "Provider",
        &pb::QueryProviderRequest {
            address: addr.into(),
        },
    )
    .await?;
    r.provider
}

async fn obligations(rpc: &RpcClient, addr: &str) -> Vec<pb::Obligation> {
    let r: Option<pb::QueryObligationsResponse> = query(
        rpc,
        "Obligations",
        &pb::QueryObligationsRequest {
            provider: addr.into(),
            ..Default::default()
        },
    )
    .await;
    r.map(|r| r.obligations).unwrap_or_default()
}

async fn supply(rpc: &RpcClient) -> u128 {
    use cosmos_sdk_proto::cosmos::bank::v1beta1::{QuerySupplyOfRequest, QuerySupplyOfResponse};
    let r: QuerySupplyOfResponse = rpc
        .query(
            "/cosmos.bank.v1beta1.Query/SupplyOf",
            &QuerySupplyOfRequest {
                denom: "upol".into(),
            },
            0,
        )
        .await
        .unwrap();
    r.amount.unwrap().amount.parse().unwrap()
}

/// Poll `f` every 300 ms until it returns `Some`, or fail with `what` and the worker's log.
async fn eventually<T, F, Fut>(what: &str, timeout: Duration, worker: &WorkerProcess, mut f: F) -> T
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Option<T>>,
{
    let deadline = tokio::time::Instant::now() + timeout;
    loop {
        if let Some(v) = f().await {
            return v;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "timed out waiting for {what}; worker log:\n{}",
            worker.log_tail(30)
        );
        tokio::time::sleep(Duration::from_millis(300)).await;
    }
}

/// The provider's first obligation in `state`, waiting up to two minutes for one.
async fn obligation_in(
    rpc: &RpcClient,
    provider: &str,
    state: ObligationState,
    what: &str,
    worker: &WorkerProcess,
) -> pb::Obligation {
    eventually(what, Duration::from_secs(120), worker, || async {
        obligations(rpc, provider)
            .await
            .into_iter()
            .find(|o| o.state == state as i32)
    })
    .await
}

/// A one-validator chain (every receipt sampled, proofs due within `deadline` blocks, no SLA
/// epochs, no probe receipts) and a worker that registers itself; `prover` is extra
/// `[prover]` config.
struct Market {
    node: Node,
    rpc: RpcClient,
    worker: WorkerProcess,
    requester: SignerKey,
    provider_addr: String,
    port: u16,
    _dir: tempfile::TempDir,
}

/// Where the worker's proving keys come from.
enum Keys<'a> {
    /// The seeded (insecure) setup, on a chain that allows it (as every test chain does);
    /// the digits model.
    Seeded,
    /// A ceremony's proving key (with its setup record beside it) for the model in `model`,
    /// on a chain whose genesis refuses seeded keys.
    Ceremony {
        model: &'a std::path::Path,
        pk: &'a std::path::Path,
    },
}

async fn market(deadline: u64, prover: &str, keys: Keys<'_>) -> Market {
    let requester = SignerKey::random();
    let mut node = Node::init(&ChainOptions {
        accounts: vec![(requester.clone(), 1_000_000_000)],
        ..Default::default()
    })
    .unwrap();
    // The provider's account key lives in the node's keyring; the worker signs with it.
    let key: Value =
        serde_json::from_str(&pold(&node.home, &["keys", "add", "provider"]).unwrap()).unwrap();
    let provider_addr = key["address"].as_str().unwrap().to_string();
    pold(
        &node.home,
        &["genesis", "add-account", "provider", "1000000000upol"],
    )
    .unwrap();
    node.edit_genesis(|g: &mut pol_inference::GenesisState| {
        let p = g.params_mut();
        p.sample_rate_ppm = 1_000_000;
        p.proof_deadline_blocks = deadline;
        p.provider_unbonding_blocks = 1000;
        p.min_provider_bond = "10000000".into();
        p.missed_proof_slash_ppm = 100_000;
        p.allow_insecure_setup = matches!(keys, Keys::Seeded);
    })
    .unwrap();
    // About proofs of the receipts the test settles itself: no SLA epochs (a stopped worker
    // would miss its SLA too) and no probe receipts drawn into obligations.
    node.edit_genesis(|g: &mut pol_latency::GenesisState| {
        g.params_mut().epoch_blocks = 1_000_000;
        g.params_mut().max_receipts_per_extension = 0;
    })
    .unwrap();
    node.start_and_wait(2).await.unwrap();
    let rpc = node.rpc.clone();

    let dir = tempfile::tempdir().unwrap();
    let port = free_port();
    let config = dir.path().join("worker.toml");
    let digits = repo_root().join("inference/models/digits-64-32-10.polm");
    let (model, prover) = match keys {
        Keys::Seeded => (digits.as_path(), prover.to_string()),
        Keys::Ceremony { model, pk } => (model, format!("{prover}\nkeys = [\"{}\"]", pk.display())),
    };
    std::fs::write(
        &config,
        format!(
            r#"
chain_id = "pol-test-1"
provider = "{provider_addr}"
listen = "127.0.0.1:{port}"
metrics_listen = ""
key_file = "worker.key"
device = "cpu"

[prover]
threads = 1
setup_seed = 1
verify = false
key_dir = "keys"
{prover}

[[models]]
id = "{MODEL}"
path = "{model}"

[chain]
grpc = "http://127.0.0.1:{grpc}"
home = "{home}"
key = "provider"
poll_ms = 300

[chain.register]
endpoint = "http://127.0.0.1:{port}"
bond = "{BOND}upol"
price_per_inference = {PRICE}
max_p99_latency_us = 50000
max_failure_rate_ppm = 10000
models = true
model_price = 3
"#,
            model = model.display(),
            grpc = node.ports.grpc,
            home = node.home.display(),
        ),
    )
    .unwrap();
    let worker = WorkerProcess::start_config(&config, dir.path().join("worker.log")).unwrap();

    // It registers the architecture, the model and itself.
    let registered = eventually(
        "the provider's registration",
        Duration::from_secs(180),
        &worker,
        || {
            let (rpc, a) = (rpc.clone(), provider_addr.clone());
            async move { provider(&rpc, &a).await }
        },
    )
    .await;
    assert_eq!(registered.status, pb::ProviderStatus::Active as i32);
    assert_eq!(registered.models, vec![MODEL.to_string()]);
    assert_eq!(registered.bond, BOND.to_string());
    Market {
        node,
        rpc,
        worker,
        requester,
        provider_addr,
        port,
        _dir: dir,
    }
}

/// One `Infer` call of the digits model; its receipt.
async fn infer(client: &mut WorkerClient<tonic::transport::Channel>, nonce: u64) -> pb::Receipt {
    infer_width(client, 64, nonce).await
}

/// One `Infer` call of a model with `width` inputs; its receipt.
async fn infer_width(
    client: &mut WorkerClient<tonic::transport::Channel>,
    width: usize,
    nonce: u64,
) -> pb::Receipt {
    let input: Vec<u8> = (0..width)
        .map(|i| ((i * 7 + nonce as usize) % 17) as u8)
        .collect();
    client
        .infer(InferRequest {
            model_id: MODEL.into(),
            input,
            nonce,
            payment: None,
        })
        .await
        .unwrap()
        .into_inner()
        .receipt
        .unwrap()
}

fn submit_receipt_any(
    submitter: &SignerKey,
    receipt: pb::Receipt,
) -> tendermint_proto::google::protobuf::Any {
    tendermint_proto::google::protobuf::Any {
        type_url: pol_inference::MSG_SUBMIT_RECEIPT_TYPE_URL.into(),
        value: pol_inference::msg::MsgSubmitReceipt {
            submitter: submitter.address().to_string(),
            receipt: Some(receipt),
        }
        .encode_to_vec(),
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn worker_settles_its_obligations_and_a_stopped_worker_is_slashed() {
    let Market {
        mut node,
        rpc,
        mut worker,
        requester,
        provider_addr,
        port,
        _dir,
    } = market(DEADLINE_BLOCKS, "", Keys::Seeded).await;

    // A request, answered with a signed receipt; and a second one kept for later.
    let mut client = WorkerClient::connect(format!("http://127.0.0.1:{port}"))
        .await
        .unwrap();
    let receipts = [infer(&mut client, 11).await, infer(&mut client, 12).await];

    // Settling the first: sampled (rate 100%), proven and attested by the worker.
    let mut w = Wallet::load(&rpc, requester.clone(), "pol-test-1")
        .await
        .unwrap();
    let any = |r: &pb::Receipt| submit_receipt_any(&requester, r.clone());
    let res = w.submit(&rpc, vec![any(&receipts[0])]).await.unwrap();
    assert_eq!(res.code, 0, "{}", res.log);
    let discharged = obligation_in(
        &rpc,
        &provider_addr,
        ObligationState::Discharged,
        "the worker's attestation",
        &worker,
    )
    .await;
    assert_eq!(discharged.nonce, 11);
    assert_eq!(discharged.escrow, PRICE.to_string());
    let p = provider(&rpc, &provider_addr).await.unwrap();
    assert_eq!(p.attested, 1);
    assert_eq!(p.faults, 0);
    assert_eq!(
        balance(&rpc, &pol_inference::escrow_pool(), 0)
            .await
            .unwrap(),
        0,
        "the escrowed price went to the provider"
    );

    // The worker goes away; the second receipt is settled and sampled, and nobody proves it.
    worker.stop();
    let before = supply(&rpc).await;
    let res = w.submit(&rpc, vec![any(&receipts[1])]).await.unwrap();
    assert_eq!(res.code, 0, "{}", res.log);
    let missed = obligation_in(
        &rpc,
        &provider_addr,
        ObligationState::Missed,
        "the missed deadline",
        &worker,
    )
    .await;
    assert_eq!(missed.nonce, 12);
    assert!(missed.settled_height >= missed.created_height + DEADLINE_BLOCKS);
    let p = provider(&rpc, &provider_addr).await.unwrap();
    let slashed = BOND / 10;
    assert_eq!(p.bond, (BOND - slashed).to_string());
    assert_eq!(p.faults, 1);
    let faults: pb::QueryFaultsResponse = query(
        &rpc,
        "Faults",
        &pb::QueryFaultsRequest {
            provider: provider_addr.clone(),
            pagination: None,
        },
    )
    .await
    .unwrap();
    assert_eq!(faults.faults.len(), 1);
    assert_eq!(faults.faults[0].slashed, slashed.to_string());
    assert_eq!(supply(&rpc).await, before - slashed, "the slash is burned");
    node.stop().unwrap();
}

/// Attack: starve an honest provider's prover so that it misses its obligations (each miss
/// burns bond). Sixteen connections flood `Infer` and `Prove` without pause, more than the
/// public places hold; meanwhile three receipts are settled and sampled. The obligations
/// have places of their own and go first, so all three are proven before their deadline.
/// (With one shared queue the obligations found it full at every try and were missed.)
#[tokio::test(flavor = "multi_thread")]
async fn a_prove_flood_does_not_make_the_worker_miss_an_obligation() {
    let _machine = crate::WHOLE_MACHINE.read().await;
    use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
    use std::sync::Arc;
    // Long enough for three proofs on one prover thread of a loaded 2-core machine (blocks
    // are about 0.25 s here); the flood keeps the public places full for all of it.
    const FLOOD_DEADLINE: u64 = 200;
    // Four places, two of them reserved for obligations; no per-address limit, so the
    // reservation alone is what is tested (the limit has its own unit test).
    let m = market(
        FLOOD_DEADLINE,
        "max_pending = 4\nreserved_for_obligations = 2\nprove_per_peer_per_minute = 0",
        Keys::Seeded,
    )
    .await;
    let url = format!("http://127.0.0.1:{}", m.port);

    let stop = Arc::new(AtomicBool::new(false));
    let (proven, refused) = (Arc::new(AtomicU64::new(0)), Arc::new(AtomicU64::new(0)));
    let mut flood = Vec::new();
    for c in 0..16u64 {
        let mut client = WorkerClient::connect(url.clone()).await.unwrap();
        let (stop, proven, refused) = (stop.clone(), proven.clone(), refused.clone());
        flood.push(tokio::spawn(async move {
            let mut nonce = 1_000_000 * (c + 1);
            while !stop.load(Ordering::Relaxed) {
                nonce += 1;
                let receipt = infer(&mut client, nonce).await;
                let answer = client
                    .prove(pol_worker_api::ProveRequest {
                        receipt: Some(receipt),
                    })
                    .await;
                match answer {
                    Ok(_) => proven.fetch_add(1, Ordering::Relaxed),
                    Err(_) => refused.fetch_add(1, Ordering::Relaxed),
                };
            }
        }));
    }
    // Let the flood fill the public places.
    tokio::time::sleep(Duration::from_secs(2)).await;

    let mut client = WorkerClient::connect(url).await.unwrap();
    let mut receipts = Vec::new();
    for nonce in [21u64, 22, 23] {
        receipts.push(infer(&mut client, nonce).await);
    }
    let mut w = Wallet::load(&m.rpc, m.requester.clone(), "pol-test-1")
        .await
        .unwrap();
    let res = w
        .submit(
            &m.rpc,
            receipts
                .iter()
                .map(|r| submit_receipt_any(&m.requester, r.clone()))
                .collect(),
        )
        .await
        .unwrap();
    assert_eq!(res.code, 0, "{}", res.log);
    let settled = eventually(
        "three obligations settled",
        Duration::from_secs(120),
        &m.worker,
        || async {
            let o: Vec<_> = obligations(&m.rpc, &m.provider_addr)
                .await
                .into_iter()
                .filter(|o| o.state != ObligationState::Pending as i32)
                .collect();
            (o.len() == 3).then_some(o)
        },
    )
    .await;
    stop.store(true, Ordering::Relaxed);
    for f in flood {
        let _ = tokio::time::timeout(Duration::from_secs(30), f).await;
    }
    let states: Vec<i32> = settled.iter().map(|o| o.state).collect();
    assert_eq!(
        states,
        vec![ObligationState::Discharged as i32; 3],
        "worker log:\n{}",
        m.worker.log_tail(30)
    );
    let p = provider(&m.rpc, &m.provider_addr).await.unwrap();
    assert_eq!((p.attested, p.faults), (3, 0));
    // The flood did press: public proofs ran, and many more were refused.
    let (proven, refused) = (
        proven.load(Ordering::Relaxed),
        refused.load(Ordering::Relaxed),
    );
    assert!(
        proven >= 1 && refused > 10 * proven,
        "{proven} proven, {refused} refused"
    );
    let mut node = m.node;
    node.stop().unwrap();
}

/// A three-party ceremony (both phases, signed contributions) for a tiny model (4→3→2, so
/// it takes seconds), run through the library as `pol-proofs ceremony` runs it: the model
/// file, the proving key and its setup record, in `dir`.
fn ceremony_keys(
    dir: &std::path::Path,
) -> (
    std::path::PathBuf,
    std::path::PathBuf,
    pol_proofs::VerifyingKey,
) {
    use pol_proofs::ceremony::{finalize, local_ceremony, setup_record, Participant};
    use rand::SeedableRng;
    let arch = tiny_arch();
    let mut rng = rand::rngs::StdRng::seed_from_u64(41);
    let model = pol_proofs::model::Model::random(&arch, &mut rng);
    let who = |i: u8, name: &str| Participant {
        name: name.into(),
        signing_key: Some(ed25519_dalek::SigningKey::from_bytes(&[i; 32])),
    };
    let (p1, p2) = local_ceremony(
        &arch,
        &[who(1, "alice"), who(2, "bob"), who(3, "carol")],
        &[who(4, "dave"), who(5, "erin"), who(6, "frank")],
        &mut rand::rngs::StdRng::seed_from_u64(42),
    )
    .unwrap();
    let (pk, vk) = finalize(&p2).unwrap();
    let (model_path, pk_path) = (dir.join("tiny.polm"), dir.join("tiny.pk"));
    model.save(&model_path).unwrap();
    pk.save(&pk_path).unwrap();
    std::fs::write(
        dir.join("tiny.setup.json"),
        setup_record(&p1, &p2, "file:///ceremony").to_json(),
    )
    .unwrap();
    (model_path, pk_path, vk)
}

fn tiny_arch() -> pol_proofs::model::Architecture {
    pol_proofs::model::Architecture::mlp(&[4, 3, 2], &[2]).unwrap()
}

#[tokio::test(flavor = "multi_thread")]
async fn a_worker_with_ceremony_keys_serves_a_chain_that_refuses_seeded_keys_and_its_proofs_verify()
{
    let keys_dir = tempfile::tempdir().unwrap();
    // The ceremony loads both cores: nothing with deadlines runs beside it. Then proofs
    // with deadlines of its own: nothing that floods the machine runs beside them.
    let (model, pk, vk) = {
        let _machine = crate::WHOLE_MACHINE.write().await;
        let (dir, started) = (keys_dir.path().to_path_buf(), std::time::Instant::now());
        let keys = tokio::task::spawn_blocking(move || ceremony_keys(&dir))
            .await
            .unwrap();
        eprintln!(
            "ceremony for 4→3→2: {:.1} s",
            started.elapsed().as_secs_f64()
        );
        keys
    };
    let _machine = crate::WHOLE_MACHINE.read().await;
    let m = market(
        DEADLINE_BLOCKS,
        "",
        Keys::Ceremony {
            model: &model,
            pk: &pk,
        },
    )
    .await;

    // The worker registered the ceremony's key with its record: the architecture says so,
    // and the route tells requesters it is a ceremony governance has not attested.
    let arch_id = hex::encode(vk.content_hash());
    let arch: pb::QueryArchitectureResponse = query(
        &m.rpc,
        "Architecture",
        &pb::QueryArchitectureRequest {
            id: arch_id.clone(),
        },
    )
    .await
    .expect("the ceremony's architecture is registered");
    let setup = arch.architecture.unwrap().setup.unwrap();
    assert_eq!(setup.kind, pb::SetupKind::Ceremony as i32);
    assert_eq!(setup.contributors.len(), 6);
    assert_eq!(setup.attested_height, 0);
    let route: pol_latency::pb::QueryRouteResponse = m
        .rpc
        .query(
            "/pol.latency.v1.Query/Route",
            &pol_latency::pb::QueryRouteRequest {
                model_id: MODEL.into(),
                ..Default::default()
            },
            0,
        )
        .await
        .unwrap();
    let entry = &route.entries[0];
    assert_eq!(
        (entry.setup_kind, entry.setup_attested),
        (pb::SetupKind::Ceremony as i32, false)
    );

    // A seeded key of the same shape is refused by this chain, and nothing is registered.
    let seeded = pol_proofs::setup_insecure_seeded(&tiny_arch(), 1)
        .unwrap()
        .1;
    let mut w = Wallet::load(&m.rpc, m.requester.clone(), "pol-test-1")
        .await
        .unwrap();
    let refused = w
        .submit(
            &m.rpc,
            vec![tendermint_proto::google::protobuf::Any {
                type_url: pol_inference::MSG_REGISTER_ARCHITECTURE_TYPE_URL.into(),
                value: pol_inference::msg::MsgRegisterArchitecture {
                    sender: m.requester.address().to_string(),
                    verifying_key: seeded.to_bytes(),
                    setup: None,
                }
                .encode_to_vec(),
            }],
        )
        .await
        .expect_err("CheckTx refuses a seeded key")
        .to_string();
    assert!(
        refused.contains("code 26") && refused.contains("only keys from a ceremony"),
        "{refused}"
    );
    let none: Option<pb::QueryArchitectureResponse> = query(
        &m.rpc,
        "Architecture",
        &pb::QueryArchitectureRequest {
            id: hex::encode(seeded.content_hash()),
        },
    )
    .await;
    assert!(none.and_then(|r| r.architecture).is_none());

    // A paid-for request is sampled; the worker proves it with the ceremony's key and the
    // chain verifies the proof against the registered key: the obligation is discharged.
    let mut client = WorkerClient::connect(format!("http://127.0.0.1:{}", m.port))
        .await
        .unwrap();
    let receipt = infer_width(&mut client, 4, 31).await;
    let res = w
        .submit(&m.rpc, vec![submit_receipt_any(&m.requester, receipt)])
        .await
        .unwrap();
    assert_eq!(res.code, 0, "{}", res.log);
    let discharged = obligation_in(
        &m.rpc,
        &m.provider_addr,
        ObligationState::Discharged,
        "the worker's attestation with the ceremony's key",
        &m.worker,
    )
    .await;
    assert_eq!(discharged.nonce, 31);
    let p = provider(&m.rpc, &m.provider_addr).await.unwrap();
    assert_eq!((p.attested, p.faults), (1, 0));
    assert!(
        m.worker
            .log_tail(400)
            .contains("ceremony proving key loaded"),
        "the worker loaded the ceremony's key:\n{}",
        m.worker.log_tail(40)
    );
}
