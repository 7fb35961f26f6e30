//! The `pol.worker.v1` API (`inference/proto/pol/worker/v1/worker.proto`), client and server,
//! generated once: pol-worker serves it, pold's probes and requesters call it.

tonic::include_proto!("pol.worker.v1");

/// Encoded file descriptor set for gRPC reflection.
pub const FILE_DESCRIPTOR_SET: &[u8] =
    tonic::include_file_descriptor_set!("pol_worker_v1_descriptor");
