//! Answers that depend only on the indexed chain state, kept until the index moves on.
//!
//! A request reads the index's head and reuses what earlier requests computed at the same head:
//! who a caller is, a member's public record. A new block (or a reorg, which changes the hash)
//! empties the cache, so an answer is never older than the head the request saw. Concurrent
//! requests share head reads, but only reads that started after they arrived: nothing a request
//! sees is older than the index was when it came in.

use alloy::primitives::B256;
use std::{
    collections::HashMap,
    hash::Hash,
    sync::{Mutex, PoisonError},
    time::Instant,
};
use timebank_indexer::{Store, query::Head};

/// The index's head, read once for all the requests waiting when the read starts.
#[derive(Debug, Default)]
pub struct HeadReads {
    /// One read at a time, waiters in order; the last read: when it started, what it found.
    last: tokio::sync::Mutex<Option<(Instant, Option<Head>)>>,
}

impl HeadReads {
    /// The head as of a read that started after this call did.
    pub async fn read(&self, store: &Store) -> timebank_indexer::Result<Option<Head>> {
        let arrived = Instant::now();
        let mut last = self.last.lock().await;
        if let Some((started, head)) = *last
            && started >= arrived
        {
            return Ok(head);
        }
        let started = Instant::now();
        let head = store.head().await?;
        *last = Some((started, head));
        Ok(head)
    }
}

/// Entries kept per head; past this the cache starts over (a bound on memory, not a target).
const MAX_ENTRIES: usize = 65_536;

/// Values computed at one head of the index.
#[derive(Debug)]
pub struct AtHead<K, V> {
    inner: Mutex<Entries<K, V>>,
}

#[derive(Debug)]
struct Entries<K, V> {
    head: Option<(u64, B256)>,
    values: HashMap<K, V>,
}

impl<K, V> Default for AtHead<K, V> {
    fn default() -> Self {
        Self {
            inner: Mutex::new(Entries {
                head: None,
                values: HashMap::new(),
            }),
        }
    }
}

impl<K: Eq + Hash, V: Clone> AtHead<K, V> {
    /// The value of `key` computed at `head`, if any.
    pub fn get(&self, head: &Head, key: &K) -> Option<V> {
        let entries = self.inner.lock().unwrap_or_else(PoisonError::into_inner);
        if entries.head == Some((head.number, head.hash)) {
            entries.values.get(key).cloned()
        } else {
            None
        }
    }

    /// Keeps `value`, read from the index after `head` was, for later requests at `head`. A
    /// value from an older head than the one kept is dropped.
    pub fn insert(&self, head: &Head, key: K, value: V) {
        let mut entries = self.inner.lock().unwrap_or_else(PoisonError::into_inner);
        match entries.head {
            Some(kept) if kept == (head.number, head.hash) => {}
            Some((number, _)) if number > head.number => return,
            _ => {
                entries.head = Some((head.number, head.hash));
                entries.values.clear();
            }
        }
        if entries.values.len() >= MAX_ENTRIES {
            entries.values.clear();
        }
        entries.values.insert(key, value);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn head(number: u64, hash: u8) -> Head {
        Head {
            number,
            hash: B256::repeat_byte(hash),
            time: 0,
        }
    }

    #[test]
    fn a_value_lives_as_long_as_its_head() {
        let cache = AtHead::<u8, &str>::default();
        cache.insert(&head(5, 1), 1, "at 5");
        assert_eq!(cache.get(&head(5, 1), &1), Some("at 5"));
        assert_eq!(
            cache.get(&head(5, 2), &1),
            None,
            "a reorg at the same height"
        );
        assert_eq!(cache.get(&head(6, 3), &1), None, "a newer block");

        cache.insert(&head(6, 3), 1, "at 6");
        cache.insert(&head(5, 1), 2, "late answer from 5");
        assert_eq!(cache.get(&head(6, 3), &1), Some("at 6"));
        assert_eq!(
            cache.get(&head(6, 3), &2),
            None,
            "an older head's value is dropped"
        );
        assert_eq!(cache.get(&head(5, 1), &1), None);

        // A reorg at the same height replaces the block's values.
        cache.insert(&head(6, 4), 2, "at 6'");
        assert_eq!(cache.get(&head(6, 3), &1), None);
        assert_eq!(cache.get(&head(6, 4), &2), Some("at 6'"));
    }
}
