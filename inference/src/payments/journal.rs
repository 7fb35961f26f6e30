//! The worker's payment journal: every best payment is appended (one `write` under a lock)
//! before the answer it pays for is sent, so a kill -9 at any instant loses no payment the
//! provider served for (the kernel keeps what was written); `sync` (each claim round)
//! makes it survive power loss too. On start the journal is read back (a corrupt record
//! skipped, a partial last one cut off) and each channel's largest payment kept; `compact` rewrites it with one record
//! per live channel (atomically, through a rename).
//!
//! Records: `pol_payments::journal` (fixed-size, checksummed), which `pold tx payments
//! claim --journal` also reads.

use std::collections::BTreeMap;
use std::fs::{File, OpenOptions};
use std::io::{Read, Write};
use std::path::{Path, PathBuf};

use parking_lot::Mutex;
use pol_payments::journal::{encode, read};
use pol_payments::SignedPayment;

pub struct Journal {
    path: PathBuf,
    file: Mutex<File>,
}

impl Journal {
    /// Open (or create) the journal at `path`; returns it with the largest payment per
    /// channel found in it.
    pub fn open(path: &Path) -> std::io::Result<(Self, BTreeMap<u64, SignedPayment>)> {
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir)?;
        }
        let mut bytes = Vec::new();
        if path.exists() {
            File::open(path)?.read_to_end(&mut bytes)?;
        }
        // Records are fixed-size: a corrupt one is skipped, the others stand; a partial
        // last record (a write cut by power loss) is cut off.
        let contents = read(&bytes);
        for i in &contents.corrupt {
            tracing::warn!(path = %path.display(), record = i, "payment journal: skipping a corrupt record");
        }
        let (best, whole) = (contents.best, contents.whole_len);
        let file = OpenOptions::new().create(true).append(true).open(path)?;
        if whole < bytes.len() {
            tracing::warn!(path = %path.display(), "payment journal: dropping a partial last record");
            file.set_len(whole as u64)?;
        }
        Ok((
            Journal {
                path: path.to_path_buf(),
                file: Mutex::new(file),
            },
            best,
        ))
    }

    /// Append `p` (one write: it is in the kernel when this returns).
    pub fn append(&self, p: &SignedPayment) -> std::io::Result<()> {
        self.file.lock().write_all(&encode(p))
    }

    /// To disk (power-loss safe).
    pub fn sync(&self) -> std::io::Result<()> {
        self.file.lock().sync_data()
    }

    /// Rewrite the journal with exactly `live()` (one payment per channel still worth
    /// claiming), through a temporary file and a rename. `live` is read with the journal
    /// locked, so an append racing the rewrite lands in the new file, never in the old.
    pub fn compact(&self, live: impl FnOnce() -> Vec<SignedPayment>) -> std::io::Result<()> {
        let mut guard = self.file.lock();
        let live = live();
        let tmp = self.path.with_extension("compact");
        {
            let mut f = File::create(&tmp)?;
            for p in &live {
                f.write_all(&encode(p))?;
            }
            f.sync_all()?;
        }
        std::fs::rename(&tmp, &self.path)?;
        *guard = OpenOptions::new().append(true).open(&self.path)?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ed25519_dalek::SigningKey;
    use pol_payments::journal::RECORD;

    fn pay(channel: u64, amount: u128) -> SignedPayment {
        SignedPayment::sign(
            "c",
            channel,
            amount,
            amount / 10,
            &SigningKey::from_bytes(&[2; 32]),
        )
        .unwrap()
    }

    #[test]
    fn reopening_keeps_each_channels_largest_payment_and_drops_a_torn_tail() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("payments.journal");
        {
            let (j, best) = Journal::open(&path).unwrap();
            assert!(best.is_empty());
            for (c, a) in [(1, 10), (2, 50), (1, 30), (1, 20)] {
                j.append(&pay(c, a)).unwrap();
            }
        }
        // A crash in the middle of a write leaves half a record.
        let mut f = OpenOptions::new().append(true).open(&path).unwrap();
        f.write_all(&encode(&pay(2, 99))[..50]).unwrap();
        drop(f);
        let (j, best) = Journal::open(&path).unwrap();
        assert_eq!(best[&1], pay(1, 30));
        assert_eq!(best[&2], pay(2, 50));
        assert_eq!(std::fs::metadata(&path).unwrap().len(), 4 * RECORD as u64);
        // Appends after the repair land on a record boundary.
        j.append(&pay(2, 60)).unwrap();
        j.compact(|| vec![pay(2, 60)]).unwrap();
        j.append(&pay(3, 5)).unwrap();
        drop(j);
        let (_, best) = Journal::open(&path).unwrap();
        assert_eq!(best.len(), 2);
        assert_eq!(best[&2], pay(2, 60));
        assert_eq!(best[&3], pay(3, 5));
        // A flipped bit is not a payment; the records after it still are.
        let mut bytes = std::fs::read(&path).unwrap();
        bytes[20] ^= 1;
        std::fs::write(&path, &bytes).unwrap();
        let (_, best) = Journal::open(&path).unwrap();
        assert_eq!(best.len(), 1);
        assert_eq!(best[&3], pay(3, 5));
    }
}
