//! Answers that depend only on the indexed chain state, kept until the index moves on.
//!
//! A request reads the index's head and reuses what earlier requests computed since: a member's
//! public record at the same head (a new block, or a reorg, which changes the hash, empties that
//! cache), and who a caller is at the same standing version (the index moves it on with every
//! change to roles, operators, branches, credential types or members, and with every rollback).
//! A value is read after the head it is kept under, so an answer is never older than the head
//! the request saw. Concurrent requests share head reads, but only reads that started after they
//! arrived: nothing a request sees is older than the index was when it came in.

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

/// Entries kept per stamp; past this the cache starts over (a bound on memory, not a target).
const MAX_ENTRIES: usize = 65_536;

/// What a kept value was read after: a count that only grows as the index moves on, and what
/// tells two stamps at the same count apart (a block's hash: a reorg at the same height).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Stamp {
    count: u64,
    id: B256,
}

impl Stamp {
    /// The head itself: a new block or a reorg moves it.
    pub fn head(head: &Head) -> Self {
        Self {
            count: head.number,
            id: head.hash,
        }
    }

    /// The head's standing version: only a change to someone's standing moves it.
    pub fn standing(head: &Head) -> Self {
        Self {
            count: head.standing_version,
            id: B256::ZERO,
        }
    }
}

/// Values read after one stamp of the index.
#[derive(Debug)]
pub struct Stamped<K, V> {
    inner: Mutex<Entries<K, V>>,
}

#[derive(Debug)]
struct Entries<K, V> {
    stamp: Option<Stamp>,
    values: HashMap<K, V>,
}

impl<K, V> Default for Stamped<K, V> {
    fn default() -> Self {
        Self {
            inner: Mutex::new(Entries {
                stamp: None,
                values: HashMap::new(),
            }),
        }
    }
}

impl<K: Eq + Hash, V: Clone> Stamped<K, V> {
    /// The value of `key` read after `stamp`, if any.
    pub fn get(&self, stamp: Stamp, key: &K) -> Option<V> {
        let entries = self.inner.lock().unwrap_or_else(PoisonError::into_inner);
        if entries.stamp == Some(stamp) {
            entries.values.get(key).cloned()
        } else {
            None
        }
    }

    /// Keeps `value`, read from the index after `stamp` was, for later requests at `stamp`. A
    /// value from an older stamp than the one kept is dropped.
    pub fn insert(&self, stamp: Stamp, key: K, value: V) {
        let mut entries = self.inner.lock().unwrap_or_else(PoisonError::into_inner);
        match entries.stamp {
            Some(kept) if kept == stamp => {}
            Some(kept) if kept.count > stamp.count => return,
            _ => {
                entries.stamp = Some(stamp);
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

    fn head(number: u64, hash: u8) -> Stamp {
        Stamp::head(&Head {
            number,
            hash: B256::repeat_byte(hash),
            time: 0,
            standing_version: 0,
        })
    }

    #[test]
    fn a_value_lives_as_long_as_its_head() {
        let cache = Stamped::<u8, &str>::default();
        cache.insert(head(5, 1), 1, "at 5");
        assert_eq!(cache.get(head(5, 1), &1), Some("at 5"));
        assert_eq!(
            cache.get(head(5, 2), &1),
            None,
            "a reorg at the same height"
        );
        assert_eq!(cache.get(head(6, 3), &1), None, "a newer block");

        cache.insert(head(6, 3), 1, "at 6");
        cache.insert(head(5, 1), 2, "late answer from 5");
        assert_eq!(cache.get(head(6, 3), &1), Some("at 6"));
        assert_eq!(
            cache.get(head(6, 3), &2),
            None,
            "an older head's value is dropped"
        );
        assert_eq!(cache.get(head(5, 1), &1), None);

        // A reorg at the same height replaces the block's values.
        cache.insert(head(6, 4), 2, "at 6'");
        assert_eq!(cache.get(head(6, 3), &1), None);
        assert_eq!(cache.get(head(6, 4), &2), Some("at 6'"));
    }

    #[test]
    fn a_standing_lives_across_blocks_until_its_version_moves() {
        let at = |number: u64, standing_version: u64| Head {
            number,
            hash: B256::repeat_byte(number as u8),
            time: 0,
            standing_version,
        };
        let cache = Stamped::<u8, &str>::default();
        cache.insert(Stamp::standing(&at(5, 2)), 1, "member");
        assert_eq!(
            cache.get(Stamp::standing(&at(9, 2)), &1),
            Some("member"),
            "blocks of payments only"
        );
        assert_eq!(
            cache.get(Stamp::standing(&at(10, 3)), &1),
            None,
            "a block that granted or revoked something"
        );
        cache.insert(Stamp::standing(&at(10, 3)), 1, "operator");
        cache.insert(Stamp::standing(&at(9, 2)), 2, "late answer");
        assert_eq!(cache.get(Stamp::standing(&at(10, 3)), &2), None);
    }
}
