//! The worker's chain client: it registers the provider (and, on a local network, the
//! architectures and models it serves), then watches the provider's pending proof
//! obligations over pold's gRPC API and settles each one with an attestation, proven on the
//! prover pool and signed with the provider's account key. No hand in between.

use std::collections::BTreeSet;
use std::sync::Arc;
use std::time::Duration;

use anyhow::{bail, Context, Result};
use cosmos_sdk_proto::cosmos::base::query::v1beta1::PageRequest;
use futures::stream::{FuturesUnordered, StreamExt};
use pol_client::{any, GrpcClient, SignerKey, TxOptions, TxResult, TxSender};
use pol_inference::msg as imsg;
use pol_inference::pb::{self, query_client::QueryClient as InferenceClient};
use tendermint_proto::google::protobuf::Any;
use tonic::transport::Channel;

use crate::config::{ChainConfig, Registration};
use crate::server::WorkerState;

/// Gas limits of the worker's transactions (attestations pay the chain's pairing price).
const REGISTER_GAS: u64 = 400_000;
const ATTEST_GAS: u64 = 400_000;

/// The provider's account on chain: its transactions go through one [`TxSender`] (which
/// owns the sequence), its queries through the same gRPC channel.
pub struct ChainClient {
    grpc: GrpcClient,
    sender: TxSender<GrpcClient>,
}

impl ChainClient {
    pub async fn connect(
        grpc: &str,
        signer: SignerKey,
        chain_id: &str,
        gas_price: &str,
    ) -> Result<Self> {
        let client = GrpcClient::connect_lazy(grpc)
            .with_context(|| format!("chain gRPC address {grpc:?}"))?;
        let gas_price = gas_price.parse().map_err(anyhow::Error::msg)?;
        Ok(ChainClient {
            grpc: client.clone(),
            sender: TxSender::new(client, signer, chain_id, gas_price),
        })
    }

    pub fn address(&self) -> String {
        self.sender.address().to_string()
    }

    fn inference(&self) -> InferenceClient<Channel> {
        self.grpc.inference()
    }

    /// Sign `messages`, broadcast (CheckTx), and wait for the block.
    pub async fn send(&self, messages: Vec<Any>, gas: u64) -> Result<TxResult> {
        Ok(self.sender.send(messages, &TxOptions::gas(gas)).await?)
    }

    /// Send and require success.
    async fn send_ok(&self, what: &str, messages: Vec<Any>, gas: u64) -> Result<()> {
        let c = self
            .send(messages, gas)
            .await
            .with_context(|| what.to_string())?;
        if c.code != 0 {
            bail!(
                "{what} failed in block {} with code {}: {}",
                c.height,
                c.code,
                c.log
            );
        }
        tracing::info!(height = c.height, "{what}: done");
        Ok(())
    }

    /// Every pending obligation of this provider.
    pub async fn pending_obligations(&self) -> Result<Vec<pb::Obligation>> {
        let mut out = Vec::new();
        let mut key = Vec::new();
        loop {
            let r = self
                .inference()
                .obligations(pb::QueryObligationsRequest {
                    provider: self.address(),
                    state: pb::ObligationState::Pending as i32,
                    pagination: Some(PageRequest {
                        key: key.clone(),
                        limit: 500,
                        ..Default::default()
                    }),
                })
                .await
                .context("querying obligations")?
                .into_inner();
            out.extend(r.obligations);
            match r.pagination {
                Some(p) if !p.next_key.is_empty() => key = p.next_key,
                _ => return Ok(out),
            }
        }
    }
}

fn not_found<T>(r: std::result::Result<T, tonic::Status>) -> Result<Option<T>> {
    match r {
        Ok(v) => Ok(Some(v)),
        Err(s) if s.code() == tonic::Code::NotFound => Ok(None),
        Err(s) => Err(anyhow::anyhow!("{s}")),
    }
}

/// Make sure the chain knows this provider (and, if asked, its models).
pub async fn ensure_registered(
    state: &Arc<WorkerState>,
    client: &ChainClient,
    reg: &Registration,
) -> Result<()> {
    let me = client.address();
    if reg.models {
        let backend = state
            .backend
            .clone()
            .context("registering models needs this worker's prover (its verifying keys)")?;
        for (id, served) in &state.models {
            let model = served.model.clone();
            let arch = model.architecture();
            let b = backend.clone();
            let setup = backend.setup_record(&arch);
            let vk = tokio::task::spawn_blocking(move || b.verifying_key(&arch))
                .await?
                .map_err(anyhow::Error::msg)?;
            let (arch_id, _) =
                pol_inference::verify::decode_verifying_key(&vk).map_err(anyhow::Error::msg)?;
            let known = not_found(
                client
                    .inference()
                    .architecture(pb::QueryArchitectureRequest {
                        id: arch_id.clone(),
                    })
                    .await,
            )?;
            if known.is_none() {
                let msg = imsg::MsgRegisterArchitecture {
                    sender: me.clone(),
                    verifying_key: vk,
                    setup,
                };
                client
                    .send_ok(
                        &format!("registering architecture {arch_id}"),
                        vec![any(pol_inference::MSG_REGISTER_ARCHITECTURE_TYPE_URL, &msg)],
                        // A ceremony's record: its signature checks and its bytes stored.
                        REGISTER_GAS * 4
                            + pol_inference::setup::record_gas(msg.setup.as_ref())
                            + 50 * msg
                                .setup
                                .as_ref()
                                .map_or(0, |s| prost::Message::encoded_len(s) as u64),
                    )
                    .await?;
            }
            let commitment = pol_proofs::commitment::commit(&model).0.to_vec();
            let on_chain = not_found(
                client
                    .inference()
                    .model(pb::QueryModelRequest { id: id.clone() })
                    .await,
            )?
            .and_then(|r| r.into_inner().model);
            match on_chain {
                Some(m) if m.weight_commitment != commitment || m.architecture_id != arch_id => {
                    bail!("model {id} is registered on chain with other weights or shape")
                }
                Some(_) => {}
                None => {
                    let msg = imsg::MsgRegisterModel {
                        owner: me.clone(),
                        model_id: id.clone(),
                        architecture_id: arch_id,
                        weight_commitment: commitment,
                        price_per_inference: reg.model_price.to_string(),
                    };
                    client
                        .send_ok(
                            &format!("registering model {id}"),
                            vec![any(pol_inference::MSG_REGISTER_MODEL_TYPE_URL, &msg)],
                            REGISTER_GAS,
                        )
                        .await?;
                }
            }
        }
    }
    let existing = not_found(
        client
            .inference()
            .provider(pb::QueryProviderRequest {
                address: me.clone(),
            })
            .await,
    )?
    .and_then(|r| r.into_inner().provider);
    if let Some(p) = existing {
        if p.receipt_pubkey != state.pubkey() {
            // The chain would refuse every receipt this worker signs.
            let msg = imsg::MsgUpdateProvider {
                provider: me.clone(),
                receipt_pubkey: state.pubkey().to_vec(),
                endpoint: reg.endpoint.clone(),
                ..Default::default()
            };
            client
                .send_ok(
                    "updating the provider's receipt key",
                    vec![any(pol_inference::MSG_UPDATE_PROVIDER_TYPE_URL, &msg)],
                    REGISTER_GAS,
                )
                .await?;
        }
        tracing::info!(provider = %me, status = p.status, "provider already registered");
        return Ok(());
    }
    let bond = pol_component::coins::parse_coins_str(&reg.bond)
        .map_err(|e| anyhow::anyhow!("chain.register.bond: {}", e.log))?;
    let [bond] = bond.as_slice() else {
        bail!("chain.register.bond must be one coin");
    };
    let msg = imsg::MsgRegisterProvider {
        provider: me.clone(),
        endpoint: reg.endpoint.clone(),
        models: state.models.keys().cloned().collect(),
        sla: Some(pb::Sla {
            max_p99_latency_us: reg.max_p99_latency_us,
            max_failure_rate_ppm: reg.max_failure_rate_ppm,
        }),
        price_per_inference: reg.price_per_inference.to_string(),
        receipt_pubkey: state.pubkey().to_vec(),
        bond: Some(bond.to_proto()),
    };
    client
        .send_ok(
            "registering the provider",
            vec![any(pol_inference::MSG_REGISTER_PROVIDER_TYPE_URL, &msg)],
            REGISTER_GAS,
        )
        .await
}

/// Prove one obligation from the worker's records; `None` when the record is gone (the
/// obligation will be missed: the window is shorter than the chain's deadline).
async fn prove_obligation(
    state: &Arc<WorkerState>,
    o: &pb::Obligation,
    submitter: &str,
) -> Result<Option<imsg::MsgSubmitAttestation>> {
    let id: [u8; 32] = o
        .receipt_id
        .as_slice()
        .try_into()
        .context("obligation receipt id is not 32 bytes")?;
    let Some(rec) = state.records.get(&id) else {
        return Ok(None);
    };
    let served = state
        .models
        .get(&rec.model_id)
        .with_context(|| format!("model {} is no longer served", rec.model_id))?;
    let backend = state.backend.clone().context("this worker has no prover")?;
    let (model, provider, job) = (served.model.clone(), state.provider, rec.clone());
    let rx = state
        .pool
        .submit("attest", crate::pool::Lane::Obligation, move || {
            backend.prove(&model, &job.input, &job.output, job.nonce, provider)
        })
        .map_err(|e| anyhow::anyhow!("prover pool: {e}"))?;
    let (result, took) = rx.await.context("prover pool stopped")?;
    let proof = result.map_err(anyhow::Error::msg)?;
    metrics::histogram!("pol_worker_prove_seconds").record(took.as_secs_f64());
    Ok(Some(imsg::MsgSubmitAttestation {
        submitter: submitter.to_string(),
        obligation_id: o.id,
        input: rec.input.iter().map(|&x| x as u8).collect(),
        output: rec.output,
        proof: proof.proof,
    }))
}

/// Stops a spawned task when dropped.
struct AbortOnDrop(tokio::task::JoinHandle<()>);

impl Drop for AbortOnDrop {
    fn drop(&mut self) {
        self.0.abort();
    }
}

/// Register if configured, then settle obligations (and claim payments, when the worker
/// takes them) until `shutdown` resolves.
pub async fn run(
    state: Arc<WorkerState>,
    cfg: ChainConfig,
    shutdown: impl std::future::Future<Output = ()>,
) -> Result<()> {
    let signer = pol_client::Keyring::open(&cfg.home)
        .find(&cfg.key)
        .with_context(|| format!("the provider key {:?} in {}", cfg.key, cfg.home.display()))?
        .signer()?;
    let provider = pol_component::Address(state.provider);
    if signer.address() != provider {
        bail!(
            "chain.key is {}, but this worker serves as provider {provider}",
            signer.address()
        );
    }
    let client =
        Arc::new(ChainClient::connect(&cfg.grpc, signer, &state.chain_id, &cfg.gas_price).await?);
    let poll = Duration::from_millis(cfg.poll_ms);
    tokio::pin!(shutdown);
    // Payments are read and claimed beside the obligations, on the same account (its
    // sender keeps the sequence), and stop with them.
    let _claimer = state.payments.clone().map(|gate| {
        let sender: Arc<dyn crate::payments::claimer::ClaimSender> = client.clone();
        let provider = client.address();
        AbortOnDrop(tokio::spawn(crate::payments::claimer::run(
            gate,
            sender,
            provider,
            poll,
            std::future::pending(),
        )))
    });

    // Registration, retried until the chain answers.
    if let Some(reg) = &cfg.register {
        loop {
            match ensure_registered(&state, &client, reg).await {
                Ok(()) => break,
                Err(e) => tracing::warn!("registration: {e:#}; retrying"),
            }
            tokio::select! {
                _ = &mut shutdown => return Ok(()),
                _ = tokio::time::sleep(poll.max(Duration::from_secs(1))) => {}
            }
        }
    }

    let me = client.address();
    // Obligations attested, or given up on; the chain is the truth, this only avoids
    // proving twice while a tx is in flight.
    let mut handled: BTreeSet<u64> = BTreeSet::new();
    tracing::info!(provider = %me, grpc = %cfg.grpc, "watching proof obligations");
    loop {
        tokio::select! {
            _ = &mut shutdown => return Ok(()),
            _ = tokio::time::sleep(poll) => {}
        }
        let pending = match client.pending_obligations().await {
            Ok(p) => p,
            Err(e) => {
                tracing::warn!("{e:#}");
                continue;
            }
        };
        // The records behind open obligations must outlive any flood of new requests.
        state.records.pin_only(
            pending
                .iter()
                .filter_map(|o| <[u8; 32]>::try_from(o.receipt_id.as_slice()).ok()),
        );
        handled.retain(|id| pending.iter().any(|o| o.id == *id));
        let todo: Vec<pb::Obligation> = pending
            .into_iter()
            .filter(|o| !handled.contains(&o.id))
            .collect();
        if todo.is_empty() {
            continue;
        }
        metrics::gauge!("pol_worker_obligations_pending").set(todo.len() as f64);
        // Prove concurrently on the pool; submit each as soon as its proof is ready.
        let mut proofs: FuturesUnordered<_> = todo
            .iter()
            .map(|o| {
                let state = state.clone();
                let me = me.clone();
                let o = o.clone();
                async move { (o.id, prove_obligation(&state, &o, &me).await) }
            })
            .collect();
        while let Some((id, proved)) = proofs.next().await {
            handled.insert(id);
            let msg = match proved {
                Ok(Some(m)) => m,
                Ok(None) => {
                    tracing::warn!(
                        obligation = id,
                        "no record of this receipt left; it will be missed"
                    );
                    metrics::counter!("pol_worker_attestations_total", "result" => "no_record")
                        .increment(1);
                    continue;
                }
                Err(e) => {
                    tracing::warn!(obligation = id, "proving failed: {e:#}");
                    metrics::counter!("pol_worker_attestations_total", "result" => "prove_error")
                        .increment(1);
                    handled.remove(&id);
                    continue;
                }
            };
            match client
                .send(
                    vec![any(pol_inference::MSG_SUBMIT_ATTESTATION_TYPE_URL, &msg)],
                    ATTEST_GAS,
                )
                .await
            {
                Ok(c) if c.code == 0 => {
                    tracing::info!(obligation = id, height = c.height, "attested");
                    metrics::counter!("pol_worker_attestations_total", "result" => "ok")
                        .increment(1);
                }
                Ok(c) => {
                    tracing::warn!(
                        obligation = id,
                        code = c.code,
                        "attestation failed: {}",
                        c.log
                    );
                    metrics::counter!("pol_worker_attestations_total", "result" => "rejected")
                        .increment(1);
                }
                Err(e) => {
                    tracing::warn!(obligation = id, "attestation not sent: {e:#}");
                    handled.remove(&id);
                }
            }
        }
    }
}
