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

#[tokio::test(flavor = "multi_thread")]
async fn worker_settles_its_obligations_and_a_stopped_worker_is_slashed() {
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
        let p = &mut g.params;
        p.sample_rate_ppm = 1_000_000;
        p.proof_deadline_blocks = DEADLINE_BLOCKS;
        p.provider_unbonding_blocks = 1000;
        p.min_provider_bond = 10_000_000;
        p.missed_proof_slash_ppm = 100_000;
    })
    .unwrap();
    // This test is about proofs of the receipts it settles itself: no SLA epochs (the stopped
    // worker would miss its SLA too) and no probe receipts drawn into obligations.
    node.edit_genesis(|g: &mut pol_latency::GenesisState| {
        g.params.epoch_blocks = 1_000_000;
        g.params.max_receipts_per_extension = 0;
    })
    .unwrap();
    node.start_and_wait(2).await.unwrap();
    let rpc = node.rpc.clone();

    let dir = tempfile::tempdir().unwrap();
    let port = free_port();
    let config = dir.path().join("worker.toml");
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
            model = repo_root()
                .join("inference/models/digits-64-32-10.polm")
                .display(),
            grpc = node.ports.grpc,
            home = node.home.display(),
        ),
    )
    .unwrap();
    let mut worker = WorkerProcess::start_config(&config, dir.path().join("worker.log")).unwrap();

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

    // A request, answered with a signed receipt; and a second one kept for later.
    let mut client = WorkerClient::connect(format!("http://127.0.0.1:{port}"))
        .await
        .unwrap();
    let mut receipts = Vec::new();
    for nonce in [11u64, 12] {
        let input: Vec<u8> = (0..64)
            .map(|i| ((i * 7 + nonce as usize) % 17) as u8)
            .collect();
        let r = client
            .infer(InferRequest {
                model_id: MODEL.into(),
                input,
                nonce,
                payment: None,
            })
            .await
            .unwrap()
            .into_inner();
        receipts.push(r.receipt.unwrap());
    }

    // Settling the first: sampled (rate 100%), proven and attested by the worker.
    let mut w = Wallet::load(&rpc, requester.clone(), "pol-test-1")
        .await
        .unwrap();
    let submit = |receipt: pb::Receipt| pol_inference::msg::MsgSubmitReceipt {
        submitter: requester.address().to_string(),
        receipt: Some(receipt),
    };
    let any = |m: &pol_inference::msg::MsgSubmitReceipt| tendermint_proto::google::protobuf::Any {
        type_url: pol_inference::MSG_SUBMIT_RECEIPT_TYPE_URL.into(),
        value: m.encode_to_vec(),
    };
    let res = w
        .submit(&rpc, vec![any(&submit(receipts[0].clone()))])
        .await
        .unwrap();
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
    let res = w
        .submit(&rpc, vec![any(&submit(receipts[1].clone()))])
        .await
        .unwrap();
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
