//! `pol-proofs ceremony …`: one command per step of the trusted-setup ceremony, each run by one
//! participant on their own machine (see proofs/README.md, "Trusted-setup ceremony").

use crate::{bar, cpu_seconds, spinner, ArchArgs};
use anyhow::{bail, Context};
use ed25519_dalek::SigningKey;
use indicatif::ProgressBar;
use pol_proofs::ceremony::{
    domain_log_size, finalize, secret_rng, setup_record, write_file, Participant, Phase1, Phase2,
    Progress, Report,
};
use pol_proofs::commitment::commit;
use pol_proofs::model::{Architecture, Model};
use pol_proofs::{prove, verify, Statement};
use rand::{rngs::OsRng, rngs::StdRng, Rng, SeedableRng};
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::time::Instant;

#[derive(clap::Subcommand)]
pub enum CeremonyCmd {
    /// Writes the phase-1 start state (every power a generator), sized for an architecture's
    /// circuit or for a domain of 2^--log-size points (it then serves every circuit up to it).
    Phase1New {
        #[command(flatten)]
        arch: ArchArgs,
        #[arg(long)]
        log_size: Option<u8>,
        #[arg(long)]
        out: PathBuf,
    },
    /// Verifies a phase-1 state, multiplies in fresh secrets τ, α, β (OS RNG, mixed with
    /// --entropy) and writes the next state with your signed record appended.
    Phase1Contribute {
        #[command(flatten)]
        who: Who,
        /// Do not verify the input first (only if you just verified it).
        #[arg(long)]
        skip_verify: bool,
    },
    /// Verifies a phase-1 state from its start and prints its transcript and digest.
    Phase1Verify {
        #[arg(long = "in")]
        input: PathBuf,
        /// Earlier states of the same ceremony: each must be one of the transcript's states.
        #[arg(long, num_args = 1..)]
        earlier: Vec<PathBuf>,
    },
    /// Derives the phase-2 start state (δ = 1) of an architecture from the final phase-1 state.
    /// Deterministic: anyone can rerun it and compare the parameters hash it prints.
    Phase2New {
        #[arg(long)]
        phase1: PathBuf,
        #[command(flatten)]
        arch: ArchArgs,
        #[arg(long)]
        out: PathBuf,
        /// Do not verify the phase-1 state first.
        #[arg(long)]
        skip_verify: bool,
    },
    /// Multiplies δ by a fresh secret and writes the next phase-2 state with your record. With
    /// --phase1 (the final phase-1 state) the input is verified first.
    Phase2Contribute {
        #[command(flatten)]
        who: Who,
        #[arg(long)]
        phase1: Option<PathBuf>,
        /// With --phase1: do not re-verify the phase-1 state itself.
        #[arg(long)]
        skip_phase1_verify: bool,
    },
    /// Verifies a phase-2 state from its start against the final phase-1 state (which is
    /// verified too) and prints its transcript and digest.
    Phase2Verify {
        #[arg(long = "in")]
        input: PathBuf,
        #[command(flatten)]
        phase1: Phase1Ref,
        /// Earlier phase-2 states of the same ceremony: each must be one of the transcript's.
        #[arg(long, num_args = 1..)]
        earlier: Vec<PathBuf>,
    },
    /// Verifies the last phase-2 state and writes the proving and verifying keys.
    Finalize {
        #[arg(long = "in")]
        input: PathBuf,
        #[command(flatten)]
        phase1: Phase1Ref,
        #[arg(long)]
        out_pk: PathBuf,
        #[arg(long)]
        out_vk: PathBuf,
        /// Also write the setup record the chain registers with the key (JSON for
        /// `pold tx inference register-architecture --setup`, and the worker's
        /// `[prover] keys`, which reads `<pk>.setup.json` beside each proving key).
        #[arg(long)]
        out_setup: Option<PathBuf>,
        /// Where verifiers can fetch the transcript (named in the setup record).
        #[arg(long, default_value = "")]
        transcript_uri: String,
    },
    /// Writes a new ed25519 signing key (hex seed, mode 0600) for --signing-key.
    Keygen {
        #[arg(long)]
        out: PathBuf,
    },
    /// Runs a whole ceremony in memory and prints one JSON line of timings and sizes.
    Bench {
        #[command(flatten)]
        arch: ArchArgs,
        /// Contributions per phase.
        #[arg(long, default_value_t = 3)]
        parties: usize,
    },
}

/// A contributor's input, output and identity.
#[derive(clap::Args)]
pub struct Who {
    #[arg(long = "in")]
    input: PathBuf,
    #[arg(long)]
    out: PathBuf,
    /// Your name as it will appear in the transcript.
    #[arg(long)]
    name: String,
    /// Extra entropy mixed into the OS RNG (e.g. keyboard mashing); never stored.
    #[arg(long)]
    entropy: Option<String>,
    /// An ed25519 key file from `ceremony keygen`: signs your record.
    #[arg(long)]
    signing_key: Option<PathBuf>,
}

/// The final phase-1 state a phase-2 state is checked against.
#[derive(clap::Args)]
pub struct Phase1Ref {
    /// The final phase-1 state (verified first, then the phase-2 state against it).
    #[arg(long)]
    phase1: PathBuf,
    /// Do not re-verify the phase-1 state (only if you verified this very file already).
    #[arg(long)]
    skip_phase1_verify: bool,
}

/// indicatif bars for the library's progress steps.
struct Bars(Mutex<Option<ProgressBar>>);

impl Bars {
    fn new() -> Self {
        Bars(Mutex::new(None))
    }

    fn done(&self) {
        if let Some(pb) = self.0.lock().ok().and_then(|mut g| g.take()) {
            pb.finish_and_clear();
        }
    }
}

impl Progress for Bars {
    fn step(&self, what: &str, total: u64) {
        if let Ok(mut g) = self.0.lock() {
            if let Some(pb) = g.take() {
                pb.finish_and_clear();
            }
            *g = Some(if total == 0 {
                spinner(what)
            } else {
                bar(total as usize, what)
            });
        }
    }

    fn advance(&self, n: u64) {
        if let Some(pb) = self.0.lock().ok().and_then(|g| g.clone()) {
            pb.inc(n);
        }
    }
}

impl Drop for Bars {
    fn drop(&mut self) {
        self.done();
    }
}

fn participant(who: &Who) -> anyhow::Result<Participant> {
    let signing_key = match &who.signing_key {
        Some(p) => Some(load_signing_key(p)?),
        None => None,
    };
    Ok(Participant {
        name: who.name.clone(),
        signing_key,
    })
}

fn load_signing_key(path: &Path) -> anyhow::Result<SigningKey> {
    let text = std::fs::read_to_string(path).with_context(|| path.display().to_string())?;
    let seed: [u8; 32] = hex::decode(text.trim())
        .ok()
        .and_then(|b| b.try_into().ok())
        .ok_or_else(|| anyhow::anyhow!("{}: expected 64 hex digits", path.display()))?;
    Ok(SigningKey::from_bytes(&seed))
}

/// Reads and decodes (checks every point of) a phase-1 file, with a spinner.
fn read1(path: &Path, bars: &Bars) -> anyhow::Result<Phase1> {
    bars.step(&format!("reading and checking {}", path.display()), 0);
    Ok(Phase1::load(path)?)
}

/// Reads and decodes (checks every point of) a phase-2 file, with a spinner.
fn read2(path: &Path, bars: &Bars) -> anyhow::Result<Phase2> {
    bars.step(&format!("reading and checking {}", path.display()), 0);
    Ok(Phase2::load(path)?)
}

fn print_report(r: &Report) {
    println!("{r}");
}

/// Loads the phase-1 state and verifies it unless told not to.
fn load_phase1(r: &Phase1Ref, bars: &Bars) -> anyhow::Result<Phase1> {
    let p1 = read1(&r.phase1, bars)?;
    if !r.skip_phase1_verify {
        let r1 = p1
            .verify(bars)
            .with_context(|| format!("{}: invalid phase-1 state", r.phase1.display()))?;
        bars.done();
        println!(
            "phase 1 valid ({} contributions, digest {})",
            r1.contributions.len(),
            hex::encode(r1.digest)
        );
    }
    Ok(p1)
}

/// Every earlier state must be one of the states the verified transcript passes through.
fn check_earlier(
    report: &Report,
    earlier: &[PathBuf],
    digest: impl Fn(&Path) -> anyhow::Result<[u8; 32]>,
) -> anyhow::Result<()> {
    let states: Vec<[u8; 32]> = std::iter::once(report.start_hash)
        .chain(report.contributions.iter().map(|c| c.state))
        .collect();
    for p in earlier {
        let d = digest(p)?;
        match states.iter().position(|s| *s == d) {
            Some(k) => println!("{}: state after {k} contributions", p.display()),
            None => bail!(
                "{}: state {} is not in this transcript",
                p.display(),
                hex::encode(d)
            ),
        }
    }
    Ok(())
}

pub fn run(cmd: CeremonyCmd) -> anyhow::Result<()> {
    let bars = Bars::new();
    match cmd {
        CeremonyCmd::Phase1New {
            arch,
            log_size,
            out,
        } => {
            let log_size = match log_size {
                Some(k) => k,
                None => {
                    let arch = arch.arch()?;
                    bars.step(&format!("synthesizing {arch}"), 0);
                    domain_log_size(&arch)?
                }
            };
            let p = Phase1::new(log_size)?;
            p.save(&out)?;
            bars.done();
            println!(
                "phase 1 start state, domain 2^{log_size} -> {}\n  digest {}",
                out.display(),
                hex::encode(p.digest())
            );
        }
        CeremonyCmd::Phase1Contribute { who, skip_verify } => {
            let me = participant(&who)?;
            let p = read1(&who.input, &bars)?;
            if !skip_verify {
                p.verify(&bars).context("the input state is invalid")?;
            }
            let t = Instant::now();
            let mut rng = secret_rng(who.entropy.as_deref().unwrap_or("").as_bytes());
            let next = p.contribute(&me, &mut rng, &bars)?;
            drop(p);
            next.save(&who.out)?;
            bars.done();
            print_contribution(&next.contributions, next.digest(), &who.out, t);
        }
        CeremonyCmd::Phase1Verify { input, earlier } => {
            let t = Instant::now();
            let p = read1(&input, &bars)?;
            let r = p.verify(&bars)?;
            bars.done();
            print_report(&r);
            check_earlier(&r, &earlier, |e| {
                let d = read1(e, &bars)?.digest();
                bars.done();
                Ok(d)
            })?;
            println!(
                "phase 1 valid: domain 2^{} ({:.2?})",
                p.log_size,
                t.elapsed()
            );
        }
        CeremonyCmd::Phase2New {
            phase1,
            arch,
            out,
            skip_verify,
        } => {
            let arch = arch.arch()?;
            let p1 = read1(&phase1, &bars)?;
            if !skip_verify {
                p1.verify(&bars).context("the phase-1 state is invalid")?;
            }
            let t = Instant::now();
            let p2 = Phase2::new(&p1, &arch, &bars)?;
            p2.save(&out)?;
            bars.done();
            println!(
                "phase 2 start state for {arch} in {:.2?} -> {}\n  parameters hash {}\n  digest {}",
                t.elapsed(),
                out.display(),
                hex::encode(p2.body_hash()),
                hex::encode(p2.digest())
            );
        }
        CeremonyCmd::Phase2Contribute {
            who,
            phase1,
            skip_phase1_verify,
        } => {
            let me = participant(&who)?;
            let p = read2(&who.input, &bars)?;
            match phase1 {
                Some(phase1) => {
                    let p1 = load_phase1(
                        &Phase1Ref {
                            phase1,
                            skip_phase1_verify,
                        },
                        &bars,
                    )?;
                    p.verify(&p1, &bars).context("the input state is invalid")?;
                }
                None => eprintln!("note: input not verified (give --phase1 to verify it)"),
            }
            let t = Instant::now();
            let mut rng = secret_rng(who.entropy.as_deref().unwrap_or("").as_bytes());
            let next = p.contribute(&me, &mut rng, &bars)?;
            drop(p);
            next.save(&who.out)?;
            bars.done();
            print_contribution(&next.contributions, next.digest(), &who.out, t);
        }
        CeremonyCmd::Phase2Verify {
            input,
            phase1,
            earlier,
        } => {
            let t = Instant::now();
            let p = read2(&input, &bars)?;
            let p1 = load_phase1(&phase1, &bars)?;
            let r = p.verify(&p1, &bars)?;
            bars.done();
            print_report(&r);
            check_earlier(&r, &earlier, |e| {
                let d = read2(e, &bars)?.digest();
                bars.done();
                Ok(d)
            })?;
            println!("phase 2 valid for {} ({:.2?})", p.arch, t.elapsed());
        }
        CeremonyCmd::Finalize {
            input,
            phase1,
            out_pk,
            out_vk,
            out_setup,
            transcript_uri,
        } => {
            let p = read2(&input, &bars)?;
            let p1 = load_phase1(&phase1, &bars)?;
            let r = p.verify(&p1, &bars)?;
            bars.done();
            print_report(&r);
            let (pk, vk) = finalize(&p)?;
            pk.save(&out_pk)?;
            vk.save(&out_vk)?;
            if let Some(path) = &out_setup {
                let record = setup_record(&p1, &p, &transcript_uri);
                write_file(path, record.to_json().as_bytes())?;
                println!("setup record {}", path.display());
            }
            println!(
                "keys for {}\n  {} ({} bytes)\n  {} ({} bytes)\n  vk content hash {}\n  \
                 phase-1 digest {}\n  phase-2 digest {}",
                p.arch,
                out_pk.display(),
                pk.to_bytes().len(),
                out_vk.display(),
                vk.to_bytes().len(),
                hex::encode(vk.content_hash()),
                hex::encode(p.phase1_digest),
                hex::encode(r.digest)
            );
        }
        CeremonyCmd::Keygen { out } => {
            let key = SigningKey::generate(&mut OsRng);
            write_file(
                &out,
                format!("{}\n", hex::encode(key.to_bytes())).as_bytes(),
            )?;
            #[cfg(unix)]
            {
                use std::os::unix::fs::PermissionsExt;
                std::fs::set_permissions(&out, std::fs::Permissions::from_mode(0o600))?;
            }
            println!(
                "{}: ed25519 public key {}",
                out.display(),
                hex::encode(key.verifying_key().to_bytes())
            );
        }
        CeremonyCmd::Bench { arch, parties } => bench(&arch.arch()?, parties)?,
    }
    Ok(())
}

fn print_contribution(
    records: &[pol_proofs::ceremony::Contribution],
    digest: [u8; 32],
    out: &Path,
    t: Instant,
) {
    if let Some(c) = records.last() {
        println!(
            "contribution #{} by {} in {:.2?} -> {}\n  contribution hash {}\n  new state digest  {}",
            records.len(),
            c.name,
            t.elapsed(),
            out.display(),
            hex::encode(c.hash()),
            hex::encode(digest)
        );
    }
}

/// Wall seconds and CPU seconds of `f`.
fn timed<T>(f: impl FnOnce() -> T) -> (T, f64, f64) {
    let (c0, t) = (cpu_seconds(), Instant::now());
    let v = f();
    (v, t.elapsed().as_secs_f64(), cpu_seconds() - c0)
}

/// Prints how long each library step took (stderr), for `ceremony bench`.
struct StepTimes(Mutex<Option<(String, Instant)>>);

impl StepTimes {
    fn flush(&self) {
        if let Some((what, t)) = self.0.lock().ok().and_then(|mut g| g.take()) {
            eprintln!("  {what}: {:.2?}", t.elapsed());
        }
    }
}

impl Progress for StepTimes {
    fn step(&self, what: &str, _total: u64) {
        self.flush();
        if let Ok(mut g) = self.0.lock() {
            *g = Some((what.to_string(), Instant::now()));
        }
    }
}

fn bench(arch: &Architecture, parties: usize) -> anyhow::Result<()> {
    let q = StepTimes(Mutex::new(None));
    let stats = pol_proofs::circuit::stats(arch)?;
    let log_size = domain_log_size(arch)?;
    eprintln!(
        "{arch}: {} constraints, domain 2^{log_size}",
        stats.constraints
    );
    let fmt = |v: &[(f64, f64)]| {
        v.iter()
            .map(|(w, c)| format!("[{w:.3},{c:.3}]"))
            .collect::<Vec<_>>()
            .join(",")
    };

    let mut p1 = Phase1::new(log_size)?;
    let mut p1_contrib = Vec::new();
    for i in 0..parties {
        eprintln!("phase 1 contribution {}", i + 1);
        let who = Participant::named(&format!("party {}", i + 1));
        let (next, w, c) = timed(|| p1.contribute(&who, &mut secret_rng(b""), &q));
        q.flush();
        p1 = next?;
        p1_contrib.push((w, c));
    }
    let (bytes1, p1_encode_s, _) = timed(|| p1.to_bytes());
    let (p1b, p1_decode_s, _) = timed(|| Phase1::from_bytes(&bytes1));
    anyhow::ensure!(p1b? == p1, "phase-1 round trip");
    eprintln!("phase 1 verify");
    let (r, p1_verify_s, p1_verify_cpu) = timed(|| p1.verify(&q));
    q.flush();
    r?;

    eprintln!("phase 2 derivation");
    let (initial, p2_new_s, p2_new_cpu) = timed(|| Phase2::new(&p1, arch, &q));
    q.flush();
    let mut p2 = initial?;
    let mut p2_contrib = Vec::new();
    for i in 0..parties {
        eprintln!("phase 2 contribution {}", i + 1);
        let who = Participant::named(&format!("party {}", i + 1));
        let (next, w, c) = timed(|| p2.contribute(&who, &mut secret_rng(b""), &q));
        q.flush();
        p2 = next?;
        p2_contrib.push((w, c));
    }
    let (bytes2, _, _) = timed(|| p2.to_bytes());
    let (p2b, p2_decode_s, _) = timed(|| Phase2::from_bytes(&bytes2));
    anyhow::ensure!(p2b? == p2, "phase-2 round trip");
    eprintln!("phase 2 verify");
    let (r, p2_verify_s, p2_verify_cpu) = timed(|| p2.verify(&p1, &q));
    q.flush();
    r?;

    let (pk, vk) = finalize(&p2)?;
    // The keys work with the existing prover and verifier.
    let mut rng = StdRng::seed_from_u64(1);
    let model = Model::random(arch, &mut rng);
    let input: Vec<i8> = (0..arch.input_len())
        .map(|_| rng.gen_range(0..=16))
        .collect();
    let st = Statement {
        commitment: commit(&model),
        output: model.forward(&input)?,
        input,
        nonce: 1,
        provider: [7; 20],
    };
    let proof = prove(&pk, &model, &st, &mut OsRng)?;
    verify(&vk.prepare(), &st, &proof)?;

    println!(
        "{{\"arch\":\"{arch}\",\"constraints\":{},\"log_size\":{log_size},\"parties\":{parties},\
\"p1_contribute_wall_cpu_s\":[{}],\"p1_file_bytes\":{},\"p1_encode_s\":{p1_encode_s:.3},\
\"p1_decode_s\":{p1_decode_s:.3},\"p1_verify_s\":{p1_verify_s:.3},\"p1_verify_cpu_s\":{p1_verify_cpu:.3},\
\"p2_new_s\":{p2_new_s:.3},\"p2_new_cpu_s\":{p2_new_cpu:.3},\
\"p2_contribute_wall_cpu_s\":[{}],\"p2_file_bytes\":{},\"p2_decode_s\":{p2_decode_s:.3},\
\"p2_verify_s\":{p2_verify_s:.3},\"p2_verify_cpu_s\":{p2_verify_cpu:.3},\"pk_bytes\":{},\"vk_bytes\":{},\
\"load_avg\":\"{}\"}}",
        stats.constraints,
        fmt(&p1_contrib),
        bytes1.len(),
        fmt(&p2_contrib),
        bytes2.len(),
        pk.to_bytes().len(),
        vk.to_bytes().len(),
        std::fs::read_to_string("/proc/loadavg")
            .unwrap_or_default()
            .trim()
    );
    Ok(())
}
