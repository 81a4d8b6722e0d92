//! Atomic per-store counters and the health/metadata records built from them.

use std::sync::atomic::{AtomicU64, Ordering};

use sandtrap_model::{HealthInfo, HealthStatus, StoreError, StoreMetadata, StoreMetrics};

use crate::clock::Clock;

/// Schema version of the built-in stores' records.
pub(crate) const SCHEMA_VERSION: u32 = 1;

/// Call counters of one store. Relaxed ordering is enough: each counter is
/// read on its own for reporting, never used to synchronise data.
#[derive(Debug, Default)]
pub(crate) struct Counters {
    success: AtomicU64,
    errors: AtomicU64,
    hits: AtomicU64,
    misses: AtomicU64,
    last_access: AtomicU64,
}

impl Counters {
    /// Counts one call from its outcome: `Ok` is a success and a hit,
    /// `NotFound` a miss, anything else an error.
    pub(crate) fn record<T>(&self, clock: &dyn Clock, r: &Result<T, StoreError>) {
        match r {
            Ok(_) => self.hit(clock),
            Err(StoreError::NotFound) => self.miss(clock),
            Err(_) => self.error(clock),
        }
    }

    /// A call that found what it looked for.
    pub(crate) fn hit(&self, clock: &dyn Clock) {
        self.success.fetch_add(1, Ordering::Relaxed);
        self.hits.fetch_add(1, Ordering::Relaxed);
        self.touch(clock);
    }

    /// A call that did not.
    pub(crate) fn miss(&self, clock: &dyn Clock) {
        self.misses.fetch_add(1, Ordering::Relaxed);
        self.touch(clock);
    }

    /// A call that answered `Ok` without finding its key (e.g. the empty
    /// ancestry of an unknown process).
    pub(crate) fn ok_miss(&self, clock: &dyn Clock) {
        self.success.fetch_add(1, Ordering::Relaxed);
        self.miss(clock);
    }

    /// A call that failed for a reason other than a missing key.
    pub(crate) fn error(&self, clock: &dyn Clock) {
        self.errors.fetch_add(1, Ordering::Relaxed);
        self.touch(clock);
    }

    /// Adds `n` lookups' hits (used by batch calls, counted as one success).
    pub(crate) fn add_lookups(&self, hits: u64, misses: u64) {
        self.hits.fetch_add(hits, Ordering::Relaxed);
        self.misses.fetch_add(misses, Ordering::Relaxed);
    }

    /// A successful call whose lookups were counted with `add_lookups`.
    pub(crate) fn success(&self, clock: &dyn Clock) {
        self.success.fetch_add(1, Ordering::Relaxed);
        self.touch(clock);
    }

    fn touch(&self, clock: &dyn Clock) {
        self.last_access.store(clock.now_ns(), Ordering::Relaxed);
    }

    /// The counters with `items` as the current item count.
    pub(crate) fn snapshot(&self, items: usize) -> StoreMetrics {
        StoreMetrics {
            item_count: i64::try_from(items).unwrap_or(i64::MAX),
            success_count: self.success.load(Ordering::Relaxed),
            error_count: self.errors.load(Ordering::Relaxed),
            cache_hits: self.hits.load(Ordering::Relaxed),
            cache_misses: self.misses.load(Ordering::Relaxed),
            last_access: self.last_access.load(Ordering::Relaxed),
        }
    }
}

/// A healthy report stamped now.
pub(crate) fn healthy(clock: &dyn Clock) -> HealthInfo {
    HealthInfo {
        status: HealthStatus::Healthy,
        message: String::new(),
        last_check: clock.now_ns(),
    }
}

/// An unhealthy report stamped now.
pub(crate) fn unhealthy(clock: &dyn Clock, message: impl Into<String>) -> HealthInfo {
    HealthInfo {
        status: HealthStatus::Unhealthy,
        message: message.into(),
        last_check: clock.now_ns(),
    }
}

/// Metadata of a built-in (read-only) store.
pub(crate) fn builtin_metadata(name: &str, description: &str) -> StoreMetadata {
    StoreMetadata {
        name: name.to_owned(),
        description: description.to_owned(),
        version: SCHEMA_VERSION,
        writable: false,
        owner: None,
    }
}

/// `s` cut to at most `max` bytes on a character boundary. Outside input
/// (argv, names) is bounded before it is kept.
pub(crate) fn bounded(s: &str, max: usize) -> String {
    if s.len() <= max {
        return s.to_owned();
    }
    let mut end = max;
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    s[..end].to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::clock::FixedClock;

    #[test]
    fn outcomes_land_in_the_right_counters() {
        let clock = FixedClock::new(7);
        let c = Counters::default();
        c.record(&clock, &Ok::<(), _>(()));
        c.record::<()>(&clock, &Err(StoreError::NotFound));
        clock.set(9);
        c.record::<()>(&clock, &Err(StoreError::InvalidArgument("x".into())));
        c.ok_miss(&clock);
        let m = c.snapshot(3);
        assert_eq!(m.item_count, 3);
        assert_eq!(
            (m.success_count, m.error_count, m.cache_hits, m.cache_misses),
            (2, 1, 1, 2)
        );
        assert_eq!(m.last_access, 9);
    }

    #[test]
    fn bounded_cuts_on_char_boundary() {
        assert_eq!(bounded("abc", 5), "abc");
        assert_eq!(bounded("abcdef", 3), "abc");
        // 'é' is two bytes; cutting at 2 would split it.
        assert_eq!(bounded("aéb", 2), "a");
        assert_eq!(bounded("", 0), "");
    }
}
