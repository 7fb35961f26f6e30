//! `pol-proofs`: setup, prove and verify attestations from files.

mod ceremony_cli;

use pol_proofs::cpu_time::cpu_seconds;

use clap::{Parser, Subcommand};
use indicatif::{ProgressBar, ProgressStyle};
use pol_proofs::commitment::commit;
use pol_proofs::model::{argmax, Architecture, Model};
use pol_proofs::{
    batch_verify, prove, setup, setup_insecure_seeded, verify, Proof, ProvingKey, Statement,
    VerifyingKey,
};
use rand::{rngs::OsRng, rngs::StdRng, Rng, SeedableRng};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

#[derive(Parser)]
#[command(
    name = "pol-proofs",
    version,
    about = "Groth16 attestations of int8 MLP inference"
)]
struct Cli {
    #[command(subcommand)]
    cmd: Cmd,
}

#[derive(clap::Args, Clone)]
struct ArchArgs {
    /// Layer widths, e.g. 64,32,10.
    #[arg(long, value_delimiter = ',', default_value = "64,32,10")]
    dims: Vec<u32>,
    /// Requantization shift of each hidden layer, e.g. 7.
    #[arg(long, value_delimiter = ',', default_value = "7")]
    shifts: Vec<u8>,
}

impl ArchArgs {
    fn arch(&self) -> anyhow::Result<Architecture> {
        Ok(Architecture::mlp(&self.dims, &self.shifts)?)
    }
}

#[derive(Subcommand)]
enum Cmd {
    /// Constraint counts of an architecture's circuit.
    Stats {
        #[command(flatten)]
        arch: ArchArgs,
    },
    /// Groth16 setup for an architecture: writes <out>.pk and <out>.vk.
    Setup {
        #[command(flatten)]
        arch: ArchArgs,
        /// INSECURE deterministic setup from this seed (local networks only: anyone who knows
        /// the seed can forge proofs). Without it the toxic waste comes from the OS RNG and is
        /// discarded (single-party setup; production keys come from `pol-proofs ceremony`).
        #[arg(long)]
        insecure_seed: Option<u64>,
        #[arg(long)]
        out: PathBuf,
    },
    /// Writes a random model of an architecture (tests, benchmarks).
    RandomModel {
        #[command(flatten)]
        arch: ArchArgs,
        #[arg(long, default_value_t = 0)]
        seed: u64,
        #[arg(long)]
        out: PathBuf,
    },
    /// Prints a model's architecture, id and weight commitment.
    Commit {
        #[arg(long)]
        model: PathBuf,
    },
    /// Runs the reference model on an input (comma-separated i8).
    Forward {
        #[arg(long)]
        model: PathBuf,
        #[arg(long, value_delimiter = ',', allow_hyphen_values = true)]
        input: Vec<i8>,
    },
    /// Proves inferences: one per --input, or one per line of --inputs-file, or --random N.
    /// Writes <out-dir>/<i>.stmt and <out-dir>/<i>.proof.
    Prove {
        #[arg(long)]
        pk: PathBuf,
        #[arg(long)]
        model: PathBuf,
        #[arg(long, value_delimiter = ',', allow_hyphen_values = true)]
        input: Option<Vec<i8>>,
        #[arg(long)]
        inputs_file: Option<PathBuf>,
        /// Prove this many random inputs (0..=16, like the digits data set).
        #[arg(long)]
        random: Option<usize>,
        #[arg(long, default_value_t = 0)]
        nonce: u64,
        /// Provider address, 40 hex digits.
        #[arg(long, default_value = "0000000000000000000000000000000000000000")]
        provider: String,
        #[arg(long)]
        out_dir: PathBuf,
    },
    /// Measures constraints, setup, prove, proof size, verify and batch verification for an
    /// architecture and prints one JSON object (wall-clock medians and process CPU time).
    Bench {
        #[command(flatten)]
        arch: ArchArgs,
        /// Proofs to time.
        #[arg(long, default_value_t = 5)]
        prove_reps: usize,
        /// Single verifications to time.
        #[arg(long, default_value_t = 50)]
        verify_reps: usize,
        /// Batch sizes.
        #[arg(long, value_delimiter = ',', default_value = "1,16,64,256")]
        batch: Vec<usize>,
        /// Repetitions of each batch verification.
        #[arg(long, default_value_t = 5)]
        batch_reps: usize,
        /// Distinct proofs to generate for the batches (the rest are re-randomized copies).
        #[arg(long, default_value_t = 16)]
        distinct: usize,
    },
    /// Multi-party trusted-setup ceremony: powers of tau (phase 1), per-circuit phase 2,
    /// finalisation into .pk/.vk keys. One command per participant and step.
    Ceremony {
        #[command(subcommand)]
        cmd: ceremony_cli::CeremonyCmd,
    },
    /// Verifies proofs: one (--statement, --proof) pair, or every <i>.stmt/<i>.proof pair of
    /// --dir in one batch.
    Verify {
        #[arg(long)]
        vk: PathBuf,
        #[arg(long)]
        statement: Option<PathBuf>,
        #[arg(long)]
        proof: Option<PathBuf>,
        #[arg(long)]
        dir: Option<PathBuf>,
    },
}

fn spinner(msg: &str) -> ProgressBar {
    let pb = ProgressBar::new_spinner();
    pb.set_style(
        ProgressStyle::with_template("{spinner} {msg} [{elapsed_precise}]").expect("style"),
    );
    pb.set_message(msg.to_string());
    pb.enable_steady_tick(Duration::from_millis(100));
    pb
}

fn bar(n: usize, msg: &str) -> ProgressBar {
    let pb = ProgressBar::new(n as u64);
    pb.set_style(
        ProgressStyle::with_template("{msg} [{bar:40}] {pos}/{len} {elapsed_precise} eta {eta}")
            .expect("style")
            .progress_chars("=> "),
    );
    pb.set_message(msg.to_string());
    pb
}

/// Runs `f` `reps` times; returns (median wall seconds, CPU seconds per run).
fn timed(reps: usize, mut f: impl FnMut()) -> (f64, f64) {
    let mut walls = Vec::with_capacity(reps);
    let c0 = cpu_seconds();
    for _ in 0..reps {
        let t = Instant::now();
        f();
        walls.push(t.elapsed().as_secs_f64());
    }
    let cpu = (cpu_seconds() - c0) / reps as f64;
    walls.sort_by(f64::total_cmp);
    (walls[walls.len() / 2], cpu)
}

fn bench(
    arch: &Architecture,
    prove_reps: usize,
    verify_reps: usize,
    batch: &[usize],
    batch_reps: usize,
    distinct: usize,
) -> anyhow::Result<()> {
    let mut rng = StdRng::seed_from_u64(1);
    let stats = pol_proofs::circuit::stats(arch)?;
    eprintln!("{arch}: {} constraints; setup ...", stats.constraints);
    let mut keys = None;
    let (setup_wall, setup_cpu) = timed(1, || keys = Some(setup_insecure_seeded(arch, 1)));
    let (pk, vk) = keys.expect("ran")?;
    let pvk = vk.prepare();
    let pk_bytes = pk.to_bytes().len();
    let model = Model::random(arch, &mut rng);
    let c = commit(&model);
    let statement = |rng: &mut StdRng| -> anyhow::Result<Statement> {
        let input: Vec<i8> = (0..arch.input_len())
            .map(|_| rng.gen_range(0..=16))
            .collect();
        Ok(Statement {
            commitment: c,
            output: model.forward(&input)?,
            input,
            nonce: rng.gen(),
            provider: rng.gen(),
        })
    };
    // Warm the key's matrix cache (once per key, like a long-running worker).
    let (matrices_wall, _) = timed(1, || {
        let _ = pk.matrices();
    });
    eprintln!("prove x{prove_reps} ...");
    let st0 = statement(&mut rng)?;
    let mut proof0 = None;
    let (prove_wall, prove_cpu) = timed(prove_reps, || {
        proof0 = Some(prove(&pk, &model, &st0, &mut OsRng).expect("prove"));
    });
    let proof0 = proof0.expect("ran");
    let proof_bytes = proof0.to_bytes().len();
    let (verify_wall, verify_cpu) = timed(verify_reps, || {
        verify(&pvk, &st0, &proof0).expect("valid");
    });
    // Distinct proofs for the batches: up to 16 proved, the rest re-randomized.
    let max_n = batch.iter().copied().max().unwrap_or(0);
    let mut items: Vec<(Statement, Proof)> = vec![(st0.clone(), proof0.clone())];
    while items.len() < max_n.min(distinct.max(1)) {
        let st = statement(&mut rng)?;
        let p = prove(&pk, &model, &st, &mut OsRng)?;
        items.push((st, p));
    }
    let base = items.len();
    while items.len() < max_n {
        let (st, p) = items[items.len() % base].clone();
        let q = ark_groth16::Groth16::<ark_bn254::Bn254>::rerandomize_proof(&vk.vk, &p.0, &mut rng);
        items.push((st, Proof(q)));
    }
    let mut batches = Vec::new();
    for &n in batch {
        let (w, cpu) = timed(batch_reps, || {
            batch_verify(&pvk, &items[..n]).expect("valid batch");
        });
        batches.push(format!(
            "{{\"n\":{n},\"wall_per_proof_ms\":{:.4},\"cpu_per_proof_ms\":{:.4}}}",
            1e3 * w / n as f64,
            1e3 * cpu / n as f64
        ));
    }
    println!(
        "{{\"arch\":\"{arch}\",\"constraints\":{},\"witness_variables\":{},\"public_inputs\":{},\
\"setup_s\":{setup_wall:.3},\"setup_cpu_s\":{setup_cpu:.3},\"pk_bytes\":{pk_bytes},\"vk_bytes\":{},\
\"matrices_s\":{matrices_wall:.3},\"prove_s\":{prove_wall:.4},\"prove_cpu_s\":{prove_cpu:.4},\
\"proof_bytes\":{proof_bytes},\"verify_ms\":{:.4},\"verify_cpu_ms\":{:.4},\"batch\":[{}],\
\"load_avg\":\"{}\"}}",
        stats.constraints,
        stats.witness_variables,
        stats.public_inputs,
        vk.to_bytes().len(),
        1e3 * verify_wall,
        1e3 * verify_cpu,
        batches.join(","),
        std::fs::read_to_string("/proc/loadavg")
            .unwrap_or_default()
            .trim()
    );
    Ok(())
}

fn read(p: &Path) -> anyhow::Result<Vec<u8>> {
    std::fs::read(p).map_err(|e| anyhow::anyhow!("{}: {e}", p.display()))
}

fn main() -> anyhow::Result<()> {
    match Cli::parse().cmd {
        Cmd::Stats { arch } => {
            let arch = arch.arch()?;
            let s = pol_proofs::circuit::stats(&arch)?;
            println!("architecture {arch} (id {})", hex::encode(arch.id()));
            for (part, n) in pol_proofs::circuit::breakdown(&arch) {
                println!("  {n:>9}  {part}");
            }
            println!(
                "  {:>9}  constraints in total; {} witness variables; {} public inputs",
                s.constraints, s.witness_variables, s.public_inputs
            );
        }
        Cmd::Setup {
            arch,
            insecure_seed,
            out,
        } => {
            let arch = arch.arch()?;
            let pb = spinner(&format!("Groth16 setup for {arch}"));
            let t = Instant::now();
            let (pk, vk) = match insecure_seed {
                Some(seed) => {
                    pb.println(format!(
                        "WARNING: insecure seeded setup (seed {seed}): for local networks only"
                    ));
                    setup_insecure_seeded(&arch, seed)?
                }
                None => setup(&arch, &mut OsRng)?,
            };
            pb.finish_and_clear();
            let pk_path = out.with_extension("pk");
            let vk_path = out.with_extension("vk");
            pk.save(&pk_path)?;
            vk.save(&vk_path)?;
            println!(
                "setup {arch} in {:.2?}\n  {} ({} bytes)\n  {} ({} bytes)\n  vk content hash {}",
                t.elapsed(),
                pk_path.display(),
                pk.to_bytes().len(),
                vk_path.display(),
                vk.to_bytes().len(),
                hex::encode(vk.content_hash())
            );
        }
        Cmd::RandomModel { arch, seed, out } => {
            let arch = arch.arch()?;
            let m = Model::random(&arch, &mut StdRng::seed_from_u64(seed));
            m.save(&out)?;
            println!("{} {}", out.display(), commit(&m));
        }
        Cmd::Commit { model } => {
            let m = Model::load(&model)?;
            let arch = m.architecture();
            println!("architecture {arch}");
            println!("architecture id {}", hex::encode(arch.id()));
            println!("commitment {}", commit(&m));
        }
        Cmd::Forward { model, input } => {
            let m = Model::load(&model)?;
            let out = m.forward(&input)?;
            println!("logits {out:?}\nclass {}", argmax(&out));
        }
        Cmd::Prove {
            pk,
            model,
            input,
            inputs_file,
            random,
            nonce,
            provider,
            out_dir,
        } => {
            let provider: [u8; 20] = hex::decode(&provider)?
                .try_into()
                .map_err(|_| anyhow::anyhow!("--provider needs 40 hex digits"))?;
            let pb = spinner("loading proving key");
            let pk = ProvingKey::load(&pk)?;
            pb.finish_and_clear();
            let m = Model::load(&model)?;
            let mut inputs: Vec<Vec<i8>> = input.into_iter().collect();
            if let Some(f) = inputs_file {
                for line in String::from_utf8(read(&f)?)?.lines() {
                    let line = line.trim();
                    if line.is_empty() {
                        continue;
                    }
                    inputs.push(
                        line.split([',', ' '])
                            .filter(|s| !s.is_empty())
                            .map(|s| s.parse::<i8>())
                            .collect::<Result<_, _>>()?,
                    );
                }
            }
            let mut rng = OsRng;
            for _ in 0..random.unwrap_or(0) {
                inputs.push(
                    (0..m.architecture().input_len())
                        .map(|_| rng.gen_range(0..=16))
                        .collect(),
                );
            }
            std::fs::create_dir_all(&out_dir)?;
            let c = commit(&m);
            let pb = bar(inputs.len(), "proving");
            let t = Instant::now();
            for (i, x) in inputs.into_iter().enumerate() {
                let st = Statement {
                    commitment: c,
                    output: m.forward(&x)?,
                    input: x,
                    nonce: nonce.wrapping_add(i as u64),
                    provider,
                };
                let proof = prove(&pk, &m, &st, &mut rng)?;
                std::fs::write(out_dir.join(format!("{i}.stmt")), st.to_bytes())?;
                std::fs::write(out_dir.join(format!("{i}.proof")), proof.to_bytes())?;
                pb.inc(1);
            }
            pb.finish_and_clear();
            println!(
                "{} proofs in {:.2?} -> {}",
                pb.position(),
                t.elapsed(),
                out_dir.display()
            );
        }
        Cmd::Bench {
            arch,
            prove_reps,
            verify_reps,
            batch,
            batch_reps,
            distinct,
        } => bench(
            &arch.arch()?,
            prove_reps,
            verify_reps,
            &batch,
            batch_reps,
            distinct,
        )?,
        Cmd::Ceremony { cmd } => ceremony_cli::run(cmd)?,
        Cmd::Verify {
            vk,
            statement,
            proof,
            dir,
        } => {
            let vk = VerifyingKey::load(&vk)?;
            let pvk = vk.prepare();
            println!("vk content hash {}", hex::encode(vk.content_hash()));
            if let (Some(s), Some(p)) = (statement, proof) {
                let st = Statement::from_bytes(&read(&s)?)?;
                let pr = Proof::from_bytes(&read(&p)?)?;
                let t = Instant::now();
                verify(&pvk, &st, &pr)?;
                println!("valid ({:.2?})", t.elapsed());
            }
            if let Some(d) = dir {
                let mut items = Vec::new();
                for i in 0.. {
                    let s = d.join(format!("{i}.stmt"));
                    if !s.exists() {
                        break;
                    }
                    let st = Statement::from_bytes(&read(&s)?)?;
                    let pr = Proof::from_bytes(&read(&d.join(format!("{i}.proof")))?)?;
                    items.push((st, pr));
                }
                let t = Instant::now();
                match batch_verify(&pvk, &items) {
                    Ok(()) => println!("{} proofs valid (batch, {:.2?})", items.len(), t.elapsed()),
                    Err(e) => {
                        for (i, r) in e.bad.iter().zip(&e.reasons) {
                            println!("proof {i}: {r}");
                        }
                        anyhow::bail!("{e}");
                    }
                }
            }
        }
    }
    Ok(())
}
