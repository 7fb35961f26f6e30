//! Compiles `proto/` (package `pol.inference.v1`) with tonic-build; the Cosmos `Coin` and
//! pagination types it imports come from the workspace's shared `proto/` root and map onto
//! `cosmos-sdk-proto`'s Rust types.

use std::path::PathBuf;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    std::env::set_var("PROTOC", protoc_bin_vendored::protoc_bin_path()?);
    let out = PathBuf::from(std::env::var("OUT_DIR")?);
    let files = [
        "proto/pol/inference/v1/inference.proto",
        "proto/pol/inference/v1/tx.proto",
        "proto/pol/inference/v1/query.proto",
        "proto/pol/inference/v1/events.proto",
        "proto/pol/inference/v1/genesis.proto",
    ];
    // Genesis JSON is `GenesisState` through serde: the params (a field left out takes its
    // default, as does a missing `params`) and the state records (bytes as base64).
    let mut config = tonic_build::configure()
        .type_attribute(
            "pol.inference.v1.GenesisState",
            "#[derive(serde::Serialize, serde::Deserialize)] #[serde(default = \"crate::genesis::default_genesis\", deny_unknown_fields)]",
        )
        .type_attribute(
            "pol.inference.v1.Params",
            "#[derive(serde::Serialize, serde::Deserialize)] #[serde(default = \"crate::params::ParamsProto::defaults\", deny_unknown_fields)]",
        );
    for record in [
        "SeenReceipt",
        "Layer",
        "Architecture",
        "Setup",
        "SetupContributor",
        "Model",
        "Sla",
        "Provider",
        "ProviderRecord",
        "Obligation",
        "Attestation",
        "CorrectnessFault",
    ] {
        config = config.type_attribute(
            format!("pol.inference.v1.{record}"),
            "#[derive(serde::Serialize, serde::Deserialize)] #[serde(default, deny_unknown_fields)]",
        );
    }
    for field in [
        "Architecture.verifying_key",
        "Setup.phase1_digest",
        "Setup.phase2_digest",
        "SetupContributor.public_key",
        "SetupContributor.contribution_hash",
        "SetupContributor.signature",
        "Model.weight_commitment",
        "Provider.receipt_pubkey",
        "Obligation.receipt_id",
        "Obligation.input_hash",
        "Obligation.output_hash",
        "Attestation.proof_hash",
    ] {
        config = config.field_attribute(
            format!("pol.inference.v1.{field}"),
            "#[serde(with = \"crate::genesis::base64_bytes\")]",
        );
    }
    // The setup kind reads as a word in genesis and setup files ("insecure", "ceremony").
    config = config.field_attribute(
        "pol.inference.v1.Setup.kind",
        "#[serde(with = \"crate::setup::kind_json\")]",
    );
    config
        .build_server(true)
        .build_client(true)
        .file_descriptor_set_path(out.join("pol_inference_descriptor.bin"))
        .extern_path(
            ".cosmos.base.query.v1beta1",
            "::cosmos_sdk_proto::cosmos::base::query::v1beta1",
        )
        .extern_path(
            ".cosmos.base.v1beta1",
            "::cosmos_sdk_proto::cosmos::base::v1beta1",
        )
        // `prost::Name` on every message: typed events are named by it.
        .compile_protos_with_config(
            {
                let mut c = prost_build::Config::new();
                c.enable_type_names();
                c
            },
            &files,
            &["proto", "../../proto"],
        )?;
    println!("cargo:rerun-if-changed=proto");
    println!("cargo:rerun-if-changed=../../proto/cosmos/base");
    Ok(())
}
