//! Compiles `proto/` (package `pol.staking.v1`) with tonic-build. The Cosmos `Coin` and
//! `PageRequest`/`PageResponse` it imports come from the workspace's shared `proto/` root;
//! the generated code uses `cosmos-sdk-proto`'s Rust types for them through `extern_path`.

use std::path::PathBuf;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    std::env::set_var("PROTOC", protoc_bin_vendored::protoc_bin_path()?);
    let out = PathBuf::from(std::env::var("OUT_DIR")?);
    let files = [
        "proto/pol/staking/v1/staking.proto",
        "proto/pol/staking/v1/tx.proto",
        "proto/pol/staking/v1/query.proto",
        "proto/pol/staking/v1/genesis.proto",
        "proto/pol/staking/v1/events.proto",
    ];
    tonic_build::configure()
        // Genesis JSON carries a validator's details as they are.
        .type_attribute(
            "pol.staking.v1.ValidatorDetails",
            "#[derive(Eq, serde::Serialize, serde::Deserialize)] #[serde(default, deny_unknown_fields)]",
        )
        .build_server(true)
        .build_client(true)
        .file_descriptor_set_path(out.join("pol_staking_descriptor.bin"))
        .extern_path(
            ".cosmos.base.query.v1beta1",
            "::cosmos_sdk_proto::cosmos::base::query::v1beta1",
        )
        .extern_path(
            ".cosmos.base.v1beta1",
            "::cosmos_sdk_proto::cosmos::base::v1beta1",
        )
        .compile_protos(&files, &["proto", "../../proto"])?;
    println!("cargo:rerun-if-changed=proto");
    println!("cargo:rerun-if-changed=../../proto/cosmos/base");
    Ok(())
}
