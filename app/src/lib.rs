//! pol-app: the `pold` node — ABCI application, transaction pipeline, queries, CLI.

pub mod abci;
pub mod app;
pub mod config;
pub mod consensus_params;
pub mod export;
pub mod gentx;
pub mod grpc;
pub mod modules;
pub mod node;
pub mod probe;
pub mod query;
pub mod services;
pub mod tx;
pub mod upgrades;
