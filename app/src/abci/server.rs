//! The ABCI socket server.
//!
//! tendermint-abci's stock server unwraps decoding errors and buffers frames without bound,
//! so a stray client sending garbage would panic a thread or exhaust memory. This server
//! reads each length-prefixed frame with a size cap, and on anything malformed logs it and
//! closes that one connection; the other connections (CometBFT's four) keep being served.
//! Requests are dispatched to an [`tendermint_abci::Application`] without unwrapping.

use std::io::{self, BufReader, BufWriter, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use prost::Message;
use tendermint_abci::Application;
use tendermint_proto::v0_38::abci::{request, response, Request, Response, ResponseException};

/// Largest request frame accepted. CometBFT's largest requests carry a whole block
/// (default max 21 MB) in PrepareProposal/ProcessProposal/FinalizeBlock.
pub const DEFAULT_MAX_FRAME: usize = 64 << 20;

#[derive(Debug, thiserror::Error)]
pub enum FrameError {
    #[error("connection closed")]
    Closed,
    #[error("i/o: {0}")]
    Io(#[from] io::Error),
    #[error("malformed length prefix")]
    BadLength,
    #[error("frame of {0} bytes exceeds the limit of {1}")]
    TooLarge(u64, usize),
    #[error("frame does not decode as an ABCI request: {0}")]
    Decode(#[from] prost::DecodeError),
    #[error("request carries no value")]
    Empty,
}

/// Read one varint-length-prefixed request.
pub fn read_request(r: &mut impl Read, max_frame: usize) -> Result<Request, FrameError> {
    let mut len: u64 = 0;
    let mut shift = 0u32;
    loop {
        let mut b = [0u8; 1];
        match r.read(&mut b) {
            Ok(0) if shift == 0 => return Err(FrameError::Closed),
            Ok(0) => return Err(FrameError::Io(io::ErrorKind::UnexpectedEof.into())),
            Ok(_) => {}
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e.into()),
        }
        if shift >= 63 {
            return Err(FrameError::BadLength);
        }
        len |= u64::from(b[0] & 0x7f) << shift;
        if b[0] & 0x80 == 0 {
            break;
        }
        shift += 7;
    }
    if len > max_frame as u64 {
        return Err(FrameError::TooLarge(len, max_frame));
    }
    let mut buf = vec![0u8; len as usize];
    r.read_exact(&mut buf)?;
    let req = Request::decode(buf.as_slice())?;
    if req.value.is_none() {
        return Err(FrameError::Empty);
    }
    Ok(req)
}

pub fn write_response(w: &mut impl Write, resp: &Response) -> io::Result<()> {
    let mut buf = Vec::with_capacity(resp.encoded_len() + 10);
    resp.encode_length_delimited(&mut buf)
        .map_err(|e| io::Error::new(io::ErrorKind::InvalidData, e))?;
    w.write_all(&buf)
}

/// Dispatch one request. Never panics: an absent value becomes an exception response.
pub fn dispatch<A: Application>(app: &A, req: Request) -> Response {
    use request::Value as Q;
    use response::Value as R;
    let value = match req.value {
        None => R::Exception(ResponseException {
            error: "empty request".into(),
        }),
        Some(Q::Echo(r)) => R::Echo(app.echo(r)),
        Some(Q::Flush(_)) => R::Flush(app.flush()),
        Some(Q::Info(r)) => R::Info(app.info(r)),
        Some(Q::InitChain(r)) => R::InitChain(app.init_chain(r)),
        Some(Q::Query(r)) => R::Query(app.query(r)),
        Some(Q::CheckTx(r)) => R::CheckTx(app.check_tx(r)),
        Some(Q::Commit(_)) => R::Commit(app.commit()),
        Some(Q::ListSnapshots(_)) => R::ListSnapshots(app.list_snapshots()),
        Some(Q::OfferSnapshot(r)) => R::OfferSnapshot(app.offer_snapshot(r)),
        Some(Q::LoadSnapshotChunk(r)) => R::LoadSnapshotChunk(app.load_snapshot_chunk(r)),
        Some(Q::ApplySnapshotChunk(r)) => R::ApplySnapshotChunk(app.apply_snapshot_chunk(r)),
        Some(Q::PrepareProposal(r)) => R::PrepareProposal(app.prepare_proposal(r)),
        Some(Q::ProcessProposal(r)) => R::ProcessProposal(app.process_proposal(r)),
        Some(Q::ExtendVote(r)) => R::ExtendVote(app.extend_vote(r)),
        Some(Q::VerifyVoteExtension(r)) => R::VerifyVoteExtension(app.verify_vote_extension(r)),
        Some(Q::FinalizeBlock(r)) => R::FinalizeBlock(app.finalize_block(r)),
    };
    Response { value: Some(value) }
}

/// A running ABCI server; dropping the handle does not stop it, `shutdown` does.
pub struct AbciServer {
    pub local_addr: SocketAddr,
    stop: Arc<AtomicBool>,
}

impl AbciServer {
    /// Bind and serve in background threads, one per connection (CometBFT opens four).
    pub fn spawn<A: Application>(app: A, addr: &str, max_frame: usize) -> io::Result<AbciServer> {
        let listener = TcpListener::bind(addr)?;
        let local_addr = listener.local_addr()?;
        let stop = Arc::new(AtomicBool::new(false));
        let stop_accept = stop.clone();
        std::thread::Builder::new()
            .name("abci-accept".into())
            .spawn(move || {
                for conn in listener.incoming() {
                    if stop_accept.load(Ordering::SeqCst) {
                        break;
                    }
                    match conn {
                        Ok(stream) => {
                            let app = app.clone();
                            let peer = stream.peer_addr().ok();
                            let _ = std::thread::Builder::new().name("abci-conn".into()).spawn(
                                move || {
                                    serve_connection(app, stream, max_frame, peer);
                                },
                            );
                        }
                        Err(e) => {
                            tracing::warn!(error = %e, "abci: accept failed");
                            std::thread::sleep(Duration::from_millis(50));
                        }
                    }
                }
            })?;
        tracing::info!(%local_addr, "ABCI server listening");
        Ok(AbciServer { local_addr, stop })
    }

    pub fn shutdown(&self) {
        self.stop.store(true, Ordering::SeqCst);
        // Wake the accept loop.
        let _ = TcpStream::connect_timeout(&self.local_addr, Duration::from_millis(200));
    }
}

fn serve_connection<A: Application>(
    app: A,
    stream: TcpStream,
    max_frame: usize,
    peer: Option<SocketAddr>,
) {
    let _ = stream.set_nodelay(true);
    let Ok(read_half) = stream.try_clone() else {
        return;
    };
    let mut reader = BufReader::with_capacity(1 << 16, read_half);
    let mut writer = BufWriter::with_capacity(1 << 16, stream);
    loop {
        let req = match read_request(&mut reader, max_frame) {
            Ok(r) => r,
            Err(FrameError::Closed) => return,
            Err(e) => {
                tracing::warn!(?peer, error = %e, "abci: closing connection on a bad frame");
                return;
            }
        };
        let is_flush = matches!(req.value, Some(request::Value::Flush(_)));
        let resp = dispatch(&app, req);
        if write_response(&mut writer, &resp).is_err() {
            return;
        }
        // CometBFT sends Flush after each batch of requests and waits for its reply.
        if is_flush && writer.flush().is_err() {
            return;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn frames_roundtrip_and_reject_garbage() {
        let req = Request {
            value: Some(request::Value::Echo(
                tendermint_proto::v0_38::abci::RequestEcho {
                    message: "hi".into(),
                },
            )),
        };
        let mut buf = Vec::new();
        req.encode_length_delimited(&mut buf).unwrap();
        assert_eq!(read_request(&mut buf.as_slice(), 1024).unwrap(), req);
        // Truncated body.
        assert!(matches!(
            read_request(&mut &buf[..buf.len() - 1], 1024),
            Err(FrameError::Io(_))
        ));
        // Oversized length prefix is refused before allocating.
        let mut big = Vec::new();
        prost::encoding::encode_varint(1 << 40, &mut big);
        assert!(matches!(
            read_request(&mut big.as_slice(), 1024),
            Err(FrameError::TooLarge(..))
        ));
        // Endless varint.
        assert!(matches!(
            read_request(&mut [0xffu8; 20].as_slice(), 1024),
            Err(FrameError::BadLength)
        ));
        // Garbage body.
        assert!(matches!(
            read_request(&mut [3u8, 0xff, 0xff, 0xff].as_slice(), 1024),
            Err(FrameError::Decode(_))
        ));
        // A request with no value.
        assert!(matches!(
            read_request(&mut [0u8].as_slice(), 1024),
            Err(FrameError::Empty)
        ));
        assert!(matches!(
            read_request(&mut [].as_slice(), 1024),
            Err(FrameError::Closed)
        ));
    }
}
