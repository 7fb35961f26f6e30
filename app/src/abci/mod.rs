//! The socket between CometBFT and pold.
pub mod server;
