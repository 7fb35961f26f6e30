//! Builds the descriptor set that pold's gRPC server registers for server reflection, from
//! the wire-compatible declarations in the workspace's shared `proto/` root (see
//! `proto/README.md`). Only descriptors
//! are used: the Rust types come from `cosmos-sdk-proto` and `tendermint-proto`.

use std::path::PathBuf;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    // The vendored protoc and its well-known types: nobody has to install one.
    std::env::set_var("PROTOC", protoc_bin_vendored::protoc_bin_path()?);
    let well_known = protoc_bin_vendored::include_path()?;
    let out = PathBuf::from(std::env::var("OUT_DIR")?);
    let scratch = out.join("proto-rs");
    std::fs::create_dir_all(&scratch)?;

    let root = PathBuf::from("../proto");
    let mut files = Vec::new();
    collect(&root, &mut files)?;
    files.sort();
    prost_build::Config::new()
        .file_descriptor_set_path(out.join("pol_cosmos_descriptor.bin"))
        .out_dir(&scratch)
        .compile_protos(&files, &[root.clone(), well_known.clone()])?;
    // cosmos-sdk-proto 0.27 ships no cosmos.consensus.v1 module: generate its Query server
    // and MsgUpdateParams,
    // on tendermint-proto's ConsensusParams.
    tonic_build::configure()
        .build_client(true)
        .build_server(true)
        .build_transport(false)
        .extern_path(".tendermint.types", "::tendermint_proto::types")
        .compile_protos(
            &[
                root.join("cosmos/consensus/v1/query.proto"),
                root.join("cosmos/consensus/v1/tx.proto"),
            ],
            &[root.clone(), well_known],
        )?;
    println!("cargo:rerun-if-changed=../proto");
    Ok(())
}

fn collect(dir: &PathBuf, files: &mut Vec<PathBuf>) -> std::io::Result<()> {
    for entry in std::fs::read_dir(dir)? {
        let path = entry?.path();
        if path.is_dir() {
            collect(&path, files)?;
        } else if path.extension().is_some_and(|e| e == "proto") {
            files.push(path);
        }
    }
    Ok(())
}
