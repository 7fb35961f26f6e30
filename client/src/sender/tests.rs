//! The sender against an in-memory chain that checks signatures and sequences the way the
//! ante handler does.

use std::sync::Mutex as StdMutex;
use std::time::Duration;

use cosmos_sdk_proto::cosmos::auth::v1beta1::BaseAccount;
use cosmos_sdk_proto::cosmos::tx::v1beta1::{AuthInfo, SignDoc, TxRaw};
use pol_component::Address;
use prost::Message;

use super::*;

const CHAIN_ID: &str = "pol-test-1";

#[derive(Default)]
struct Ledger {
    number: u64,
    /// The account's next sequence on chain.
    sequence: u64,
    account_reads: u32,
    broadcasts: u32,
    /// Sequences the chain accepted, in order.
    accepted: Vec<u64>,
    /// Refuse a wrong sequence without naming the expected one.
    terse: bool,
    /// Refuse everything with this code (after the sequence check).
    refuse: Option<u32>,
    /// Our txs accepted into the mempool but not yet committed: the account as queried
    /// lags the sequence CheckTx expects by this much.
    pending: u64,
    /// Hashes the chain will report as committed.
    committed: Vec<String>,
}

struct FakeChain(StdMutex<Ledger>);

impl FakeChain {
    fn new(number: u64, sequence: u64) -> Self {
        FakeChain(StdMutex::new(Ledger {
            number,
            sequence,
            ..Default::default()
        }))
    }
    fn ledger(&self) -> std::sync::MutexGuard<'_, Ledger> {
        self.0.lock().unwrap()
    }
}

impl Chain for FakeChain {
    async fn account(&self, address: &Address) -> Result<BaseAccount, ClientError> {
        let mut l = self.ledger();
        l.account_reads += 1;
        Ok(BaseAccount {
            address: address.to_string(),
            pub_key: None,
            account_number: l.number,
            sequence: l.sequence - l.pending,
        })
    }

    async fn broadcast_sync(&self, tx: &[u8]) -> Result<BroadcastResult, ClientError> {
        let mut l = self.ledger();
        l.broadcasts += 1;
        let raw = TxRaw::decode(tx).unwrap();
        let auth = AuthInfo::decode(raw.auth_info_bytes.as_slice()).unwrap();
        let signer = &auth.signer_infos[0];
        let pk = cosmos_sdk_proto::cosmos::crypto::secp256k1::PubKey::decode(
            signer.public_key.as_ref().unwrap().value.as_slice(),
        )
        .unwrap();
        let doc = SignDoc {
            body_bytes: raw.body_bytes.clone(),
            auth_info_bytes: raw.auth_info_bytes.clone(),
            chain_id: CHAIN_ID.into(),
            account_number: l.number,
        };
        let hash = hex::encode_upper(tx);
        let refuse = |code: u32, log: String| BroadcastResult {
            code,
            codespace: "sdk".into(),
            log,
            hash: hash.clone(),
        };
        if pol_auth::verify_secp256k1(&pk.key, &doc.encode_to_vec(), &raw.signatures[0]).is_err() {
            return Ok(refuse(4, "signature verification failed".into()));
        }
        if signer.sequence != l.sequence {
            let log = if l.terse {
                "wrong sequence".to_string()
            } else {
                format!(
                    "account sequence mismatch, expected {}, got {}",
                    l.sequence, signer.sequence
                )
            };
            return Ok(refuse(WRONG_SEQUENCE, log));
        }
        if let Some(code) = l.refuse {
            return Ok(refuse(code, "refused".into()));
        }
        l.accepted.push(signer.sequence);
        l.sequence += 1;
        Ok(refuse(0, String::new()))
    }

    async fn committed(&self, hash: &str) -> Result<Option<TxResult>, ClientError> {
        let l = self.ledger();
        Ok(l.committed.iter().any(|h| h == hash).then(|| TxResult {
            height: 7,
            code: 0,
            codespace: String::new(),
            log: String::new(),
            gas_used: 1,
            data: Vec::new(),
        }))
    }
}

fn sender(chain: FakeChain) -> TxSender<FakeChain> {
    TxSender::new(
        chain,
        SignerKey::random(),
        CHAIN_ID,
        "0.025upol".parse().unwrap(),
    )
    .with_inclusion_timeout(Duration::from_millis(300))
}

fn msg() -> Vec<Any> {
    vec![crate::any("/test.Msg", &BaseAccount::default())]
}

#[tokio::test]
async fn sequence_is_read_once_then_tracked() {
    let s = sender(FakeChain::new(4, 9));
    for _ in 0..3 {
        let r = s.broadcast(msg(), &TxOptions::gas(100_000)).await.unwrap();
        assert_eq!(r.code, 0, "{}", r.log);
    }
    let l = s.chain().ledger();
    assert_eq!(l.accepted, vec![9, 10, 11]);
    assert_eq!(
        l.account_reads, 1,
        "the sequence is tracked, not read per tx"
    );
}

#[tokio::test]
async fn a_sequence_moved_elsewhere_is_retried_once_at_the_one_the_node_expects() {
    let s = sender(FakeChain::new(4, 0));
    assert_eq!(
        s.broadcast(msg(), &TxOptions::gas(1)).await.unwrap().code,
        0
    );
    // Another client (or our previous life) used sequences 1 and 2.
    s.chain().ledger().sequence = 3;
    let r = s.broadcast(msg(), &TxOptions::gas(1)).await.unwrap();
    assert_eq!(r.code, 0, "{}", r.log);
    {
        let l = s.chain().ledger();
        assert_eq!(l.accepted, vec![0, 3]);
        assert_eq!((l.account_reads, l.broadcasts), (1, 3));
    }
    // A node that does not say which sequence it expects: the account is read again.
    s.chain().ledger().terse = true;
    s.chain().ledger().sequence = 6;
    assert_eq!(
        s.broadcast(msg(), &TxOptions::gas(1)).await.unwrap().code,
        0
    );
    let l = s.chain().ledger();
    assert_eq!(l.accepted, vec![0, 3, 6]);
    assert_eq!((l.account_reads, l.broadcasts), (2, 5));
}

#[tokio::test]
async fn other_refusals_come_back_with_their_code_and_keep_the_sequence() {
    let s = sender(FakeChain::new(1, 5));
    s.chain().ledger().refuse = Some(5);
    let r = s.broadcast(msg(), &TxOptions::gas(1)).await.unwrap();
    assert_eq!(r.code, 5);
    assert_eq!(
        s.chain().ledger().broadcasts,
        1,
        "only a wrong sequence is retried"
    );
    match s.send(msg(), &TxOptions::gas(1)).await {
        Err(ClientError::Rejected { code: 5, .. }) => {}
        other => panic!("want Rejected(5), got {other:?}"),
    }
    s.chain().ledger().refuse = None;
    assert_eq!(
        s.broadcast(msg(), &TxOptions::gas(1)).await.unwrap().code,
        0
    );
    let l = s.chain().ledger();
    assert_eq!(l.accepted, vec![5]);
    assert_eq!(
        l.account_reads, 1,
        "a refused tx used no sequence: nothing to read again"
    );
}

#[tokio::test]
async fn a_restart_with_txs_still_in_the_mempool_signs_at_the_sequence_the_node_expects() {
    // Our previous life left sequences 3 and 4 in the mempool: the committed account says
    // 3, CheckTx expects 5.
    let chain = FakeChain::new(1, 5);
    chain.ledger().pending = 2;
    let s = sender(chain);
    let r = s.broadcast(msg(), &TxOptions::gas(1)).await.unwrap();
    assert_eq!(r.code, 0, "{}", r.log);
    let l = s.chain().ledger();
    assert_eq!(l.accepted, vec![5]);
    assert_eq!((l.account_reads, l.broadcasts), (1, 2));
}

#[tokio::test]
async fn a_wrong_sequence_twice_is_reported_not_looped_on() {
    let s = sender(FakeChain::new(1, 5));
    let pinned = TxOptions {
        sequence: Some(2),
        ..TxOptions::gas(1)
    };
    // An explicit sequence is the caller's choice: no retry at another one.
    let r = s.broadcast(msg(), &pinned).await.unwrap();
    assert_eq!(r.code, WRONG_SEQUENCE);
    assert_eq!(s.chain().ledger().broadcasts, 1);
    // An explicit sequence that is right does not move the tracked one.
    let at5 = TxOptions {
        sequence: Some(5),
        ..TxOptions::gas(1)
    };
    assert_eq!(s.broadcast(msg(), &at5).await.unwrap().code, 0);
    s.chain().ledger().sequence = 5; // as if that tx never landed
    assert_eq!(
        s.broadcast(msg(), &TxOptions::gas(1)).await.unwrap().code,
        0
    );
    assert_eq!(s.chain().ledger().accepted, vec![5, 5]);
}

#[tokio::test]
async fn send_waits_for_the_block_and_times_out_clearly() {
    let s = sender(FakeChain::new(1, 0));
    let r = s.broadcast(msg(), &TxOptions::gas(1)).await.unwrap();
    s.chain().ledger().committed.push(r.hash.clone());
    assert_eq!(s.wait(&r.hash).await.unwrap().height, 7);
    match s.send(msg(), &TxOptions::gas(1)).await {
        Err(ClientError::NotIncluded { hash, .. }) => assert_ne!(hash, r.hash),
        other => panic!("want NotIncluded, got {other:?}"),
    }
}

#[test]
fn fees_round_up_and_zero_is_no_coin() {
    let p: GasPrice = "0.025upol".parse().unwrap();
    let f = fee_coins(&p, 200_001).unwrap();
    assert_eq!(
        (f[0].denom.as_str(), f[0].amount.as_str()),
        ("upol", "5001")
    );
    assert!(fee_coins(&"0upol".parse().unwrap(), 1_000_000)
        .unwrap()
        .is_empty());
    let huge: GasPrice = "1000000000000000000upol".parse().unwrap();
    assert!(matches!(
        fee_coins(&huge, u64::MAX),
        Err(ClientError::Fee(_))
    ));
}
