//! One writable IP-reputation store: entries per (address or prefix, source), resolved by policy.

use std::cmp::Reverse;
use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

use parking_lot::RwLock;
use sandtrap_model::{
    ConflictPolicy, HealthInfo, Reputation, ReputationStatus, SourcedReputation, StoreError,
    StoreMetadata, StoreMetrics,
};

use crate::clock::Clock;
use crate::metrics::{Counters, SCHEMA_VERSION, healthy};
use crate::traits::DataStore;

/// Bounds of the writable stores. Detectors write them, so every size is capped.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ReputationLimits {
    /// Stores that may be registered.
    pub max_stores: usize,
    /// (key, source) entries per store.
    pub max_entries: usize,
    /// Tags per entry.
    pub max_tags: usize,
    /// Bytes per tag.
    pub max_tag_len: usize,
}

impl Default for ReputationLimits {
    fn default() -> Self {
        Self {
            max_stores: 64,
            max_entries: 1_000_000,
            max_tags: 32,
            max_tag_len: 64,
        }
    }
}

/// Longest source tag, in bytes.
pub const MAX_SOURCE_LEN: usize = 64;
/// Most source priorities a store keeps.
const MAX_PRIORITIES: usize = 1024;

/// Reputation entries keyed by canonical address or prefix, one per
/// source. A lookup takes the exact key, else the longest prefix holding
/// the address, then picks one source's entry by the conflict policy.
pub struct ReputationStore {
    name: String,
    owner: String,
    config: RwLock<Config>,
    table: RwLock<Table>,
    limits: ReputationLimits,
    clock: Arc<dyn Clock>,
    counters: Counters,
}

struct Config {
    policy: ConflictPolicy,
    priorities: HashMap<String, u32>,
}

fn check_source(source: &str) -> Result<(), StoreError> {
    if source.is_empty() || source.len() > MAX_SOURCE_LEN {
        return Err(StoreError::InvalidArgument(format!(
            "source must have 1 to {MAX_SOURCE_LEN} bytes"
        )));
    }
    Ok(())
}

impl ReputationStore {
    pub(crate) fn new(
        name: &str,
        owner: &str,
        policy: ConflictPolicy,
        priorities: &[(String, u32)],
        limits: ReputationLimits,
        clock: Arc<dyn Clock>,
    ) -> Result<Self, StoreError> {
        let store = Self {
            name: name.to_owned(),
            owner: owner.to_owned(),
            config: RwLock::new(Config {
                policy,
                priorities: HashMap::new(),
            }),
            table: RwLock::default(),
            limits,
            clock,
            counters: Counters::default(),
        };
        store.configure(policy, priorities)?;
        Ok(store)
    }

    /// Replaces the conflict policy and source priorities.
    pub(crate) fn configure(
        &self,
        policy: ConflictPolicy,
        priorities: &[(String, u32)],
    ) -> Result<(), StoreError> {
        if priorities.len() > MAX_PRIORITIES {
            return Err(StoreError::InvalidArgument(format!(
                "at most {MAX_PRIORITIES} source priorities"
            )));
        }
        for (s, _) in priorities {
            check_source(s)?;
        }
        *self.config.write() = Config {
            policy,
            priorities: priorities.iter().cloned().collect(),
        };
        Ok(())
    }

    /// The detector that registered the store.
    pub fn owner(&self) -> &str {
        &self.owner
    }

    /// The conflict policy in force.
    pub fn policy(&self) -> ConflictPolicy {
        self.config.read().policy
    }

    /// Entries held, over all keys and sources.
    pub fn len(&self) -> usize {
        self.table.read().entries
    }

    /// True when nothing is held.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Writes `source`'s entry for `entry.ip`, replacing its previous one.
    /// A zero `last_updated` is stamped with the clock.
    pub fn write(&self, source: &str, entry: Reputation) -> Result<(), StoreError> {
        let r = check_source(source).and_then(|()| {
            self.table
                .write()
                .put(source, entry, &self.limits, self.clock.as_ref())
        });
        self.counters.record(self.clock.as_ref(), &r);
        r
    }

    /// Writes entries in order under one lock; at the first bad one, stops
    /// and fails with an error naming its index. Entries before it stay.
    pub fn write_batch(&self, source: &str, entries: Vec<Reputation>) -> Result<u32, StoreError> {
        let r = check_source(source).and_then(|()| {
            let mut table = self.table.write();
            let mut written = 0u32;
            for (i, e) in entries.into_iter().enumerate() {
                table
                    .put(source, e, &self.limits, self.clock.as_ref())
                    .map_err(|err| match err {
                        StoreError::InvalidArgument(m) => StoreError::InvalidArgument(format!(
                            "entry {i}: {m} ({written} written)"
                        )),
                        other => other,
                    })?;
                written += 1;
            }
            Ok(written)
        });
        self.counters.record(self.clock.as_ref(), &r);
        r
    }

    /// Removes `source`'s entry for `ip`; true when there was one.
    pub fn delete(&self, source: &str, ip: &str) -> Result<bool, StoreError> {
        let r = check_source(source)
            .and_then(|()| canonical(ip))
            .map(|k| self.table.write().remove(source, &k));
        self.counters.record(self.clock.as_ref(), &r);
        r
    }

    /// Removes everything `source` wrote; returns how many entries.
    pub fn clear(&self, source: &str) -> Result<u32, StoreError> {
        let r = check_source(source).map(|()| {
            let mut table = self.table.write();
            let keys = table.by_source.get(source).cloned().unwrap_or_default();
            let n = keys.iter().filter(|k| table.remove(source, k)).count();
            u32::try_from(n).unwrap_or(u32::MAX)
        });
        self.counters.record(self.clock.as_ref(), &r);
        r
    }

    /// Sources with at least one entry, sorted.
    pub fn list_sources(&self) -> Vec<String> {
        self.table.read().by_source.keys().cloned().collect()
    }

    /// The winning entry for `ip` under the store's policy.
    pub fn get(&self, ip: &str) -> Result<Reputation, StoreError> {
        self.get_sourced(ip).map(|s| s.reputation)
    }

    /// The winning entry for `ip`, with the source that wrote it.
    pub fn get_sourced(&self, ip: &str) -> Result<SourcedReputation, StoreError> {
        let r = self
            .matched(ip, |sources| {
                self.winner_of(sources).map(|(s, rep)| SourcedReputation {
                    source: s.clone(),
                    reputation: rep.clone(),
                })
            })
            .and_then(|w| w.ok_or(StoreError::NotFound));
        self.counters.record(self.clock.as_ref(), &r);
        r
    }

    /// Every source's entry for the key `ip` matches, sorted by source.
    pub fn get_all(&self, ip: &str) -> Result<Vec<SourcedReputation>, StoreError> {
        let r = self.matched(ip, |sources| {
            sources
                .iter()
                .map(|(s, rep)| SourcedReputation {
                    source: s.clone(),
                    reputation: rep.clone(),
                })
                .collect()
        });
        self.counters.record(self.clock.as_ref(), &r);
        r
    }

    /// True when the winning entry for `ip` is blacklisted; false for an
    /// address no entry covers.
    pub fn is_blacklisted(&self, ip: &str) -> Result<bool, StoreError> {
        let r = self.matched(ip, |sources| {
            self.winner(sources)
                .is_some_and(|w| w.status == ReputationStatus::Blacklisted)
        });
        match r {
            Err(StoreError::NotFound) => {
                self.counters.ok_miss(self.clock.as_ref());
                Ok(false)
            }
            other => {
                self.counters.record(self.clock.as_ref(), &other);
                other
            }
        }
    }

    fn matched<T>(
        &self,
        ip: &str,
        f: impl FnOnce(&BTreeMap<String, Reputation>) -> T,
    ) -> Result<T, StoreError> {
        let key = canonical(ip)?;
        let table = self.table.read();
        table.longest_match(&key).map(f).ok_or(StoreError::NotFound)
    }

    /// The entry the policy picks. Ties go to the newest `last_updated`,
    /// then to the smallest source name, so the answer never depends on
    /// write order.
    fn winner<'a>(&self, sources: &'a BTreeMap<String, Reputation>) -> Option<&'a Reputation> {
        self.winner_of(sources).map(|(_, r)| r)
    }

    /// The winning source and its entry.
    fn winner_of<'a>(
        &self,
        sources: &'a BTreeMap<String, Reputation>,
    ) -> Option<(&'a String, &'a Reputation)> {
        let config = self.config.read();
        let rank = |(s, r): &(&'a String, &'a Reputation)| {
            let primary = match config.policy {
                ConflictPolicy::LastWriteWins => 0,
                ConflictPolicy::MaxSeverity => u64::from(r.severity),
                ConflictPolicy::Priority => {
                    u64::from(config.priorities.get(s.as_str()).copied().unwrap_or(0))
                }
            };
            (primary, r.last_updated, Reverse(s.as_str()))
        };
        sources.iter().max_by_key(rank)
    }
}

impl std::fmt::Debug for ReputationStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ReputationStore")
            .field("name", &self.name)
            .field("owner", &self.owner)
            .field("entries", &self.len())
            .finish_non_exhaustive()
    }
}

impl DataStore for ReputationStore {
    fn name(&self) -> &str {
        &self.name
    }

    fn metadata(&self) -> StoreMetadata {
        StoreMetadata {
            name: self.name.clone(),
            description: format!("IP reputation ({:?} policy)", self.policy()),
            version: SCHEMA_VERSION,
            writable: true,
            owner: Some(self.owner.clone()),
        }
    }

    fn health(&self) -> HealthInfo {
        healthy(self.clock.as_ref())
    }

    fn metrics(&self) -> StoreMetrics {
        self.counters.snapshot(self.len())
    }
}

mod table;
#[cfg(test)]
mod tests;

use table::Table;
pub(crate) use table::canonical;
