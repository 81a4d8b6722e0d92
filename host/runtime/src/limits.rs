//! Per-detector sandbox limits and the counters that enforce them.

use std::time::Duration;

use serde::{Deserialize, Serialize};

/// Limits applied to one detector. Every field has a default that suits a
/// small Rust detector; the TOML config overrides them per detector.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Limits {
    /// Linear-memory cap of the instance, in bytes.
    pub memory_bytes: usize,
    /// Wall-clock budget of one call into the detector (epoch mode).
    #[serde(with = "millis")]
    pub call_deadline: Duration,
    /// Fuel budget of one call (deterministic mode, e.g. the mock host).
    pub fuel_per_call: u64,
    /// Store calls a detector may make while handling one event.
    pub store_calls_per_event: u32,
    /// Log lines per second; the excess is counted, not printed.
    pub log_lines_per_second: u32,
    /// Live reader/writer handles an instance may hold.
    pub max_handles: u32,
    /// Consecutive faults after which the detector is quarantined.
    pub max_consecutive_faults: u32,
    /// Faults within `fault_window` after which the detector is quarantined.
    pub max_faults_per_window: u32,
    /// The window of `max_faults_per_window`.
    #[serde(with = "millis")]
    pub fault_window: Duration,
    /// Events delivered per second; the excess is shed and counted.
    pub events_per_second: u32,
    /// Findings kept per second; the excess is suppressed, counted and
    /// reported in a summary finding.
    pub findings_per_second: u32,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            memory_bytes: 64 << 20,
            call_deadline: Duration::from_millis(200),
            fuel_per_call: 200_000_000,
            store_calls_per_event: 1_000,
            log_lines_per_second: 20,
            max_handles: 256,
            max_consecutive_faults: 5,
            max_faults_per_window: 20,
            fault_window: Duration::from_secs(60),
            events_per_second: 100_000,
            findings_per_second: 100,
        }
    }
}

mod millis {
    use std::time::Duration;

    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(d: &Duration, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_u64(d.as_millis().try_into().unwrap_or(u64::MAX))
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Duration, D::Error> {
        Ok(Duration::from_millis(u64::deserialize(d)?))
    }
}

/// A token bucket refilled from the host clock: `rate` tokens per second,
/// at most `rate` banked.
#[derive(Debug, Clone)]
pub(crate) struct RateLimiter {
    rate: u32,
    tokens: u32,
    window_start: u64,
    pub(crate) dropped: u64,
}

impl RateLimiter {
    pub(crate) fn new(rate: u32) -> Self {
        Self {
            rate,
            tokens: rate,
            window_start: 0,
            dropped: 0,
        }
    }

    /// Takes up to `n` tokens at time `now_ns` and returns how many it
    /// took; the rest are counted as dropped. Same as `n` calls of
    /// [`RateLimiter::allow`], in one step.
    pub(crate) fn allow_n(&mut self, now_ns: u64, n: usize) -> usize {
        if now_ns.saturating_sub(self.window_start) >= 1_000_000_000 {
            self.window_start = now_ns;
            self.tokens = self.rate;
        }
        let want = u32::try_from(n).unwrap_or(u32::MAX);
        let took = want.min(self.tokens);
        self.tokens -= took;
        self.dropped += u64::from(want - took);
        took as usize
    }

    /// Takes one token at time `now_ns`; false (and counted) when empty.
    pub(crate) fn allow(&mut self, now_ns: u64) -> bool {
        if now_ns.saturating_sub(self.window_start) >= 1_000_000_000 {
            self.window_start = now_ns;
            self.tokens = self.rate;
        }
        if self.tokens > 0 {
            self.tokens -= 1;
            true
        } else {
            self.dropped += 1;
            false
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn taking_n_tokens_equals_n_single_takes() {
        let mut one = RateLimiter::new(5);
        let mut bulk = RateLimiter::new(5);
        let singles = (0..3).filter(|_| one.allow(10)).count();
        assert_eq!(bulk.allow_n(10, 3), singles);
        let singles = (0..4).filter(|_| one.allow(20)).count();
        assert_eq!(bulk.allow_n(20, 4), singles);
        assert_eq!((bulk.tokens, bulk.dropped), (one.tokens, one.dropped));
        assert_eq!(bulk.allow_n(1_000_000_020, 7), 5, "refilled a second later");
        assert_eq!(bulk.allow_n(1_000_000_030, 0), 0);
    }

    #[test]
    fn rate_limiter_refills_per_second() {
        let mut r = RateLimiter::new(2);
        assert!(r.allow(0));
        assert!(r.allow(1));
        assert!(!r.allow(2));
        assert_eq!(r.dropped, 1);
        assert!(r.allow(1_000_000_001));
    }

    #[test]
    fn limits_parse_from_toml_shape() {
        let l: Limits =
            serde_json::from_str(r#"{"memory_bytes": 1048576, "call_deadline": 5}"#).unwrap();
        assert_eq!(l.memory_bytes, 1 << 20);
        assert_eq!(l.call_deadline, Duration::from_millis(5));
        assert_eq!(l.max_handles, Limits::default().max_handles);
    }
}
