//! Answers that depend only on the indexed chain state, kept until the index moves on.
//!
//! A request reads the index's head (one query) and reuses what earlier requests computed at
//! the same head: who a caller is, a member's public record. A new block (or a reorg, which
//! changes the hash) empties the cache, so an answer is never older than the head the request
//! saw.

use alloy::primitives::B256;
use std::{
    collections::HashMap,
    hash::Hash,
    sync::{Mutex, PoisonError},
};
use timebank_indexer::query::Head;

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
