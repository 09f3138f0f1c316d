//! The in-process backend: entries in a `moka` cache bounded by bytes, counters in a table
//! behind one lock that a store and a purge both take (so a store that raced a purge is
//! dropped, `spec/CACHE_KEYING.md` §6).

use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};

use moka::Expiry;

use super::gens::Generations;
use super::stored::Stored;

/// One entry with its lifetime.
#[derive(Clone)]
struct Entry {
    stored: Arc<Stored>,
    ttl: Duration,
}

struct PerEntry;

impl Expiry<String, Entry> for PerEntry {
    fn expire_after_create(&self, _: &String, entry: &Entry, _: Instant) -> Option<Duration> {
        Some(entry.ttl)
    }
}

pub(crate) struct Memory {
    entries: moka::sync::Cache<String, Entry>,
    generations: Mutex<Generations>,
}

impl Memory {
    pub(crate) fn new(max_bytes: u64) -> Self {
        Self {
            entries: moka::sync::Cache::builder()
                .max_capacity(max_bytes)
                .weigher(|key: &String, entry: &Entry| {
                    // Key, body, ETag and bookkeeping.
                    let size = key.len() + entry.stored.body.len() + 34 + 96;
                    u32::try_from(size).unwrap_or(u32::MAX)
                })
                .expire_after(PerEntry)
                .build(),
            generations: Mutex::new(Generations::default()),
        }
    }

    fn generations(&self) -> MutexGuard<'_, Generations> {
        self.generations
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
    }

    /// The counters `fields` read now, and the entry stored under `key` at those counters.
    pub(crate) fn get(
        &self,
        context: &str,
        key: &str,
        fields: &[String],
    ) -> (String, Option<Arc<Stored>>) {
        let gens = self.generations().read(context, fields, Instant::now());
        let entry = self.entries.get(&entry_key(key, &gens));
        (gens, entry.map(|e| e.stored))
    }

    /// Stores `stored` unless a purge bumped one of `fields` since `gens` was read.
    pub(crate) fn put(
        &self,
        context: &str,
        key: &str,
        fields: &[String],
        gens: &str,
        stored: Arc<Stored>,
        ttl: Duration,
    ) -> bool {
        let mut generations = self.generations();
        if generations.read(context, fields, Instant::now()) != gens {
            return false;
        }
        self.entries
            .insert(entry_key(key, gens), Entry { stored, ttl });
        true
    }

    /// Bumps `fields` of `context`: every entry that read one is unreachable from now on.
    pub(crate) fn purge(&self, context: &str, fields: &[String], keep: Duration) {
        self.generations()
            .bump(context, fields, keep, Instant::now());
    }

    /// The entries held (after pending evictions), for tests and stats.
    #[cfg(test)]
    pub(crate) fn len(&self) -> u64 {
        self.entries.run_pending_tasks();
        self.entries.entry_count()
    }
}

fn entry_key(key: &str, gens: &str) -> String {
    let mut out = String::with_capacity(key.len() + 1 + gens.len());
    out.push_str(key);
    out.push(':');
    out.push_str(gens);
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use bytes::Bytes;

    fn stored(size: usize) -> Arc<Stored> {
        Arc::new(Stored::new(Bytes::from(vec![b'x'; size]), false))
    }

    #[test]
    fn bounded_by_bytes() {
        let memory = Memory::new(16 << 10);
        let fields = vec!["*".to_owned()];
        for i in 0..200 {
            let (gens, _) = memory.get("c", &format!("k{i}"), &fields);
            let ttl = Duration::from_secs(60);
            assert!(memory.put("c", &format!("k{i}"), &fields, &gens, stored(1024), ttl));
        }
        assert!(
            memory.len() <= 16,
            "{} entries of 1 KiB in 16 KiB",
            memory.len()
        );
    }

    #[test]
    fn a_store_after_a_purge_is_dropped() {
        let memory = Memory::new(1 << 20);
        let fields = vec!["*".to_owned()];
        let (gens, _) = memory.get("c", "k", &fields);
        memory.purge("c", &fields, Duration::from_secs(60));
        let ttl = Duration::from_secs(60);
        assert!(!memory.put("c", "k", &fields, &gens, stored(3), ttl));
        let (now, hit) = memory.get("c", "k", &fields);
        assert!(hit.is_none());
        assert!(memory.put("c", "k", &fields, &now, stored(3), ttl));
        assert!(memory.get("c", "k", &fields).1.is_some());
    }
}
