//! What the worker keeps to prove recent receipts: per receipt id, the model, the input and
//! the output, for a configurable time window and count. Records behind the chain's pending
//! obligations are pinned: neither the window nor a flood of new records evicts them while
//! the obligation is open (a missed one burns bond).

use parking_lot::Mutex;
use std::collections::{HashMap, HashSet, VecDeque};
use std::time::{Duration, Instant};

/// The data behind one receipt.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Record {
    pub model_id: String,
    pub input: Vec<i8>,
    pub output: Vec<i32>,
    pub nonce: u64,
}

struct Inner {
    map: HashMap<[u8; 32], Record>,
    order: VecDeque<([u8; 32], Instant)>,
    /// Receipt ids of the pending obligations.
    pinned: HashSet<[u8; 32]>,
    /// Pinned records past the window or the count, kept until their obligation closes.
    kept: HashMap<[u8; 32], Record>,
}

/// A bounded, time-windowed store of receipt records.
pub struct RecordStore {
    window: Duration,
    max_records: usize,
    inner: Mutex<Inner>,
}

impl RecordStore {
    pub fn new(window: Duration, max_records: usize) -> Self {
        Self {
            window,
            max_records,
            inner: Mutex::new(Inner {
                map: HashMap::new(),
                order: VecDeque::new(),
                pinned: HashSet::new(),
                kept: HashMap::new(),
            }),
        }
    }

    /// Keeps `record` under `id`, dropping records older than the window or beyond the count.
    pub fn insert(&self, id: [u8; 32], record: Record) {
        if self.max_records == 0 {
            return;
        }
        let now = Instant::now();
        let mut g = self.inner.lock();
        Self::expire(&mut g, now, self.window, self.max_records.saturating_sub(1));
        if g.map.insert(id, record).is_none() {
            g.order.push_back((id, now));
        }
    }

    /// The record of a receipt still inside the window.
    pub fn get(&self, id: &[u8; 32]) -> Option<Record> {
        let now = Instant::now();
        let mut g = self.inner.lock();
        Self::expire(&mut g, now, self.window, self.max_records);
        g.map.get(id).or_else(|| g.kept.get(id)).cloned()
    }

    /// Pin exactly the records of `ids` (the receipts of the pending obligations); records
    /// pinned before and not among them may go.
    pub fn pin_only(&self, ids: impl IntoIterator<Item = [u8; 32]>) {
        let mut g = self.inner.lock();
        g.pinned = ids.into_iter().collect();
        let Inner { pinned, kept, .. } = &mut *g;
        kept.retain(|id, _| pinned.contains(id));
    }

    /// Records currently provable.
    pub fn len(&self) -> usize {
        let mut g = self.inner.lock();
        Self::expire(&mut g, Instant::now(), self.window, self.max_records);
        g.map.len() + g.kept.len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    fn expire(g: &mut Inner, now: Instant, window: Duration, keep: usize) {
        while let Some(&(id, t)) = g.order.front() {
            if now.duration_since(t) > window || g.order.len() > keep {
                g.order.pop_front();
                if let Some(r) = g.map.remove(&id) {
                    if g.pinned.contains(&id) {
                        g.kept.insert(id, r);
                    }
                }
            } else {
                break;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rec(n: u64) -> Record {
        Record {
            model_id: "m".into(),
            input: vec![1],
            output: vec![2],
            nonce: n,
        }
    }

    #[test]
    fn count_and_window_bounds() {
        let s = RecordStore::new(Duration::from_secs(60), 3);
        for i in 0..5u8 {
            s.insert([i; 32], rec(i as u64));
        }
        assert_eq!(s.len(), 3);
        assert!(s.get(&[0; 32]).is_none());
        assert_eq!(s.get(&[4; 32]).unwrap().nonce, 4);
        let s = RecordStore::new(Duration::from_millis(20), 100);
        s.insert([9; 32], rec(9));
        assert!(s.get(&[9; 32]).is_some());
        std::thread::sleep(Duration::from_millis(40));
        assert!(s.get(&[9; 32]).is_none());
    }

    /// Attack: flood `Infer` so that the record behind a drawn receipt is evicted before the
    /// worker proves it. Records behind pending obligations are pinned.
    #[test]
    fn pinned_records_survive_floods_and_the_window_until_unpinned() {
        let s = RecordStore::new(Duration::from_millis(30), 3);
        s.insert([1; 32], rec(1));
        s.insert([2; 32], rec(2));
        s.pin_only([[1; 32]]);
        for i in 10..100u8 {
            s.insert([i; 32], rec(i as u64));
        }
        assert_eq!(s.get(&[1; 32]).unwrap().nonce, 1);
        assert!(s.get(&[2; 32]).is_none(), "unpinned ones go");
        std::thread::sleep(Duration::from_millis(40));
        assert_eq!(s.get(&[1; 32]).unwrap().nonce, 1, "past the window too");
        assert_eq!(s.len(), 1);
        // The obligation closed: the record goes.
        s.pin_only([]);
        assert!(s.get(&[1; 32]).is_none());
        assert_eq!(s.len(), 0);
    }
}
