//! Attestation throughput on one validator, measured side by side in one run:
//! `cargo bench -p pol-inference --bench attestations [-- N]` (default N = 32).
//!
//! For N pending obligations of the default 64→32→10 model, with real Groth16 proofs:
//! * **batch**: `BlockVerdicts::precompute` (what FinalizeBlock does up front: one batch
//!   per architecture) followed by executing every attestation against those verdicts;
//! * **single**: executing every attestation with per-proof verification;
//! * **CheckTx**: one attestation with the CheckTx verdict cache missing, then hitting.
//!
//! Prints the median of 9 repetitions of each and the ratio. Not a test: no assertions on
//! time (machines are shared); correctness is asserted (every attestation must pass).

use std::time::{Duration, Instant};

use pol_bank::BankWrite;
use pol_component::coins::Coin;
use pol_component::{Address, BlockContext};
use pol_inference::msg::{execute_submit_attestation, MsgSubmitAttestation};
use pol_inference::pb::{self, ObligationState};
use pol_inference::receipt::{hash_input, hash_output};
use pol_inference::verify::{BlockVerdicts, CheckCache, ProofVerifier};
use pol_inference::{InferenceWrite, Params, VerifyingKeys};
use pol_proofs::model::Model;
use pol_proofs::Statement;
use pol_store::{MemState, StateDelta};
use rand::SeedableRng;
use rayon::prelude::*;

const REPS: usize = 9;

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
}

fn main() {
    let n: u64 = std::env::args()
        .skip(1)
        .find_map(|a| a.parse().ok())
        .unwrap_or(32);
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let model = Model::load(&root.join("inference/models/digits-64-32-10.polm")).expect("model");
    let arch = model.architecture();
    let t = Instant::now();
    let (pk, vk) = pol_proofs::setup_insecure_seeded(&arch, 1).expect("setup");
    eprintln!("setup {arch}: {:.1?}", t.elapsed());
    let provider = Address([2; 20]);
    let commitment = pol_proofs::commitment::commit(&model);

    // N statements and proofs, proven in parallel once.
    let t = Instant::now();
    let items: Vec<(Statement, Vec<u8>)> = (1..=n)
        .into_par_iter()
        .map(|i| {
            let input: Vec<i8> = (0..64).map(|j| ((i * 13 + j * 7) % 17) as i8).collect();
            let s = Statement {
                commitment,
                output: model.forward(&input).unwrap(),
                input,
                nonce: i,
                provider: *provider.as_bytes(),
            };
            let mut rng = rand_chacha::ChaCha20Rng::seed_from_u64(i);
            let proof = pol_proofs::prove(&pk, &model, &s, &mut rng).expect("prove");
            (s, proof.to_bytes().to_vec())
        })
        .collect();
    eprintln!("proved {n} statements in {:.1?}", t.elapsed());

    // State: the architecture, model, provider and N pending obligations.
    let mut base = StateDelta::new(MemState::default());
    base.put_inference_params(&Params::default());
    let arch_id = hex::encode(vk.content_hash());
    base.put_architecture(&pb::Architecture {
        id: arch_id.clone(),
        layers: vec![],
        verifying_key: vk.to_bytes(),
        registrant: provider.to_string(),
        registered_height: 1,
        setup: None,
    });
    base.put_model(&pb::Model {
        id: "digits".into(),
        architecture_id: arch_id,
        weight_commitment: commitment.0.to_vec(),
        owner: provider.to_string(),
        price_per_inference: "0".into(),
        registered_height: 1,
    });
    base.mint(
        &pol_inference::escrow_pool(),
        &[Coin::new("upol", 1_000_000)],
    )
    .unwrap();
    let msgs: Vec<MsgSubmitAttestation> = items
        .iter()
        .enumerate()
        .map(|(i, (s, proof))| {
            let id = i as u64 + 1;
            base.put_obligation(
                &pb::Obligation {
                    id,
                    provider: provider.to_string(),
                    model_id: "digits".into(),
                    receipt_id: vec![id as u8; 32],
                    input_hash: hash_input(&s.input).to_vec(),
                    output_hash: hash_output(&s.output).to_vec(),
                    nonce: s.nonce,
                    created_height: 1,
                    deadline_height: 100,
                    state: ObligationState::Pending as i32,
                    settled_height: 0,
                    submitter: provider.to_string(),
                    escrow: "1".into(),
                },
                None,
            )
            .unwrap();
            MsgSubmitAttestation {
                submitter: provider.to_string(),
                obligation_id: id,
                input: s.input.iter().map(|&x| x as u8).collect(),
                output: s.output.clone(),
                proof: proof.clone(),
            }
        })
        .collect();
    let base = base.into_writes();
    let fresh = || {
        let mut s = StateDelta::new(MemState::default());
        s.apply(base.clone());
        s
    };
    let ctx = BlockContext {
        chain_id: "pol-bench".into(),
        height: 2,
        time_unix_nanos: 0,
    };
    let keys = VerifyingKeys::new();
    let run_all = |state: &mut StateDelta<MemState>, v: &dyn ProofVerifier| {
        for m in &msgs {
            execute_submit_attestation(state, &ctx, m, v).expect("valid attestation");
        }
    };

    let (mut batch, mut batch_verify_only, mut single) = (vec![], vec![], vec![]);
    for _ in 0..REPS {
        // Batch, as FinalizeBlock does it.
        let mut s = fresh();
        let t = Instant::now();
        let refs: Vec<&MsgSubmitAttestation> = msgs.iter().collect();
        let verdicts = BlockVerdicts::precompute(&keys, &s, ctx.height, &refs);
        batch_verify_only.push(t.elapsed());
        run_all(&mut s, &verdicts);
        batch.push(t.elapsed());
        assert_eq!(verdicts.batched as u64, n);
        // One proof at a time.
        let mut s = fresh();
        let t = Instant::now();
        run_all(&mut s, &keys);
        single.push(t.elapsed());
    }
    let (mut miss, mut hit) = (vec![], vec![]);
    for i in 0..REPS {
        let cache = CheckCache::new(keys.clone(), 16);
        let m = &msgs[i % msgs.len()];
        let mut s = fresh();
        let t = Instant::now();
        execute_submit_attestation(&mut s, &ctx, m, &cache).unwrap();
        miss.push(t.elapsed());
        let mut s = fresh();
        let t = Instant::now();
        execute_submit_attestation(&mut s, &ctx, m, &cache).unwrap();
        hit.push(t.elapsed());
    }
    let (b, bv, s1) = (median(batch), median(batch_verify_only), median(single));
    let per_s = |d: Duration| n as f64 / d.as_secs_f64();
    println!("attestations per block: {n}, model {arch}, median of {REPS}");
    println!("| path | block time | attestations/s |");
    println!("|---|---|---|");
    println!(
        "| FinalizeBlock, batch verify + execute | {b:.2?} | {:.0} |",
        per_s(b)
    );
    println!(
        "|   of which the batch verification | {bv:.2?} | {:.0} |",
        per_s(bv)
    );
    println!(
        "| per-proof verify + execute | {s1:.2?} | {:.0} |",
        per_s(s1)
    );
    println!(
        "| speed-up of batch | {:.2}x | |",
        s1.as_secs_f64() / b.as_secs_f64()
    );
    println!(
        "| CheckTx, one attestation, cache miss | {:.2?} | |",
        median(miss)
    );
    println!(
        "| CheckTx, one attestation, cache hit | {:.2?} | |",
        median(hit)
    );
}
