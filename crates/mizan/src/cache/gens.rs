//! Generation counters kept in this process (the memory backend's; Redis keeps its own in
//! one hash per context).

use std::collections::HashMap;
use std::fmt::Write as _;
use std::time::{Duration, Instant};

/// One context's counters, dropped whole once no purge came for longer than every entry
/// written before the last purge can live (`spec/CACHE_KEYING.md` §5.3).
#[derive(Default)]
struct Table {
    counters: HashMap<String, u64>,
    expires: Option<Instant>,
}

/// The counters of every context, by context name.
#[derive(Default)]
pub(crate) struct Generations {
    tables: HashMap<String, Table>,
}

impl Generations {
    fn table(&mut self, context: &str, now: Instant) -> Option<&Table> {
        let expired = self
            .tables
            .get(context)
            .is_some_and(|t| t.expires.is_some_and(|e| e <= now));
        if expired {
            self.tables.remove(context);
        }
        self.tables.get(context)
    }

    /// The current values of `fields`, written as the key suffix (`3.0.1`).
    pub(crate) fn read(&mut self, context: &str, fields: &[String], now: Instant) -> String {
        let table = self.table(context, now);
        let mut out = String::with_capacity(fields.len() * 2);
        for (i, field) in fields.iter().enumerate() {
            if i > 0 {
                out.push('.');
            }
            let value = table
                .and_then(|t| t.counters.get(field))
                .copied()
                .unwrap_or(0);
            let _ = write!(out, "{value}");
        }
        out
    }

    /// Bumps `fields`; the table lives `keep` past this purge.
    pub(crate) fn bump(&mut self, context: &str, fields: &[String], keep: Duration, now: Instant) {
        let _ = self.table(context, now);
        let table = self.tables.entry(context.to_owned()).or_default();
        for field in fields {
            *table.counters.entry(field.clone()).or_default() += 1;
        }
        table.expires = Some(now + keep);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counters_start_at_zero_and_reset_after_keep() {
        let mut g = Generations::default();
        let t0 = Instant::now();
        let fields = vec!["*".to_owned(), "=p=3".to_owned()];
        assert_eq!(g.read("c", &fields, t0), "0.0");
        g.bump("c", &fields[1..], Duration::from_secs(10), t0);
        assert_eq!(g.read("c", &fields, t0), "0.1");
        assert_eq!(g.read("other", &fields, t0), "0.0");
        assert_eq!(g.read("c", &fields, t0 + Duration::from_secs(11)), "0.0");
    }
}
