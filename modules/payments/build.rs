//! Compiles `proto/` (package `pol.payments.v1`) with tonic-build; the Cosmos `Coin` and
//! pagination types it imports come from the workspace's shared `proto/` root.

use std::path::PathBuf;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    std::env::set_var("PROTOC", protoc_bin_vendored::protoc_bin_path()?);
    let out = PathBuf::from(std::env::var("OUT_DIR")?);
    let files = [
        "proto/pol/payments/v1/payments.proto",
        "proto/pol/payments/v1/tx.proto",
        "proto/pol/payments/v1/query.proto",
        "proto/pol/payments/v1/events.proto",
        "proto/pol/payments/v1/genesis.proto",
    ];
    // Genesis JSON is `GenesisState` through serde: the params (a field left out takes its
    // default, as does a missing `params`) and the channels (the signer key as base64).
    tonic_build::configure()
        .type_attribute(
            "pol.payments.v1.GenesisState",
            "#[derive(serde::Serialize, serde::Deserialize)] #[serde(default = \"crate::genesis::default_genesis\", deny_unknown_fields)]",
        )
        .type_attribute(
            "pol.payments.v1.Params",
            "#[derive(serde::Serialize, serde::Deserialize)] #[serde(default = \"crate::params::ParamsProto::defaults\", deny_unknown_fields)]",
        )
        .type_attribute(
            "pol.payments.v1.Channel",
            "#[derive(serde::Serialize, serde::Deserialize)] #[serde(default, deny_unknown_fields)]",
        )
        .field_attribute(
            "pol.payments.v1.Channel.signer",
            "#[serde(with = \"crate::genesis::base64_bytes\")]",
        )
        .build_server(true)
        .build_client(true)
        .file_descriptor_set_path(out.join("pol_payments_descriptor.bin"))
        .extern_path(
            ".cosmos.base.query.v1beta1",
            "::cosmos_sdk_proto::cosmos::base::query::v1beta1",
        )
        .extern_path(
            ".cosmos.base.v1beta1",
            "::cosmos_sdk_proto::cosmos::base::v1beta1",
        )
        .compile_protos_with_config(
            {
                let mut c = prost_build::Config::new();
                c.enable_type_names(); // typed events are named by `prost::Name`
                c
            },
            &files,
            &["proto", "../../proto"],
        )?;
    println!("cargo:rerun-if-changed=proto");
    println!("cargo:rerun-if-changed=../../proto/cosmos/base");
    Ok(())
}
