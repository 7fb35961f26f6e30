//! The ceremony through the `pol-proofs` CLI, one command per participant and step, as the
//! README describes it; then the keys prove and verify through the CLI too.

use std::path::Path;
use std::process::{Command, Output};

const DIMS: &str = "4,3,2";
const SHIFTS: &str = "4";

fn run(dir: &Path, args: &[&str]) -> Output {
    let out = Command::new(env!("CARGO_BIN_EXE_pol-proofs"))
        .current_dir(dir)
        .args(args)
        .output()
        .expect("run pol-proofs");
    out
}

fn ok(dir: &Path, args: &[&str]) -> String {
    let out = run(dir, args);
    let (stdout, stderr) = (
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr),
    );
    assert!(
        out.status.success(),
        "pol-proofs {args:?} failed:\n{stdout}\n{stderr}"
    );
    stdout.into_owned()
}

fn fails(dir: &Path, args: &[&str]) -> String {
    let out = run(dir, args);
    assert!(!out.status.success(), "pol-proofs {args:?} succeeded");
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// `ceremony <rest…>`.
fn c<'a>(rest: &[&'a str]) -> Vec<&'a str> {
    [&["ceremony"][..], rest].concat()
}

#[test]
fn cli_ceremony_end_to_end() {
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path();
    let arch = ["--dims", DIMS, "--shifts", SHIFTS];

    let key = ok(d, &c(&["keygen", "--out", "bob.key"]));
    assert!(key.contains("ed25519 public key"));
    ok(
        d,
        &[c(&["phase1-new", "--out", "p1-0"]), arch.to_vec()].concat(),
    );
    for (i, (name, extra)) in [
        ("alice", vec!["--entropy", "mashed keys"]),
        ("bob", vec!["--signing-key", "bob.key"]),
        ("carol", vec![]),
    ]
    .into_iter()
    .enumerate()
    {
        let (input, output) = (format!("p1-{i}"), format!("p1-{}", i + 1));
        let out = ok(
            d,
            &[
                c(&[
                    "phase1-contribute",
                    "--in",
                    &input,
                    "--out",
                    &output,
                    "--name",
                    name,
                ]),
                extra,
            ]
            .concat(),
        );
        assert!(out.contains("contribution hash"), "{out}");
    }
    let v1 = ok(
        d,
        &c(&["phase1-verify", "--in", "p1-3", "--earlier", "p1-0", "p1-2"]),
    );
    assert!(v1.contains("alice") && v1.contains("bob") && v1.contains("carol"));
    assert!(v1.contains("p1-2: state after 2 contributions"), "{v1}");
    assert!(v1.contains("transcript digest"));

    ok(
        d,
        &[
            c(&["phase2-new", "--phase1", "p1-3", "--out", "p2-0"]),
            arch.to_vec(),
        ]
        .concat(),
    );
    for (i, name) in ["dave", "erin", "frank"].into_iter().enumerate() {
        let (input, output) = (format!("p2-{i}"), format!("p2-{}", i + 1));
        ok(
            d,
            &c(&[
                "phase2-contribute",
                "--in",
                &input,
                "--out",
                &output,
                "--name",
                name,
                "--phase1",
                "p1-3",
            ]),
        );
    }
    let v2 = ok(
        d,
        &c(&[
            "phase2-verify",
            "--in",
            "p2-3",
            "--phase1",
            "p1-3",
            "--earlier",
            "p2-1",
        ]),
    );
    assert!(v2.contains("phase 2 valid"), "{v2}");
    let fin = ok(
        d,
        &c(&[
            "finalize",
            "--in",
            "p2-3",
            "--phase1",
            "p1-3",
            "--out-pk",
            "k.pk",
            "--out-vk",
            "k.vk",
            "--out-setup",
            "k.setup.json",
            "--transcript-uri",
            "https://example.org/t",
        ]),
    );
    assert!(fin.contains("vk content hash"), "{fin}");
    // The setup record the chain registers: both digests (the phase-2 one as printed) and
    // every contribution, bob's signed.
    let record: serde_json::Value =
        serde_json::from_slice(&std::fs::read(d.join("k.setup.json")).unwrap()).unwrap();
    assert_eq!(record["kind"], "ceremony");
    assert_eq!(record["transcript_uri"], "https://example.org/t");
    let contributors = record["contributors"].as_array().unwrap();
    let phases: Vec<u64> = contributors
        .iter()
        .map(|c| c["phase"].as_u64().unwrap())
        .collect();
    assert_eq!(phases.iter().filter(|p| **p == 1).count(), 3);
    assert!(phases.windows(2).all(|w| w[0] <= w[1]), "{phases:?}");
    let bob = contributors.iter().find(|c| c["name"] == "bob").unwrap();
    assert!(!bob["signature"].as_str().unwrap().is_empty());
    let b64 = |v: &serde_json::Value| {
        use base64::Engine;
        hex::encode(
            base64::engine::general_purpose::STANDARD
                .decode(v.as_str().unwrap())
                .unwrap(),
        )
    };
    assert!(
        fin.contains(&format!("phase-2 digest {}", b64(&record["phase2_digest"]))),
        "{fin}"
    );

    // The keys work with the existing prove and verify commands.
    ok(
        d,
        &[vec!["random-model", "--out", "m.polm"], arch.to_vec()].concat(),
    );
    ok(
        d,
        &[
            "prove",
            "--pk",
            "k.pk",
            "--model",
            "m.polm",
            "--random",
            "2",
            "--out-dir",
            "proofs",
        ],
    );
    ok(d, &["verify", "--vk", "k.vk", "--dir", "proofs"]);
    ok(
        d,
        &[
            "verify",
            "--vk",
            "k.vk",
            "--statement",
            "proofs/0.stmt",
            "--proof",
            "proofs/0.proof",
        ],
    );

    // A tampered state is refused, with a clear error, by the next contributor and by verify.
    let mut b = std::fs::read(d.join("p1-3")).unwrap();
    let at = b.len() / 2;
    b[at] ^= 1;
    std::fs::write(d.join("p1-bad"), &b).unwrap();
    let err = fails(
        d,
        &c(&[
            "phase1-contribute",
            "--in",
            "p1-bad",
            "--out",
            "p1-4",
            "--name",
            "eve",
        ]),
    );
    assert!(
        err.contains("malformed") || err.contains("invalid"),
        "{err}"
    );
    assert!(!d.join("p1-4").exists());
    fails(d, &c(&["phase1-verify", "--in", "p1-bad"]));
    // A state that is not in the transcript.
    let err = fails(
        d,
        &c(&[
            "phase2-verify",
            "--in",
            "p2-1",
            "--phase1",
            "p1-3",
            "--earlier",
            "p2-3",
        ]),
    );
    assert!(err.contains("not in this transcript"), "{err}");
    // A phase-2 state checked against the wrong phase-1 state.
    let err = fails(
        d,
        &c(&[
            "finalize", "--in", "p2-3", "--phase1", "p1-2", "--out-pk", "x.pk", "--out-vk", "x.vk",
        ]),
    );
    assert!(err.contains("phase-1"), "{err}");
    assert!(!d.join("x.vk").exists());
}
