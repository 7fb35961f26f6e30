//! The ABCI socket survives garbage, truncated and oversized frames: the bad connection is
//! closed, the chain keeps producing blocks, and new connections are served.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::Duration;

use pol_tests::*;
use prost::Message;
use tendermint_proto::v0_38::abci::{request, response, Request, RequestInfo, Response};

fn info_roundtrip(addr: &str) -> Response {
    let mut s = TcpStream::connect(addr).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    let mut buf = Vec::new();
    Request {
        value: Some(request::Value::Info(RequestInfo::default())),
    }
    .encode_length_delimited(&mut buf)
    .unwrap();
    Request {
        value: Some(request::Value::Flush(Default::default())),
    }
    .encode_length_delimited(&mut buf)
    .unwrap();
    s.write_all(&buf).unwrap();
    let mut data = Vec::new();
    let mut chunk = [0u8; 4096];
    loop {
        let n = s.read(&mut chunk).unwrap();
        assert!(n > 0, "server closed a healthy connection");
        data.extend_from_slice(&chunk[..n]);
        if let Ok(resp) = Response::decode_length_delimited(data.as_slice()) {
            return resp;
        }
    }
}

/// Send `bytes` and expect the server to close the connection (read returns 0 or reset).
fn expect_closed(addr: &str, bytes: &[u8], then_hang: bool) {
    let mut s = TcpStream::connect(addr).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    s.write_all(bytes).unwrap();
    if !then_hang {
        let _ = s.shutdown(std::net::Shutdown::Write);
    }
    let mut b = [0u8; 16];
    match s.read(&mut b) {
        Ok(0) | Err(_) => {}
        Ok(n) => panic!("server answered {n} bytes to a bad frame"),
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn abci_socket_survives_bad_frames() {
    let mut node = Node::init(&ChainOptions::default()).unwrap();
    node.start_and_wait(2).await.unwrap();
    let addr = node.abci_addr();

    // Garbage body with a plausible length.
    expect_closed(&addr, &[5, 0xff, 0xff, 0xff, 0xff, 0xff], false);
    // Truncated: length says 100, 3 bytes follow, then EOF.
    expect_closed(&addr, &[100, 1, 2, 3], false);
    // Oversized: a 1 TiB length prefix is refused without waiting for the body.
    let mut big = Vec::new();
    prost::encoding::encode_varint(1 << 40, &mut big);
    expect_closed(&addr, &big, true);
    // A varint that never ends.
    expect_closed(&addr, &[0xff; 32], true);
    // A valid frame holding an empty Request (no value): stock servers panic on it.
    expect_closed(&addr, &[0], true);

    // Still serving: a fresh connection answers Info, and blocks keep coming.
    let resp = info_roundtrip(&addr);
    match resp.value {
        Some(response::Value::Info(i)) => assert!(i.last_block_height >= 2),
        other => panic!("unexpected response {other:?}"),
    }
    let h = node.rpc.latest_height().await.unwrap();
    node.wait_for_height(h + 3, Duration::from_secs(30))
        .await
        .unwrap();
    assert!(node.pid().is_some());
}
