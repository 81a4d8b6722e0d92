//! The entries of one reputation store, keyed by canonical prefix, with per-source and per-length indexes.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::net::IpAddr;

use ipnet::IpNet;
use sandtrap_model::{Reputation, StoreError};

use super::ReputationLimits;
use crate::clock::Clock;
use crate::metrics::bounded;

/// (key, source) → entry, plus the indexes that keep `clear(source)` and
/// longest-prefix lookups proportional to what they touch.
pub(super) struct Table {
    pub(super) keys: HashMap<IpNet, BTreeMap<String, Reputation>>,
    pub(super) by_source: BTreeMap<String, HashSet<IpNet>>,
    /// Keys per prefix length, so a lookup probes only lengths in use.
    pub(super) v4_lens: [u32; 33],
    pub(super) v6_lens: [u32; 129],
    pub(super) entries: usize,
}

/// The key of `ip` (an address or CIDR prefix): host bits cleared,
/// IPv4-mapped IPv6 addresses as IPv4.
pub(crate) fn canonical(ip: &str) -> Result<IpNet, StoreError> {
    if let Ok(addr) = ip.parse::<IpAddr>() {
        return Ok(IpNet::from(addr.to_canonical()));
    }
    ip.parse::<IpNet>().map(|n| n.trunc()).map_err(|_| {
        StoreError::InvalidArgument(format!(
            "{:?} is not an IP address or CIDR prefix",
            bounded(ip, 80)
        ))
    })
}

/// Text of a key: a bare address for a host key, else `addr/len`.
fn key_text(k: &IpNet) -> String {
    if k.prefix_len() == k.max_prefix_len() {
        k.addr().to_string()
    } else {
        k.to_string()
    }
}

impl Default for Table {
    fn default() -> Self {
        Self {
            keys: HashMap::new(),
            by_source: BTreeMap::new(),
            v4_lens: [0; 33],
            v6_lens: [0; 129],
            entries: 0,
        }
    }
}

impl Table {
    pub(super) fn put(
        &mut self,
        source: &str,
        mut e: Reputation,
        limits: &ReputationLimits,
        clock: &dyn Clock,
    ) -> Result<(), StoreError> {
        let key = canonical(&e.ip)?;
        if !(1..=10).contains(&e.severity) {
            return Err(StoreError::InvalidArgument(format!(
                "severity {} is not in 1..=10",
                e.severity
            )));
        }
        if e.tags.len() > limits.max_tags {
            return Err(StoreError::InvalidArgument(format!(
                "more than {} tags",
                limits.max_tags
            )));
        }
        if e.tags.iter().any(|t| t.len() > limits.max_tag_len) {
            return Err(StoreError::InvalidArgument(format!(
                "a tag is longer than {} bytes",
                limits.max_tag_len
            )));
        }
        let exists = self.keys.get(&key).is_some_and(|m| m.contains_key(source));
        if !exists && self.entries >= limits.max_entries {
            return Err(StoreError::InvalidArgument("store full".into()));
        }
        e.ip = key_text(&key);
        if e.last_updated == 0 {
            e.last_updated = clock.now_ns();
        }
        if !self.keys.contains_key(&key) {
            *self.lens_mut(&key) += 1;
        }
        if self
            .keys
            .entry(key)
            .or_default()
            .insert(source.to_owned(), e)
            .is_none()
        {
            self.entries += 1;
            self.by_source
                .entry(source.to_owned())
                .or_default()
                .insert(key);
        }
        Ok(())
    }

    pub(super) fn remove(&mut self, source: &str, key: &IpNet) -> bool {
        let Some(sources) = self.keys.get_mut(key) else {
            return false;
        };
        if sources.remove(source).is_none() {
            return false;
        }
        if sources.is_empty() {
            self.keys.remove(key);
            *self.lens_mut(key) -= 1;
        }
        self.entries -= 1;
        if let Some(set) = self.by_source.get_mut(source) {
            set.remove(key);
            if set.is_empty() {
                self.by_source.remove(source);
            }
        }
        true
    }

    fn lens_mut(&mut self, key: &IpNet) -> &mut u32 {
        let len = usize::from(key.prefix_len());
        match key {
            IpNet::V4(_) => &mut self.v4_lens[len],
            IpNet::V6(_) => &mut self.v6_lens[len],
        }
    }

    pub(super) fn longest_match(&self, key: &IpNet) -> Option<&BTreeMap<String, Reputation>> {
        let lens: &[u32] = match key {
            IpNet::V4(_) => &self.v4_lens,
            IpNet::V6(_) => &self.v6_lens,
        };
        (0..=key.prefix_len())
            .rev()
            .filter(|&l| lens[usize::from(l)] > 0)
            .filter_map(|l| IpNet::new(key.addr(), l).ok().map(|n| n.trunc()))
            .find_map(|n| self.keys.get(&n))
    }
}
