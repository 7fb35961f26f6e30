//! Compiles `proto/` (package `pol.latency.v1`); receipts are `pol_inference::pb::Receipt`.

use std::path::PathBuf;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    std::env::set_var("PROTOC", protoc_bin_vendored::protoc_bin_path()?);
    let out = PathBuf::from(std::env::var("OUT_DIR")?);
    tonic_build::configure()
        // Genesis JSON is `GenesisState` through serde: the params (a field left out takes
        // its default, as does a missing `params`) and the records (bytes as hex).
        .type_attribute(
            "pol.latency.v1.GenesisState",
            "#[derive(serde::Serialize, serde::Deserialize)] #[serde(default = \"crate::genesis::default_genesis\", deny_unknown_fields)]",
        )
        .type_attribute(
            "pol.latency.v1.Params",
            "#[derive(serde::Serialize, serde::Deserialize)] #[serde(default = \"crate::pb::Params::defaults\", deny_unknown_fields)]",
        )
        .type_attribute(
            "pol.latency.v1.ProviderAggregate",
            "#[derive(serde::Serialize, serde::Deserialize)] #[serde(default, deny_unknown_fields)]",
        )
        .type_attribute(
            "pol.latency.v1.ValidatorReport",
            "#[derive(serde::Serialize, serde::Deserialize)] #[serde(default, deny_unknown_fields)]",
        )
        .type_attribute(
            "pol.latency.v1.MeasurerScore",
            "#[derive(serde::Serialize, serde::Deserialize)] #[serde(default, deny_unknown_fields)]",
        )
        .type_attribute(
            "pol.latency.v1.EpochAccumulator",
            "#[derive(serde::Serialize, serde::Deserialize)] #[serde(default, deny_unknown_fields)]",
        )
        .type_attribute(
            "pol.latency.v1.ProbeReceipts",
            "#[derive(serde::Serialize, serde::Deserialize)] #[serde(default, deny_unknown_fields)]",
        )
        .type_attribute(
            "pol.latency.v1.ProbeCarrier",
            "#[derive(serde::Serialize, serde::Deserialize)] #[serde(default, deny_unknown_fields)]",
        )
        .type_attribute(
            "pol.latency.v1.GeoFrame",
            "#[derive(serde::Serialize, serde::Deserialize)] #[serde(default, deny_unknown_fields)]",
        )
        .type_attribute(
            "pol.latency.v1.LastBlock",
            "#[derive(serde::Serialize, serde::Deserialize)] #[serde(default, deny_unknown_fields)]",
        )
        .type_attribute(
            "pol.latency.v1.ServedReport",
            "#[derive(serde::Serialize, serde::Deserialize)] #[serde(default, deny_unknown_fields)]",
        )
        .type_attribute(
            "pol.latency.v1.ServedLatency",
            "#[derive(serde::Serialize, serde::Deserialize)] #[serde(default, deny_unknown_fields)]",
        )
        .type_attribute(
            "pol.latency.v1.ServedChannel",
            "#[derive(serde::Serialize, serde::Deserialize)] #[serde(default, deny_unknown_fields)]",
        )
        .type_attribute(
            "pol.latency.v1.ConsensusKey",
            "#[derive(serde::Serialize, serde::Deserialize)] #[serde(default, deny_unknown_fields)]",
        )
        .field_attribute("pol.latency.v1.ValidatorReport.validator", "#[serde(with = \"crate::genesis::hex_bytes\")]")
        .field_attribute("pol.latency.v1.MeasurerScore.validator", "#[serde(with = \"crate::genesis::hex_bytes\")]")
        .field_attribute("pol.latency.v1.ProbeReceipts.provider", "#[serde(with = \"crate::genesis::hex_bytes\")]")
        .field_attribute("pol.latency.v1.ProbeCarrier.validator", "#[serde(with = \"crate::genesis::hex_bytes\")]")
        .field_attribute("pol.latency.v1.LastBlock.hash", "#[serde(with = \"crate::genesis::hex_bytes\")]")
        .field_attribute("pol.latency.v1.ConsensusKey.address", "#[serde(with = \"crate::genesis::hex_bytes\")]")
        .field_attribute("pol.latency.v1.ConsensusKey.ed25519", "#[serde(with = \"crate::genesis::hex_bytes\")]")
        .build_server(true)
        .build_client(true)
        .file_descriptor_set_path(out.join("pol_latency_descriptor.bin"))
        .extern_path(".pol.inference.v1", "::pol_inference::pb")
        .extern_path(
            ".cosmos.base.query.v1beta1",
            "::cosmos_sdk_proto::cosmos::base::query::v1beta1",
        )
        .compile_protos_with_config(
            {
                let mut c = prost_build::Config::new();
                c.enable_type_names(); // typed events are named by `prost::Name`
                c
            },
            &[
                "proto/pol/latency/v1/latency.proto",
                "proto/pol/latency/v1/query.proto",
                "proto/pol/latency/v1/events.proto",
                "proto/pol/latency/v1/tx.proto",
                "proto/pol/latency/v1/genesis.proto",
            ],
            &["proto", "../inference/proto", "../../proto"],
        )?;
    println!("cargo:rerun-if-changed=proto");
    println!("cargo:rerun-if-changed=../inference/proto");
    Ok(())
}
