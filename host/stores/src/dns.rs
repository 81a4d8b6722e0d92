//! The DNS cache: answers seen in DNS responses, by name and by address.

use std::collections::{HashMap, HashSet, VecDeque};
use std::net::IpAddr;
use std::num::NonZeroUsize;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use lru::LruCache;
use parking_lot::RwLock;
use sandtrap_model::{DnsResponse, HealthInfo, StoreError, StoreMetadata, StoreMetrics};

use crate::clock::Clock;
use crate::dns_record::{RData, normalize_name, parse_record};
use crate::metrics::{Counters, builtin_metadata, healthy};
use crate::traits::{DataStore, DnsStore};

/// Answers kept per name; a name with more keeps those expiring last.
const MAX_ANSWERS_PER_NAME: usize = 64;
/// Names kept per address in the reverse index (CDN addresses serve
/// thousands of names; the first ones seen are enough to explain a flow).
const MAX_NAMES_PER_IP: usize = 256;
/// Longest CNAME chain followed.
const MAX_CHAIN: usize = 16;
/// Records taken from one response; a DNS message cannot hold many more.
const MAX_RECORDS_PER_RESPONSE: usize = 512;

/// Answers by name, bounded by an LRU over names, plus a reverse index
/// from address to names kept consistent as answers leave.
///
/// "Now" is the newest event timestamp seen, not the wall clock, so a
/// replayed trace expires answers exactly as the live run did.
pub struct DnsCache {
    inner: RwLock<Inner>,
    now: AtomicU64,
    malformed: AtomicU64,
    clock: Arc<dyn Clock>,
    counters: Counters,
}

struct Inner {
    names: LruCache<String, Vec<Answer>>,
    reverse: HashMap<IpAddr, HashSet<String>>,
    /// CNAME target → names that are aliases of it, so an address query
    /// finds the name a process asked for, not only the CDN edge name.
    aliases: HashMap<String, HashSet<String>>,
    reverse_dropped: u64,
}

#[derive(Debug, Clone)]
struct Answer {
    data: RData,
    /// ns since the Unix epoch; live while greater than the cache's now.
    expires: u64,
}

impl DnsCache {
    /// An empty cache of at most `capacity` names (at least 1).
    pub fn new(capacity: usize, clock: Arc<dyn Clock>) -> Self {
        let cap = NonZeroUsize::new(capacity).unwrap_or(NonZeroUsize::MIN);
        Self {
            inner: RwLock::new(Inner {
                names: LruCache::new(cap),
                reverse: HashMap::new(),
                aliases: HashMap::new(),
                reverse_dropped: 0,
            }),
            now: AtomicU64::new(0),
            malformed: AtomicU64::new(0),
            clock,
            counters: Counters::default(),
        }
    }

    /// Records the answer section of a response seen at `ts` (ns since the
    /// epoch). Each entry is one record line (`name TTL [IN] TYPE data`).
    /// Returns how many lines were malformed and skipped.
    pub fn record_response(&self, ts: u64, answers: &[String]) -> usize {
        let now = self.now.fetch_max(ts, Ordering::Relaxed).max(ts);
        let mut bad = answers.len().saturating_sub(MAX_RECORDS_PER_RESPONSE);
        let mut inner = self.inner.write();
        for line in answers.iter().take(MAX_RECORDS_PER_RESPONSE) {
            match parse_record(line) {
                Ok(Some(rec)) => {
                    let expires =
                        ts.saturating_add(u64::from(rec.ttl).saturating_mul(1_000_000_000));
                    if expires > now {
                        inner.add(rec.name, rec.data, expires, now);
                    }
                }
                Ok(None) => {}
                Err(why) => {
                    tracing::debug!(reason = why.0, "malformed DNS answer skipped");
                    bad += 1;
                }
            }
        }
        self.malformed.fetch_add(bad as u64, Ordering::Relaxed);
        bad
    }

    /// Names held now.
    pub fn len(&self) -> usize {
        self.inner.read().names.len()
    }

    /// True when no name is held.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Malformed answer lines skipped since the cache was made.
    pub fn malformed(&self) -> u64 {
        self.malformed.load(Ordering::Relaxed)
    }

    /// Address→name links not kept because the address already had the
    /// most names the reverse index keeps.
    pub fn reverse_dropped(&self) -> u64 {
        self.inner.read().reverse_dropped
    }

    /// The cache's clock: the newest event timestamp seen.
    pub fn now(&self) -> u64 {
        self.now.load(Ordering::Relaxed)
    }

    fn lookup(&self, query: &str) -> Result<DnsResponse, StoreError> {
        let now = self.now();
        let inner = self.inner.read();
        if let Ok(ip) = query.parse::<IpAddr>() {
            let mut domains: Vec<String> = inner
                .reverse
                .get(&ip)
                .into_iter()
                .flatten()
                .filter(|n| inner.has_addr(n, ip, now))
                .cloned()
                .collect();
            inner.add_aliases(&mut domains, now);
            if domains.is_empty() {
                return Err(StoreError::NotFound);
            }
            domains.sort();
            return Ok(DnsResponse {
                query: ip.to_string(),
                ips: Vec::new(),
                domains,
            });
        }
        let name = normalize_name(query).ok_or_else(|| {
            StoreError::InvalidArgument(format!(
                "{:?} is neither a domain name nor an IP address",
                crate::metrics::bounded(query, 80)
            ))
        })?;
        let live = |n: &str| {
            inner
                .names
                .peek(n)
                .into_iter()
                .flatten()
                .filter(move |a| a.expires > now)
        };
        if live(&name).next().is_none() {
            return Err(StoreError::NotFound);
        }
        let (mut ips, mut domains) = (Vec::new(), Vec::new());
        let mut seen = HashSet::from([name.clone()]);
        let mut queue = VecDeque::from([(name.clone(), 0usize)]);
        while let Some((n, depth)) = queue.pop_front() {
            for a in live(&n) {
                match &a.data {
                    RData::Addr(ip) => {
                        let s = ip.to_string();
                        if !ips.contains(&s) {
                            ips.push(s);
                        }
                    }
                    RData::Cname(target) if depth < MAX_CHAIN && seen.insert(target.clone()) => {
                        domains.push(target.clone());
                        queue.push_back((target.clone(), depth + 1));
                    }
                    RData::Cname(_) => {}
                }
            }
        }
        Ok(DnsResponse {
            query: name,
            ips,
            domains,
        })
    }
}

impl Inner {
    fn add(&mut self, name: String, data: RData, expires: u64, now: u64) {
        let mut gone: Vec<IpAddr> = Vec::new();
        let mut gone_targets: Vec<String> = Vec::new();
        if !self.names.contains(&name)
            && self.names.len() == self.names.cap().get()
            && let Some((old_name, old)) = self.names.pop_lru()
        {
            self.unindex(&old_name, old.iter().filter_map(addr));
            self.unalias(&old_name, old.iter().filter_map(cname));
        }
        let answers = self.names.get_or_insert_mut(name.clone(), Vec::new);
        answers.retain(|a| {
            let keep = a.expires > now;
            if !keep {
                match &a.data {
                    RData::Addr(ip) => gone.push(*ip),
                    RData::Cname(t) => gone_targets.push(t.clone()),
                }
            }
            keep
        });
        let mut added = None;
        let mut added_target = None;
        if let Some(a) = answers.iter_mut().find(|a| a.data == data) {
            a.expires = a.expires.max(expires);
        } else {
            match &data {
                RData::Addr(ip) => added = Some(*ip),
                RData::Cname(t) => added_target = Some(t.clone()),
            }
            answers.push(Answer { data, expires });
            if answers.len() > MAX_ANSWERS_PER_NAME
                && let Some(i) = answers
                    .iter()
                    .enumerate()
                    .min_by_key(|(_, a)| a.expires)
                    .map(|(i, _)| i)
            {
                let dropped = answers.swap_remove(i);
                match dropped.data {
                    RData::Addr(ip) if added == Some(ip) => added = None,
                    RData::Addr(ip) => gone.push(ip),
                    RData::Cname(t) if added_target.as_ref() == Some(&t) => added_target = None,
                    RData::Cname(t) => gone_targets.push(t),
                }
            }
        }
        self.unindex(&name, gone.into_iter());
        self.unalias(&name, gone_targets.into_iter());
        if let Some(target) = added_target {
            self.aliases.entry(target).or_default().insert(name.clone());
        }
        if let Some(ip) = added {
            self.index(name, ip, now);
        }
    }

    fn unalias(&mut self, name: &str, targets: impl Iterator<Item = String>) {
        for t in targets {
            if let Some(set) = self.aliases.get_mut(&t) {
                set.remove(name);
                if set.is_empty() {
                    self.aliases.remove(&t);
                }
            }
        }
    }

    /// Extends `names` with every live alias chain leading to them, at
    /// most [`MAX_CHAIN`] deep and [`MAX_NAMES_PER_IP`] names in all.
    fn add_aliases(&self, names: &mut Vec<String>, now: u64) {
        let mut seen: HashSet<String> = names.iter().cloned().collect();
        let mut frontier = names.clone();
        for _ in 0..MAX_CHAIN {
            let mut next = Vec::new();
            for target in &frontier {
                for src in self.aliases.get(target).into_iter().flatten() {
                    if seen.len() >= MAX_NAMES_PER_IP {
                        return;
                    }
                    if self.has_cname(src, target, now) && seen.insert(src.clone()) {
                        names.push(src.clone());
                        next.push(src.clone());
                    }
                }
            }
            if next.is_empty() {
                return;
            }
            frontier = next;
        }
    }

    fn has_cname(&self, name: &str, target: &str, now: u64) -> bool {
        self.names.peek(name).is_some_and(|v| {
            v.iter()
                .any(|a| a.expires > now && matches!(&a.data, RData::Cname(t) if t == target))
        })
    }

    fn index(&mut self, name: String, ip: IpAddr, now: u64) {
        let full = self
            .reverse
            .get(&ip)
            .is_some_and(|s| s.len() >= MAX_NAMES_PER_IP && !s.contains(&name));
        if full {
            // Make room by forgetting names whose answer for ip has expired.
            let stale: Vec<String> = self.reverse[&ip]
                .iter()
                .filter(|n| !self.has_addr(n, ip, now))
                .cloned()
                .collect();
            let set = self.reverse.entry(ip).or_default();
            for n in &stale {
                set.remove(n);
            }
            if set.len() >= MAX_NAMES_PER_IP {
                self.reverse_dropped += 1;
                return;
            }
        }
        self.reverse.entry(ip).or_default().insert(name);
    }

    fn unindex(&mut self, name: &str, ips: impl Iterator<Item = IpAddr>) {
        for ip in ips {
            if let Some(set) = self.reverse.get_mut(&ip) {
                set.remove(name);
                if set.is_empty() {
                    self.reverse.remove(&ip);
                }
            }
        }
    }

    fn has_addr(&self, name: &str, ip: IpAddr, now: u64) -> bool {
        self.names.peek(name).is_some_and(|v| {
            v.iter()
                .any(|a| a.expires > now && a.data == RData::Addr(ip))
        })
    }
}

fn cname(a: &Answer) -> Option<String> {
    match &a.data {
        RData::Cname(t) => Some(t.clone()),
        RData::Addr(_) => None,
    }
}

fn addr(a: &Answer) -> Option<IpAddr> {
    match a.data {
        RData::Addr(ip) => Some(ip),
        RData::Cname(_) => None,
    }
}

impl DataStore for DnsCache {
    fn name(&self) -> &str {
        "dns"
    }

    fn metadata(&self) -> StoreMetadata {
        builtin_metadata(
            "dns",
            "DNS answers observed on this machine, by name and by address",
        )
    }

    fn health(&self) -> HealthInfo {
        healthy(self.clock.as_ref())
    }

    fn metrics(&self) -> StoreMetrics {
        self.counters.snapshot(self.len())
    }
}

impl DnsStore for DnsCache {
    fn get_dns_response(&self, query: &str) -> Result<DnsResponse, StoreError> {
        let r = self.lookup(query);
        self.counters.record(self.clock.as_ref(), &r);
        r
    }
}

#[cfg(test)]
mod tests;
