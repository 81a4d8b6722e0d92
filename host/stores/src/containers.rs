//! Containers seen on this machine: a bounded map by id, with name and prefix lookup.

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

use parking_lot::RwLock;
use sandtrap_model::{
    ContainerFilter, ContainerInfo, HealthInfo, PodInfo, Runtime, StoreError, StoreMetadata,
    StoreMetrics,
};

use crate::clock::Clock;
use crate::metrics::{Counters, bounded, builtin_metadata, healthy};
use crate::traits::{ContainerStore, DataStore};

/// Shortest id prefix accepted by `get_container`, as `docker ps` prints.
pub const MIN_PREFIX: usize = 12;
/// Longest name, image or digest kept, in bytes.
const MAX_TEXT: usize = 1024;

/// Metadata a container runtime knows and a cgroup path does not.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ContainerEnrichment {
    /// Container name.
    pub name: String,
    /// Image reference.
    pub image: String,
    /// Image digest.
    pub image_digest: String,
    /// Start, ns since the Unix epoch (0: unknown).
    pub start_time: u64,
    /// Kubernetes pod, if any.
    pub pod: Option<PodInfo>,
}

/// Asks a container runtime about a container.
///
/// Called once per container, when the store first sees it, on the event
/// path and without any store lock held; an implementation should answer
/// from a cache or time out quickly. `None` leaves the record bare.
pub trait ContainerEnricher: Send + Sync {
    /// Metadata of container `id` owned by `runtime`.
    fn enrich(&self, id: &str, runtime: Runtime) -> Option<ContainerEnrichment>;
}

/// Containers by full id. When full, the container written longest ago
/// is dropped; a running container that is dropped comes back with its
/// next event.
pub struct Containers {
    inner: RwLock<Inner>,
    capacity: usize,
    enricher: Option<Arc<dyn ContainerEnricher>>,
    clock: Arc<dyn Clock>,
    counters: Counters,
}

#[derive(Default)]
struct Inner {
    by_id: BTreeMap<String, Slot>,
    /// Write sequence → id; the first entry is the eviction victim.
    by_age: BTreeMap<u64, String>,
    by_name: HashMap<String, String>,
    seq: u64,
    evictions: u64,
}

struct Slot {
    info: ContainerInfo,
    written: u64,
}

/// `id` lowercased when it is a full 64-hex container id.
pub(crate) fn normalize_id(id: &str) -> Option<String> {
    (id.len() == 64 && id.bytes().all(|b| b.is_ascii_hexdigit())).then(|| id.to_ascii_lowercase())
}

impl Containers {
    /// An empty store of at most `capacity` containers (at least 1).
    pub fn new(
        capacity: usize,
        clock: Arc<dyn Clock>,
        enricher: Option<Arc<dyn ContainerEnricher>>,
    ) -> Self {
        Self {
            inner: RwLock::default(),
            capacity: capacity.max(1),
            enricher,
            clock,
            counters: Counters::default(),
        }
    }

    /// Containers held now.
    pub fn len(&self) -> usize {
        self.inner.read().by_id.len()
    }

    /// True when none is held.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Containers dropped to make room.
    pub fn evictions(&self) -> u64 {
        self.inner.read().evictions
    }

    /// Adds or replaces a container. The id must be 64 hex digits.
    pub fn upsert(&self, info: ContainerInfo) -> Result<(), StoreError> {
        let id = normalize_id(&info.id).ok_or_else(|| {
            StoreError::InvalidArgument(format!(
                "container id {:?} is not 64 hex digits",
                bounded(&info.id, 80)
            ))
        })?;
        self.inner
            .write()
            .put(ContainerInfo { id, ..clean(info) }, self.capacity);
        Ok(())
    }

    /// Changes the container `id` with `f`, creating a bare record first
    /// when it is unknown. Returns false for an invalid id.
    pub(crate) fn update_with(&self, id: &str, f: impl FnOnce(&mut ContainerInfo)) -> bool {
        let Some(id) = normalize_id(id) else {
            return false;
        };
        let mut inner = self.inner.write();
        let mut info = inner
            .by_id
            .get(&id)
            .map(|s| s.info.clone())
            .unwrap_or_default();
        f(&mut info);
        info.id = id;
        inner.put(clean(info), self.capacity);
        true
    }

    /// Makes sure container `id` is known; the first time, records it with
    /// `runtime` and `start_hint` and asks the enricher. Returns true when
    /// the container was new.
    pub(crate) fn ensure(&self, id: &str, runtime: Runtime, start_hint: u64) -> bool {
        if self.inner.read().by_id.contains_key(id) {
            return false;
        }
        {
            let mut inner = self.inner.write();
            if inner.by_id.contains_key(id) {
                return false;
            }
            let info = ContainerInfo {
                id: id.to_owned(),
                runtime: runtime.as_str().to_owned(),
                start_time: start_hint,
                ..ContainerInfo::default()
            };
            inner.put(info, self.capacity);
        }
        // Outside the lock: the enricher may talk to a runtime socket.
        if let Some(e) = self.enricher.as_ref().and_then(|en| en.enrich(id, runtime)) {
            let mut inner = self.inner.write();
            if let Some(mut info) = inner.by_id.get(id).map(|s| s.info.clone()) {
                fill(&mut info.name, &e.name);
                fill(&mut info.image, &e.image);
                fill(&mut info.image_digest, &e.image_digest);
                if e.start_time != 0 {
                    info.start_time = e.start_time;
                }
                if info.pod.is_none() {
                    info.pod = e.pod;
                }
                inner.put(clean(info), self.capacity);
            }
        }
        true
    }

    /// Forgets container `id`; true when it was known.
    pub fn remove(&self, id: &str) -> bool {
        let id = id.to_ascii_lowercase();
        self.inner.write().remove(&id).is_some()
    }
}

fn fill(field: &mut String, value: &str) {
    if field.is_empty() {
        *field = value.to_owned();
    }
}

/// Bounds the free-text fields of outside input.
fn clean(mut c: ContainerInfo) -> ContainerInfo {
    for s in [
        &mut c.name,
        &mut c.image,
        &mut c.image_digest,
        &mut c.runtime,
    ] {
        if s.len() > MAX_TEXT {
            *s = bounded(s, MAX_TEXT);
        }
    }
    if let Some(p) = c.pod.as_mut() {
        for s in [&mut p.name, &mut p.uid, &mut p.namespace] {
            if s.len() > MAX_TEXT {
                *s = bounded(s, MAX_TEXT);
            }
        }
    }
    c
}

impl Inner {
    fn put(&mut self, info: ContainerInfo, capacity: usize) {
        let id = info.id.clone();
        if self.remove(&id).is_none() && self.by_id.len() >= capacity {
            let victim = self.by_age.first_key_value().map(|(_, v)| v.clone());
            if let Some(v) = victim {
                self.remove(&v);
                self.evictions += 1;
            }
        }
        self.seq += 1;
        self.by_age.insert(self.seq, id.clone());
        if !info.name.is_empty() {
            self.by_name.insert(info.name.clone(), id.clone());
        }
        self.by_id.insert(
            id,
            Slot {
                info,
                written: self.seq,
            },
        );
    }

    fn remove(&mut self, id: &str) -> Option<ContainerInfo> {
        let slot = self.by_id.remove(id)?;
        self.by_age.remove(&slot.written);
        if self.by_name.get(&slot.info.name).is_some_and(|v| v == id) {
            self.by_name.remove(&slot.info.name);
        }
        Some(slot.info)
    }

    fn lookup(&self, id: &str) -> Result<ContainerInfo, StoreError> {
        if id.is_empty() {
            return Err(StoreError::InvalidArgument("empty container id".into()));
        }
        if id.len() < MIN_PREFIX {
            return Err(StoreError::InvalidArgument(format!(
                "container id prefix must have at least {MIN_PREFIX} characters"
            )));
        }
        let key = id.to_ascii_lowercase();
        if let Some(s) = self.by_id.get(&key) {
            return Ok(s.info.clone());
        }
        let mut matches = self
            .by_id
            .range(key.clone()..)
            .take_while(|(k, _)| k.starts_with(&key));
        match (matches.next(), matches.next()) {
            (Some((_, s)), None) => Ok(s.info.clone()),
            (Some(_), Some(_)) => Err(StoreError::InvalidArgument(format!(
                "container id prefix {key} is ambiguous"
            ))),
            (None, _) => Err(StoreError::NotFound),
        }
    }
}

impl DataStore for Containers {
    fn name(&self) -> &str {
        "container"
    }

    fn metadata(&self) -> StoreMetadata {
        builtin_metadata(
            "container",
            "Containers by id and name, with runtime and pod",
        )
    }

    fn health(&self) -> HealthInfo {
        healthy(self.clock.as_ref())
    }

    fn metrics(&self) -> StoreMetrics {
        self.counters.snapshot(self.len())
    }
}

impl ContainerStore for Containers {
    fn get_container(&self, id: &str) -> Result<ContainerInfo, StoreError> {
        let r = self.inner.read().lookup(id);
        self.counters.record(self.clock.as_ref(), &r);
        r
    }

    fn get_container_by_name(&self, name: &str) -> Result<ContainerInfo, StoreError> {
        let r = if name.is_empty() {
            Err(StoreError::InvalidArgument("empty container name".into()))
        } else {
            let inner = self.inner.read();
            inner
                .by_name
                .get(name)
                .and_then(|id| inner.by_id.get(id))
                .map(|s| s.info.clone())
                .ok_or(StoreError::NotFound)
        };
        self.counters.record(self.clock.as_ref(), &r);
        r
    }

    fn list_containers(
        &self,
        filter: Option<&ContainerFilter>,
    ) -> Result<Vec<ContainerInfo>, StoreError> {
        let out: Vec<ContainerInfo> = self
            .inner
            .read()
            .by_id
            .values()
            .filter(|s| filter.is_none_or(|f| f.matches(&s.info)))
            .map(|s| s.info.clone())
            .collect();
        self.counters.success(self.clock.as_ref());
        Ok(out)
    }
}

#[cfg(test)]
mod tests;
