fn main() -> Result<(), Box<dyn std::error::Error>> {
    // The vendored protoc: nobody has to install one.
    std::env::set_var("PROTOC", protoc_bin_vendored::protoc_bin_path()?);
    let out = std::path::PathBuf::from(std::env::var("OUT_DIR")?);
    tonic_build::configure()
        // The chain's `pol.inference.v1.Receipt` has the same fields and numbers: one Rust
        // type for both, so a receipt goes from worker to chain without conversion.
        .extern_path(".pol.worker.v1.Receipt", "::pol_inference::pb::Receipt")
        // Likewise `pol.payments.v1.Payment`.
        .extern_path(".pol.worker.v1.Payment", "::pol_payments::pb::Payment")
        .file_descriptor_set_path(out.join("pol_worker_v1_descriptor.bin"))
        .compile_protos(&["../proto/pol/worker/v1/worker.proto"], &["../proto"])?;
    println!("cargo:rerun-if-changed=../proto");
    Ok(())
}
