//! Compiles `proto/` (package `pol.sla.v1`) with tonic-build; the Cosmos pagination types it
//! imports come from the workspace's shared `proto/` root.

use std::path::PathBuf;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    std::env::set_var("PROTOC", protoc_bin_vendored::protoc_bin_path()?);
    let out = PathBuf::from(std::env::var("OUT_DIR")?);
    let files = [
        "proto/pol/sla/v1/sla.proto",
        "proto/pol/sla/v1/query.proto",
        "proto/pol/sla/v1/events.proto",
        "proto/pol/sla/v1/tx.proto",
        "proto/pol/sla/v1/genesis.proto",
    ];
    // Genesis JSON is `GenesisState` through serde: the records, the params (a field left
    // out takes its default, as does a missing `params`) and the genesis itself.
    let mut config = tonic_build::configure()
        .type_attribute(
            "pol.sla.v1.GenesisState",
            "#[derive(serde::Serialize, serde::Deserialize)] #[serde(default = \"crate::genesis::default_genesis\", deny_unknown_fields)]",
        )
        .type_attribute(
            "pol.sla.v1.Params",
            "#[derive(serde::Serialize, serde::Deserialize)] #[serde(default = \"crate::params::Params::defaults\", deny_unknown_fields)]",
        );
    for record in ["SlaViolation", "ProviderRecord"] {
        config = config.type_attribute(
            format!("pol.sla.v1.{record}"),
            "#[derive(serde::Serialize, serde::Deserialize)] #[serde(default, deny_unknown_fields)]",
        );
    }
    config
        .build_server(true)
        .build_client(true)
        .file_descriptor_set_path(out.join("pol_sla_descriptor.bin"))
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
            &files,
            &["proto", "../../proto"],
        )?;
    println!("cargo:rerun-if-changed=proto");
    println!("cargo:rerun-if-changed=../../proto/cosmos/base");
    Ok(())
}
