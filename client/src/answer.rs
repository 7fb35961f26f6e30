//! Checking a worker's answer, as a requester's client and a validator's probe both do:
//! the logits have the model's output width, the class is their first largest index, and
//! the receipt is signed by the provider's registered key over exactly what was asked,
//! answered and paid.

use pol_inference::pb::Receipt;
use pol_inference::receipt::{hash_input, hash_output, ReceiptError, SignedReceipt};

/// What was asked, of whom, and paid.
#[derive(Clone, Debug)]
pub struct Expected<'a> {
    pub chain_id: &'a str,
    pub provider: [u8; 20],
    /// The receipt key registered on chain for this provider.
    pub receipt_pubkey: [u8; 32],
    pub model_id: &'a str,
    pub nonce: u64,
    pub input: &'a [i8],
    /// Width of the model's last layer.
    pub output_len: usize,
    /// The payment sent (channel id, cumulative amount): the receipt must commit to it.
    pub payment: Option<(u64, u128)>,
}

/// Why an answer is not accepted (a probe counts it as the provider's failure).
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum AnswerError {
    #[error("no answer within the timeout")]
    Timeout,
    #[error("gRPC error {0:?}: {1}")]
    Rpc(tonic::Code, String),
    #[error("{got} logits, the model has {want} outputs")]
    LogitsLength { got: usize, want: usize },
    #[error("class {got} is not the first largest logit {want}")]
    Class { got: u32, want: u32 },
    #[error("answer without a receipt")]
    MissingReceipt,
    #[error("malformed receipt: {0}")]
    Malformed(ReceiptError),
    #[error("receipt signed by a key other than the registered one")]
    WrongKey,
    #[error("receipt signature does not verify")]
    BadSignature,
    #[error("receipt {field} is {got:?}, expected {want:?}")]
    Mismatch {
        field: &'static str,
        got: String,
        want: String,
    },
}

impl AnswerError {
    /// A short label for metrics.
    pub fn reason(&self) -> &'static str {
        match self {
            AnswerError::Timeout => "timeout",
            AnswerError::Rpc(..) => "rpc",
            AnswerError::LogitsLength { .. } | AnswerError::Class { .. } => "bad_output",
            AnswerError::MissingReceipt | AnswerError::Malformed(_) => "malformed_receipt",
            AnswerError::WrongKey | AnswerError::BadSignature => "bad_signature",
            AnswerError::Mismatch { .. } => "receipt_mismatch",
        }
    }
}

fn mismatch(
    field: &'static str,
    got: impl std::fmt::Debug,
    want: impl std::fmt::Debug,
) -> AnswerError {
    AnswerError::Mismatch {
        field,
        got: format!("{got:?}"),
        want: format!("{want:?}"),
    }
}

/// Checks an `Infer` answer against what was asked; returns the receipt to keep.
pub fn check_answer(
    want: &Expected<'_>,
    logits: &[i32],
    class: u32,
    receipt: Option<Receipt>,
) -> Result<Receipt, AnswerError> {
    if logits.len() != want.output_len {
        return Err(AnswerError::LogitsLength {
            got: logits.len(),
            want: want.output_len,
        });
    }
    let argmax = first_argmax(logits);
    if class != argmax {
        return Err(AnswerError::Class {
            got: class,
            want: argmax,
        });
    }
    let proto = receipt.ok_or(AnswerError::MissingReceipt)?;
    let r = SignedReceipt::from_proto(&proto).map_err(AnswerError::Malformed)?;
    // The registered key, not the one the receipt names: a worker cannot pick its own.
    if r.worker_pubkey != want.receipt_pubkey {
        return Err(AnswerError::WrongKey);
    }
    r.verify().map_err(|e| match e {
        ReceiptError::BadSignature | ReceiptError::PublicKey => AnswerError::BadSignature,
        other => AnswerError::Malformed(other),
    })?;
    let b = &r.body;
    if b.chain_id != want.chain_id {
        return Err(mismatch("chain_id", &b.chain_id, want.chain_id));
    }
    if b.provider != want.provider {
        return Err(mismatch(
            "provider",
            pol_inference::receipt::format_address(&b.provider),
            pol_inference::receipt::format_address(&want.provider),
        ));
    }
    if b.model_id != want.model_id {
        return Err(mismatch("model_id", &b.model_id, want.model_id));
    }
    if b.nonce != want.nonce {
        return Err(mismatch("nonce", b.nonce, want.nonce));
    }
    if b.input_hash != hash_input(want.input) {
        return Err(mismatch(
            "input_hash",
            hex::encode(b.input_hash),
            hex::encode(hash_input(want.input)),
        ));
    }
    if b.output_hash != hash_output(logits) {
        return Err(mismatch(
            "output_hash",
            hex::encode(b.output_hash),
            hex::encode(hash_output(logits)),
        ));
    }
    if let Some((channel, amount)) = want.payment {
        if (b.payment.channel_id, b.payment.amount) != (channel, amount) {
            return Err(mismatch(
                "payment",
                (b.payment.channel_id, b.payment.amount),
                (channel, amount),
            ));
        }
    }
    Ok(proto)
}

/// Index of the first largest logit (the model's class).
fn first_argmax(logits: &[i32]) -> u32 {
    let mut best = 0usize;
    for (i, &v) in logits.iter().enumerate() {
        if v > logits[best] {
            best = i;
        }
    }
    best as u32
}

#[cfg(test)]
mod tests {
    use super::*;
    use ed25519_dalek::SigningKey;
    use pol_inference::receipt::ReceiptBody;

    const CHAIN: &str = "pol-test-1";
    const MODEL: &str = "digits-64-32-10";
    const PROVIDER: [u8; 20] = [9; 20];
    const INPUT: [i8; 4] = [0, 3, 16, 7];
    const LOGITS: [i32; 3] = [5, -2, 40];

    fn key() -> SigningKey {
        SigningKey::from_bytes(&[42; 32])
    }

    fn expected() -> Expected<'static> {
        Expected {
            chain_id: CHAIN,
            provider: PROVIDER,
            receipt_pubkey: key().verifying_key().to_bytes(),
            model_id: MODEL,
            nonce: 77,
            input: &INPUT,
            output_len: LOGITS.len(),
            payment: None,
        }
    }

    /// A receipt as an honest worker makes it, after `tweak` changes its body.
    fn signed(tweak: impl FnOnce(&mut ReceiptBody), key: &SigningKey) -> Receipt {
        let mut body = ReceiptBody::new(CHAIN, PROVIDER, MODEL, &INPUT, &LOGITS, 77, 1_000);
        tweak(&mut body);
        body.sign(key).unwrap().to_proto()
    }

    fn check(receipt: Receipt) -> Result<Receipt, AnswerError> {
        check_answer(&expected(), &LOGITS, 2, Some(receipt))
    }

    #[test]
    fn an_honest_answer_verifies() {
        let r = signed(|_| {}, &key());
        assert_eq!(check(r.clone()), Ok(r));
    }

    #[test]
    fn bad_signature_fails() {
        let mut r = signed(|_| {}, &key());
        r.signature[0] ^= 1;
        assert_eq!(check(r), Err(AnswerError::BadSignature));
        // A body changed after signing.
        let mut r = signed(|_| {}, &key());
        r.worker_time_ms += 1;
        assert_eq!(check(r), Err(AnswerError::BadSignature));
    }

    #[test]
    fn a_key_other_than_the_registered_one_fails() {
        let other = SigningKey::from_bytes(&[43; 32]);
        assert_eq!(check(signed(|_| {}, &other)), Err(AnswerError::WrongKey));
    }

    #[test]
    fn validly_signed_receipts_for_something_else_fail() {
        let field = |r: Result<Receipt, AnswerError>| match r {
            Err(AnswerError::Mismatch { field, .. }) => field,
            other => panic!("expected a mismatch, got {other:?}"),
        };
        let k = key();
        assert_eq!(field(check(signed(|b| b.nonce = 78, &k))), "nonce");
        assert_eq!(
            field(check(signed(|b| b.chain_id = "other-1".into(), &k))),
            "chain_id"
        );
        assert_eq!(
            field(check(signed(|b| b.provider = [8; 20], &k))),
            "provider"
        );
        assert_eq!(
            field(check(signed(|b| b.model_id = "m2".into(), &k))),
            "model_id"
        );
        assert_eq!(
            field(check(signed(|b| b.input_hash = hash_input(&[1]), &k))),
            "input_hash"
        );
        assert_eq!(
            field(check(signed(
                |b| b.output_hash = hash_output(&[5, -2, 41]),
                &k
            ))),
            "output_hash"
        );
    }

    #[test]
    fn wrong_outputs_and_missing_receipts_fail() {
        let r = signed(|_| {}, &key());
        assert_eq!(
            check_answer(&expected(), &LOGITS[..2], 0, Some(r.clone())),
            Err(AnswerError::LogitsLength { got: 2, want: 3 })
        );
        assert_eq!(
            check_answer(&expected(), &LOGITS, 0, Some(r.clone())),
            Err(AnswerError::Class { got: 0, want: 2 })
        );
        // Logits that differ from what the receipt commits to.
        assert!(matches!(
            check_answer(&expected(), &[5, -2, 41], 2, Some(r.clone())),
            Err(AnswerError::Mismatch {
                field: "output_hash",
                ..
            })
        ));
        assert_eq!(
            check_answer(&expected(), &LOGITS, 2, None),
            Err(AnswerError::MissingReceipt)
        );
        let mut short = r;
        short.signature.pop();
        assert!(matches!(check(short), Err(AnswerError::Malformed(_))));
    }

    #[test]
    fn first_argmax_takes_the_first_of_ties() {
        assert_eq!(first_argmax(&[1, 3, 3]), 1);
        assert_eq!(first_argmax(&[-5]), 0);
        assert_eq!(first_argmax(&[]), 0);
    }
}
