//! `pold query inference …`: each query, printed as JSON.

use super::*;

pub(super) fn to_json<T: Serialize>(r: &T) -> anyhow::Result<Map<String, Value>> {
    match serde_json::to_value(r)? {
        Value::Object(m) => Ok(m),
        other => bail!("record did not serialize to an object: {other}"),
    }
}

pub(super) fn architecture_json(a: &pb::Architecture) -> anyhow::Result<Value> {
    let mut v = to_json(a)?;
    // In words, what the record says: "insecure", or a ceremony attested or not.
    v.insert(
        "setup_status".into(),
        json!(pol_inference::setup::describe(a.setup.as_ref())),
    );
    Ok(Value::Object(v))
}

pub(super) fn model_json(m: &pb::Model) -> anyhow::Result<Value> {
    let mut v = to_json(m)?;
    v.insert(
        "weight_commitment".into(),
        json!(hex::encode(&m.weight_commitment)),
    );
    Ok(Value::Object(v))
}

pub(super) fn provider_json(p: &pb::Provider) -> anyhow::Result<Value> {
    let mut v = to_json(p)?;
    v.insert("status".into(), json!(status_name(p.status)));
    v.insert(
        "receipt_pubkey".into(),
        json!(hex::encode(&p.receipt_pubkey)),
    );
    Ok(Value::Object(v))
}

pub(super) fn obligation_json(o: &pb::Obligation) -> anyhow::Result<Value> {
    let mut v = to_json(o)?;
    v.insert("state".into(), json!(state_name(o.state)));
    v.insert("receipt_id".into(), json!(hex::encode(&o.receipt_id)));
    v.insert("input_hash".into(), json!(hex::encode(&o.input_hash)));
    v.insert("output_hash".into(), json!(hex::encode(&o.output_hash)));
    Ok(Value::Object(v))
}

pub(super) fn attestation_json(a: &pb::Attestation) -> anyhow::Result<Value> {
    let mut v = to_json(a)?;
    v.insert("proof_hash".into(), json!(hex::encode(&a.proof_hash)));
    Ok(Value::Object(v))
}

pub(super) fn fault_json(f: &pb::CorrectnessFault) -> anyhow::Result<Value> {
    Ok(Value::Object(to_json(f)?))
}

pub(super) fn print(v: Value) -> anyhow::Result<()> {
    println!("{}", serde_json::to_string_pretty(&v)?);
    Ok(())
}

pub(super) fn list<T>(
    key: &str,
    items: impl IntoIterator<Item = T>,
    f: impl Fn(&T) -> anyhow::Result<Value>,
) -> anyhow::Result<()> {
    let values = items
        .into_iter()
        .map(|x| f(&x))
        .collect::<anyhow::Result<Vec<_>>>()?;
    print(json!({ key: values }))
}

const Q: &str = "/pol.inference.v1.Query/";

/// Every page of the inference list query `method`.
pub(super) async fn fetch_all<Req, Resp>(
    opts: &QueryOpts,
    method: &str,
    build: impl Fn(cosmos_sdk_proto::cosmos::base::query::v1beta1::PageRequest) -> Req,
    next: impl Fn(&Resp) -> Option<cosmos_sdk_proto::cosmos::base::query::v1beta1::PageResponse>,
) -> anyhow::Result<Vec<Resp>>
where
    Req: Message,
    Resp: Message + Default,
{
    crate::cli::query::fetch_all(opts, &format!("{Q}{method}"), build, next).await
}

pub(super) async fn one<Req: Message, Resp: Message + Default>(
    opts: &QueryOpts,
    method: &str,
    req: Req,
) -> anyhow::Result<Resp> {
    Ok(RpcClient::new(&opts.node)
        .query(&format!("{Q}{method}"), &req, opts.height)
        .await?)
}

pub async fn query(cmd: InferenceQuery) -> anyhow::Result<()> {
    match cmd {
        InferenceQuery::Params { opts } => {
            let r: pb::QueryParamsResponse =
                one(&opts, "Params", pb::QueryParamsRequest {}).await?;
            let p = r.params.context("the node returned no params")?;
            let p = pol_inference::Params::from_proto(&p).map_err(anyhow::Error::msg)?;
            print(serde_json::to_value(p)?)
        }
        InferenceQuery::Architectures { opts } => {
            let pages = fetch_all(
                &opts,
                "Architectures",
                |p| pb::QueryArchitecturesRequest {
                    pagination: Some(p),
                },
                |r: &pb::QueryArchitecturesResponse| r.pagination.clone(),
            )
            .await?;
            list(
                "architectures",
                pages.into_iter().flat_map(|r| r.architectures),
                architecture_json,
            )
        }
        InferenceQuery::Architecture { id, opts } => {
            let id = hex::encode(hex_array::<32>(&id, "architecture id")?);
            let r: pb::QueryArchitectureResponse =
                one(&opts, "Architecture", pb::QueryArchitectureRequest { id }).await?;
            print(architecture_json(
                &r.architecture.context("empty response")?,
            )?)
        }
        InferenceQuery::Models { opts } => {
            let pages = fetch_all(
                &opts,
                "Models",
                |p| pb::QueryModelsRequest {
                    pagination: Some(p),
                },
                |r: &pb::QueryModelsResponse| r.pagination.clone(),
            )
            .await?;
            list(
                "models",
                pages.into_iter().flat_map(|r| r.models),
                model_json,
            )
        }
        InferenceQuery::Model { id, opts } => {
            validate_model_id(&id).map_err(|e| anyhow::anyhow!("{}", e.log))?;
            let r: pb::QueryModelResponse =
                one(&opts, "Model", pb::QueryModelRequest { id }).await?;
            print(model_json(&r.model.context("empty response")?)?)
        }
        InferenceQuery::Providers { model, opts } => {
            let model_id = match model {
                Some(m) => {
                    validate_model_id(&m).map_err(|e| anyhow::anyhow!("--model: {}", e.log))?;
                    m
                }
                None => String::new(),
            };
            let pages = fetch_all(
                &opts,
                "Providers",
                |p| pb::QueryProvidersRequest {
                    model_id: model_id.clone(),
                    pagination: Some(p),
                },
                |r: &pb::QueryProvidersResponse| r.pagination.clone(),
            )
            .await?;
            list(
                "providers",
                pages.into_iter().flat_map(|r| r.providers),
                provider_json,
            )
        }
        InferenceQuery::Provider { address: a, opts } => {
            let r: pb::QueryProviderResponse = one(
                &opts,
                "Provider",
                pb::QueryProviderRequest {
                    address: address(&a, "provider address")?,
                },
            )
            .await?;
            print(provider_json(&r.provider.context("empty response")?)?)
        }
        InferenceQuery::ProviderRecord { address: a, opts } => {
            let r: pb::QueryProviderRecordResponse = one(
                &opts,
                "ProviderRecord",
                pb::QueryProviderRecordRequest {
                    address: address(&a, "provider address")?,
                },
            )
            .await?;
            print(Value::Object(to_json(
                &r.record.context("empty response")?,
            )?))
        }
        InferenceQuery::Obligations {
            provider,
            state,
            opts,
        } => {
            let provider = provider
                .map(|p| address(&p, "--provider"))
                .transpose()?
                .unwrap_or_default();
            let state = state_filter(state.as_deref())? as i32;
            let pages = fetch_all(
                &opts,
                "Obligations",
                |p| pb::QueryObligationsRequest {
                    provider: provider.clone(),
                    state,
                    pagination: Some(p),
                },
                |r: &pb::QueryObligationsResponse| r.pagination.clone(),
            )
            .await?;
            list(
                "obligations",
                pages.into_iter().flat_map(|r| r.obligations),
                obligation_json,
            )
        }
        InferenceQuery::Obligation { id, opts } => {
            let r: pb::QueryObligationResponse =
                one(&opts, "Obligation", pb::QueryObligationRequest { id }).await?;
            print(obligation_json(&r.obligation.context("empty response")?)?)
        }
        InferenceQuery::Attestations { provider, opts } => {
            let provider = provider
                .map(|p| address(&p, "--provider"))
                .transpose()?
                .unwrap_or_default();
            let pages = fetch_all(
                &opts,
                "Attestations",
                |p| pb::QueryAttestationsRequest {
                    provider: provider.clone(),
                    pagination: Some(p),
                },
                |r: &pb::QueryAttestationsResponse| r.pagination.clone(),
            )
            .await?;
            list(
                "attestations",
                pages.into_iter().flat_map(|r| r.attestations),
                attestation_json,
            )
        }
        InferenceQuery::Faults { provider, opts } => {
            let provider = provider
                .map(|p| address(&p, "--provider"))
                .transpose()?
                .unwrap_or_default();
            let pages = fetch_all(
                &opts,
                "Faults",
                |p| pb::QueryFaultsRequest {
                    provider: provider.clone(),
                    pagination: Some(p),
                },
                |r: &pb::QueryFaultsResponse| r.pagination.clone(),
            )
            .await?;
            list(
                "faults",
                pages.into_iter().flat_map(|r| r.faults),
                fault_json,
            )
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_outputs_inputs_and_amounts() {
        assert_eq!(output_logits("-5, 3,0").unwrap(), vec![-5, 3, 0]);
        assert!(output_logits("1,,2").is_err());
        assert!(output_logits("99999999999").is_err());
        assert_eq!(input_bytes("0x01ff").unwrap(), vec![1, 0xff]);
        assert!(input_bytes("zz").is_err());
        assert!(input_bytes("").is_err());
        assert_eq!(amount(" 42 ", "--price").unwrap(), "42");
        assert!(amount("42upol", "--price").is_err());
        assert!(amount("-1", "--price").is_err());
        assert!(state_filter(Some("done")).is_err());
        assert_eq!(
            state_filter(Some("missed")).unwrap(),
            pb::ObligationState::Missed
        );
    }

    #[test]
    fn proof_from_hex_or_file() {
        let proof = [7u8; pol_proofs::keys::PROOF_BYTES];
        assert_eq!(proof_bytes(&hex::encode(proof)).unwrap(), proof.to_vec());
        assert!(proof_bytes("abcd").unwrap_err().to_string().contains("128"));
        let dir = tempfile::tempdir().unwrap();
        let raw = dir.path().join("0.proof");
        std::fs::write(&raw, proof).unwrap();
        assert_eq!(proof_bytes(raw.to_str().unwrap()).unwrap(), proof.to_vec());
        let text = dir.path().join("p.hex");
        std::fs::write(&text, format!("{}\n", hex::encode(proof))).unwrap();
        assert_eq!(proof_bytes(text.to_str().unwrap()).unwrap(), proof.to_vec());
        assert!(proof_bytes(dir.path().join("missing").to_str().unwrap()).is_err());
    }

    #[test]
    fn receipt_json_round_trip_and_worker_key() {
        let key = ed25519_dalek::SigningKey::from_bytes(&[9u8; 32]);
        let r = pol_inference::receipt::ReceiptBody::new(
            "pol-test-1",
            [4u8; 20],
            "m",
            &[1, -2],
            &[3, -4],
            u64::MAX,
            5,
        )
        .sign(&key)
        .unwrap();
        let p = r.to_proto();
        let j = json!({
            "chain_id": p.chain_id, "provider": p.provider, "model_id": p.model_id,
            "input_hash": hex::encode(&p.input_hash), "output_hash": hex::encode(&p.output_hash),
            "nonce": u64::MAX.to_string(), "worker_time_ms": 5,
            "worker_pubkey": hex::encode(&p.worker_pubkey), "signature": hex::encode(&p.signature),
        });
        let dir = tempfile::tempdir().unwrap();
        let f = dir.path().join("r.json");
        std::fs::write(&f, j.to_string()).unwrap();
        assert_eq!(read_receipt(Some(&f), None).unwrap(), p);
        // A tampered receipt is refused before anything is sent.
        let mut bad = j.clone();
        bad["nonce"] = json!(1);
        std::fs::write(&f, bad.to_string()).unwrap();
        assert!(format!("{:#}", read_receipt(Some(&f), None).unwrap_err()).contains("signature"));
        use base64::Engine as _;
        let b64 = base64::engine::general_purpose::STANDARD.encode(p.encode_to_vec());
        assert_eq!(read_receipt(None, Some(&b64)).unwrap(), p);
        let wk = dir.path().join("worker.key");
        std::fs::write(&wk, format!("{}\n", hex::encode([9u8; 32]))).unwrap();
        assert_eq!(worker_pubkey(&wk).unwrap(), p.worker_pubkey);
        std::fs::write(&wk, "abc").unwrap();
        assert!(worker_pubkey(&wk).is_err());
    }
}
