//! [`TxSender`]: one account's transactions, signed at the right sequence, broadcast, and
//! followed into their block.

use std::time::Duration;

use cosmos_sdk_proto::cosmos::base::v1beta1::Coin as ProtoCoin;
use pol_component::{Address, GasPrice};
use tendermint_proto::google::protobuf::Any;
use tokio::sync::Mutex;

use crate::{sign_tx, BroadcastResult, Chain, ClientError, SignerKey, TxResult};

/// Cosmos `sdk` code of a wrong account sequence.
pub const WRONG_SEQUENCE: u32 = 32;
/// How long [`TxSender::send`] waits for a tx to land in a block unless told otherwise.
pub const DEFAULT_INCLUSION_TIMEOUT: Duration = Duration::from_secs(60);
const POLL: Duration = Duration::from_millis(200);

/// What a tx pays and carries besides its messages.
#[derive(Clone, Debug)]
pub struct TxOptions {
    pub gas: u64,
    /// The fee; `None` pays `gas × ` the sender's gas price, rounded up.
    pub fees: Option<Vec<ProtoCoin>>,
    pub memo: String,
    /// Sign at this sequence instead of the account's (to pre-sign or replay on purpose);
    /// the tracked sequence then does not move.
    pub sequence: Option<u64>,
}

impl TxOptions {
    pub fn gas(gas: u64) -> Self {
        TxOptions {
            gas,
            fees: None,
            memo: String::new(),
            sequence: None,
        }
    }
}

/// The fee that pays for `gas` at `price` (no coin at all when it is zero).
pub fn fee_coins(price: &GasPrice, gas: u64) -> Result<Vec<ProtoCoin>, ClientError> {
    let amount = price
        .fee_for(gas)
        .ok_or_else(|| ClientError::Fee(format!("{gas} gas at {price} overflows")))?;
    Ok(if amount == 0 {
        Vec::new()
    } else {
        vec![ProtoCoin {
            denom: price.denom.clone(),
            amount: amount.to_string(),
        }]
    })
}

/// Signs and sends one account's transactions, one at a time: it owns the sequence, so
/// several tasks can share it (behind an `Arc`) without signing twice at one sequence.
pub struct TxSender<C> {
    chain: C,
    key: SignerKey,
    chain_id: String,
    gas_price: GasPrice,
    inclusion_timeout: Duration,
    /// (account number, next sequence) once known.
    account: Mutex<Option<(u64, u64)>>,
}

impl<C: Chain> TxSender<C> {
    pub fn new(chain: C, key: SignerKey, chain_id: impl Into<String>, gas_price: GasPrice) -> Self {
        TxSender {
            chain,
            key,
            chain_id: chain_id.into(),
            gas_price,
            inclusion_timeout: DEFAULT_INCLUSION_TIMEOUT,
            account: Mutex::new(None),
        }
    }

    pub fn with_inclusion_timeout(mut self, timeout: Duration) -> Self {
        self.inclusion_timeout = timeout;
        self
    }

    pub fn address(&self) -> Address {
        self.key.address()
    }

    pub fn chain(&self) -> &C {
        &self.chain
    }

    pub fn chain_id(&self) -> &str {
        &self.chain_id
    }

    /// Sign `messages` and pass them through CheckTx. A refusal comes back as a result
    /// with its code. A wrong sequence (another client of the account, or our txs from
    /// before a restart still in the mempool) is tried once more at the sequence the node
    /// expects, which it names in its refusal (the committed account lags the mempool).
    pub async fn broadcast(
        &self,
        messages: Vec<Any>,
        opts: &TxOptions,
    ) -> Result<BroadcastResult, ClientError> {
        let fee = match &opts.fees {
            Some(f) => f.clone(),
            None => fee_coins(&self.gas_price, opts.gas)?,
        };
        let mut account = self.account.lock().await;
        let mut retried = false;
        loop {
            let (number, next) = match *account {
                Some(a) => a,
                None => {
                    let acc = self.chain.account(&self.address()).await?;
                    (acc.account_number, acc.sequence)
                }
            };
            let sequence = opts.sequence.unwrap_or(next);
            let tx = sign_tx(
                &self.key,
                messages.clone(),
                &opts.memo,
                fee.clone(),
                opts.gas,
                &self.chain_id,
                number,
                sequence,
            );
            let r = self.chain.broadcast_sync(&tx).await?;
            let wrong_sequence = r.code == WRONG_SEQUENCE && r.codespace == "sdk";
            *account = if r.code == 0 && opts.sequence.is_none() {
                Some((number, sequence + 1))
            } else if !wrong_sequence {
                // Accepted at a sequence the caller chose, or refused for another reason:
                // the tracked sequence stands.
                Some((number, next))
            } else {
                // The node's expectation if it said it, else the chain's account again.
                expected_sequence(&r.log).map(|n| (number, n))
            };
            if wrong_sequence && !retried && opts.sequence.is_none() {
                retried = true;
                continue;
            }
            return Ok(r);
        }
    }

    /// Wait for the tx with this hash to be committed. Errors while polling (a node still
    /// catching up) are retried until the timeout.
    pub async fn wait(&self, hash: &str) -> Result<TxResult, ClientError> {
        wait_for(&self.chain, hash, self.inclusion_timeout).await
    }

    /// [`broadcast`](Self::broadcast), then [`wait`](Self::wait); a CheckTx refusal is
    /// [`ClientError::Rejected`]. The committed result may still carry a failure code.
    pub async fn send(
        &self,
        messages: Vec<Any>,
        opts: &TxOptions,
    ) -> Result<TxResult, ClientError> {
        let r = self.broadcast(messages, opts).await?;
        if r.code != 0 {
            return Err(ClientError::Rejected {
                code: r.code,
                codespace: r.codespace,
                log: r.log,
            });
        }
        self.wait(&r.hash).await
    }
}

/// The sequence a wrong-sequence refusal says the node expects (the SDK's wording:
/// `account sequence mismatch, expected 7, got 5`).
fn expected_sequence(log: &str) -> Option<u64> {
    let rest = &log[log.find("expected ")? + "expected ".len()..];
    let digits: String = rest.chars().take_while(char::is_ascii_digit).collect();
    digits.parse().ok()
}

/// Poll `chain` until the tx with `hash` is committed or `timeout` passes.
pub async fn wait_for<C: Chain>(
    chain: &C,
    hash: &str,
    timeout: Duration,
) -> Result<TxResult, ClientError> {
    let deadline = tokio::time::Instant::now() + timeout;
    let mut last = None;
    loop {
        match chain.committed(hash).await {
            Ok(Some(r)) => return Ok(r),
            Ok(None) => {}
            Err(e) => last = Some(e.to_string()),
        }
        if tokio::time::Instant::now() > deadline {
            return Err(ClientError::NotIncluded {
                hash: hash.to_string(),
                secs: timeout.as_secs(),
                last,
            });
        }
        tokio::time::sleep(POLL).await;
    }
}

#[cfg(test)]
mod tests;
