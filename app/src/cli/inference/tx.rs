//! `pold tx inference …`: each subcommand builds its message and broadcasts it.

use super::*;

pub async fn tx(home: &Path, cmd: InferenceTx) -> anyhow::Result<()> {
    let keyring = Keyring::open(home);
    let signer_of = |from: &str| -> anyhow::Result<_> { Ok(keyring.find(from)?.signer()?) };
    match cmd {
        InferenceTx::RegisterArchitecture {
            from,
            verifying_key,
            setup,
            opts,
        } => {
            let signer = signer_of(&from)?;
            let bytes = std::fs::read(&verifying_key)
                .with_context(|| format!("--verifying-key: reading {}", verifying_key.display()))?;
            let (id, vk) = decode_verifying_key(&bytes)
                .map_err(|e| anyhow::anyhow!("--verifying-key {}: {e}", verifying_key.display()))?;
            let setup = setup.as_deref().map(read_setup).transpose()?;
            let msg = MsgRegisterArchitecture {
                sender: signer.address().to_string(),
                verifying_key: bytes,
                setup,
            };
            let mut extra = Map::new();
            extra.insert("architecture_id".into(), json!(id));
            extra.insert("layers".into(), json!(vk.arch.to_string()));
            extra.insert(
                "setup".into(),
                json!(pol_inference::setup::describe(msg.setup.as_ref())),
            );
            broadcast_with(
                &signer,
                vec![any(pol_inference::MSG_REGISTER_ARCHITECTURE_TYPE_URL, &msg)],
                opts,
                extra,
            )
            .await
        }
        InferenceTx::RegisterModel {
            from,
            model_id,
            architecture,
            commitment,
            model,
            price,
            opts,
        } => {
            let signer = signer_of(&from)?;
            validate_model_id(&model_id).map_err(|e| anyhow::anyhow!("{}", e.log))?;
            let architecture_id = hex::encode(hex_array::<32>(&architecture, "--architecture")?);
            let commitment = match (commitment, model) {
                (Some(c), None) => pol_proofs::commitment::Commitment::from_hex(
                    c.trim().strip_prefix("0x").unwrap_or(c.trim()),
                )
                .ok_or_else(|| {
                    anyhow::anyhow!(
                        "--commitment must be 64 hex digits of a canonical BN254 field element"
                    )
                })?,
                (None, Some(path)) => {
                    let m = pol_proofs::model::Model::load(&path)
                        .with_context(|| format!("--model {}", path.display()))?;
                    pol_proofs::commitment::commit(&m)
                }
                _ => bail!("give --commitment or --model, exactly one"),
            };
            let msg = MsgRegisterModel {
                owner: signer.address().to_string(),
                model_id,
                architecture_id,
                weight_commitment: commitment.0.to_vec(),
                price_per_inference: match price {
                    Some(p) => amount(&p, "--price")?,
                    None => String::new(),
                },
            };
            let mut extra = Map::new();
            extra.insert("weight_commitment".into(), json!(commitment.to_hex()));
            broadcast_with(
                &signer,
                vec![any(pol_inference::MSG_REGISTER_MODEL_TYPE_URL, &msg)],
                opts,
                extra,
            )
            .await
        }
        InferenceTx::RegisterProvider {
            from,
            endpoint: url,
            models,
            max_p99_us,
            max_failure_ppm,
            price,
            receipt_key: key,
            bond,
            opts,
        } => {
            let signer = signer_of(&from)?;
            let receipt_pubkey =
                receipt_key(key.receipt_pubkey.as_deref(), key.worker_key.as_deref())?;
            let msg = MsgRegisterProvider {
                provider: signer.address().to_string(),
                endpoint: endpoint(&url)?,
                models: model_ids(&models)?,
                sla: Some(sla(max_p99_us, max_failure_ppm)?),
                price_per_inference: amount(&price, "--price")?,
                receipt_pubkey: receipt_pubkey.clone(),
                bond: Some(coin(&bond).context("--bond")?),
            };
            let mut extra = Map::new();
            extra.insert("receipt_pubkey".into(), json!(hex::encode(receipt_pubkey)));
            broadcast_with(
                &signer,
                vec![any(pol_inference::MSG_REGISTER_PROVIDER_TYPE_URL, &msg)],
                opts,
                extra,
            )
            .await
        }
        InferenceTx::UpdateProvider {
            from,
            endpoint: url,
            models,
            max_p99_us,
            max_failure_ppm,
            price,
            receipt_key: key,
            add_bond,
            opts,
        } => {
            let signer = signer_of(&from)?;
            let sla = match (max_p99_us, max_failure_ppm) {
                (Some(p99), Some(ppm)) => Some(sla(p99, ppm)?),
                (None, None) => None,
                _ => bail!(
                    "--max-p99-us and --max-failure-ppm go together (the SLA is replaced whole)"
                ),
            };
            let msg = MsgUpdateProvider {
                provider: signer.address().to_string(),
                endpoint: url
                    .as_deref()
                    .map(endpoint)
                    .transpose()?
                    .unwrap_or_default(),
                models: match models {
                    Some(m) if m.is_empty() => bail!("--models needs at least one model id"),
                    Some(m) => model_ids(&m)?,
                    None => Vec::new(),
                },
                sla,
                price_per_inference: price
                    .as_deref()
                    .map(|p| amount(p, "--price"))
                    .transpose()?
                    .unwrap_or_default(),
                receipt_pubkey: receipt_key(
                    key.receipt_pubkey.as_deref(),
                    key.worker_key.as_deref(),
                )?,
                add_bond: add_bond
                    .as_deref()
                    .map(|b| coin(b).context("--add-bond"))
                    .transpose()?,
            };
            let unchanged = msg.endpoint.is_empty()
                && msg.models.is_empty()
                && msg.sla.is_none()
                && msg.price_per_inference.is_empty()
                && msg.receipt_pubkey.is_empty()
                && msg.add_bond.is_none();
            if unchanged {
                bail!("nothing to update: give at least one of --endpoint, --models, --max-p99-us/--max-failure-ppm, --price, --receipt-pubkey/--worker-key, --add-bond");
            }
            broadcast(
                &signer,
                vec![any(pol_inference::MSG_UPDATE_PROVIDER_TYPE_URL, &msg)],
                opts,
            )
            .await
        }
        InferenceTx::DeregisterProvider { from, opts } => {
            let signer = signer_of(&from)?;
            let msg = MsgDeregisterProvider {
                provider: signer.address().to_string(),
            };
            broadcast(
                &signer,
                vec![any(pol_inference::MSG_DEREGISTER_PROVIDER_TYPE_URL, &msg)],
                opts,
            )
            .await
        }
        InferenceTx::SubmitReceipt {
            from,
            receipt,
            receipt_base64,
            opts,
        } => {
            let signer = signer_of(&from)?;
            let proto = read_receipt(receipt.as_deref(), receipt_base64.as_deref())?;
            let id = SignedReceipt::from_proto(&proto)
                .and_then(|r| r.id())
                .context("receipt")?;
            let msg = MsgSubmitReceipt {
                submitter: signer.address().to_string(),
                receipt: Some(proto),
            };
            let mut extra = Map::new();
            extra.insert("receipt_id".into(), json!(hex::encode(id)));
            broadcast_with(
                &signer,
                vec![any(pol_inference::MSG_SUBMIT_RECEIPT_TYPE_URL, &msg)],
                opts,
                extra,
            )
            .await
        }
        InferenceTx::Attest {
            from,
            obligation_id,
            input,
            output,
            proof,
            opts,
        } => {
            let signer = signer_of(&from)?;
            let msg = MsgSubmitAttestation {
                submitter: signer.address().to_string(),
                obligation_id,
                input: input_bytes(&input)?,
                output: output_logits(&output)?,
                proof: proof_bytes(&proof)?,
            };
            broadcast(
                &signer,
                vec![any(pol_inference::MSG_SUBMIT_ATTESTATION_TYPE_URL, &msg)],
                opts,
            )
            .await
        }
    }
}

/// A setup record file, as `pol-proofs ceremony finalize --out-setup` writes it.
fn read_setup(path: &Path) -> anyhow::Result<pb::Setup> {
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("--setup: reading {}", path.display()))?;
    serde_json::from_str(&text).with_context(|| {
        format!(
            "--setup {}: not a setup record (pol-proofs ceremony finalize --out-setup)",
            path.display()
        )
    })
}
