//! The registry detectors see: one accessor per core store, introspection by name.

use std::sync::Arc;

use sandtrap_model::{HealthInfo, HealthStatus, StoreError, StoreMetadata, StoreMetrics};

use crate::null::NullStore;
use crate::traits::{
    ContainerStore, DataStore, DnsStore, KernelSymbolStore, ProcessStore, SyscallStore, SystemStore,
};
use crate::writable::{BUILTIN_NAMES, ReputationStores};

static NULL_PROCESS: NullStore = NullStore::new("process");
static NULL_CONTAINER: NullStore = NullStore::new("container");
static NULL_SYSTEM: NullStore = NullStore::new("system");
static NULL_SYSCALL: NullStore = NullStore::new("syscall");
static NULL_SYMBOL: NullStore = NullStore::new("symbol");
static NULL_DNS: NullStore = NullStore::new("dns");

/// Every store by role. An accessor never fails: a store the host lacks
/// is a [`NullStore`] answering `StoreUnhealthy`, as in the seed API.
pub struct Registry {
    processes: Option<Arc<dyn ProcessStore>>,
    containers: Option<Arc<dyn ContainerStore>>,
    system: Option<Arc<dyn SystemStore>>,
    syscalls: Option<Arc<dyn SyscallStore>>,
    symbols: Option<Arc<dyn KernelSymbolStore>>,
    dns: Option<Arc<dyn DnsStore>>,
    writable: Arc<ReputationStores>,
}

impl Registry {
    /// A registry with no core store yet and `writable` for the writable ones.
    pub fn new(writable: Arc<ReputationStores>) -> Self {
        Self {
            processes: None,
            containers: None,
            system: None,
            syscalls: None,
            symbols: None,
            dns: None,
            writable,
        }
    }

    /// Sets the process store.
    pub fn with_processes(mut self, s: Arc<dyn ProcessStore>) -> Self {
        self.processes = Some(s);
        self
    }

    /// Sets the container store.
    pub fn with_containers(mut self, s: Arc<dyn ContainerStore>) -> Self {
        self.containers = Some(s);
        self
    }

    /// Sets the system store.
    pub fn with_system(mut self, s: Arc<dyn SystemStore>) -> Self {
        self.system = Some(s);
        self
    }

    /// Sets the syscall store.
    pub fn with_syscalls(mut self, s: Arc<dyn SyscallStore>) -> Self {
        self.syscalls = Some(s);
        self
    }

    /// Sets the kernel symbol store.
    pub fn with_kernel_symbols(mut self, s: Arc<dyn KernelSymbolStore>) -> Self {
        self.symbols = Some(s);
        self
    }

    /// Sets the DNS store.
    pub fn with_dns(mut self, s: Arc<dyn DnsStore>) -> Self {
        self.dns = Some(s);
        self
    }

    /// The process tree.
    pub fn processes(&self) -> &dyn ProcessStore {
        self.processes.as_deref().unwrap_or(&NULL_PROCESS)
    }

    /// The containers.
    pub fn containers(&self) -> &dyn ContainerStore {
        self.containers.as_deref().unwrap_or(&NULL_CONTAINER)
    }

    /// The machine facts.
    pub fn system(&self) -> &dyn SystemStore {
        self.system.as_deref().unwrap_or(&NULL_SYSTEM)
    }

    /// The syscall table.
    pub fn syscalls(&self) -> &dyn SyscallStore {
        self.syscalls.as_deref().unwrap_or(&NULL_SYSCALL)
    }

    /// The kernel symbols.
    pub fn kernel_symbols(&self) -> &dyn KernelSymbolStore {
        self.symbols.as_deref().unwrap_or(&NULL_SYMBOL)
    }

    /// The DNS cache.
    pub fn dns(&self) -> &dyn DnsStore {
        self.dns.as_deref().unwrap_or(&NULL_DNS)
    }

    /// The writable stores.
    pub fn writable(&self) -> &Arc<ReputationStores> {
        &self.writable
    }

    /// A core store by registry name, and whether it is real (not null).
    fn core(&self, name: &str) -> Option<(&dyn DataStore, bool)> {
        let s: (&dyn DataStore, bool) = match name {
            "process" => (self.processes(), self.processes.is_some()),
            "container" => (self.containers(), self.containers.is_some()),
            "system" => (self.system(), self.system.is_some()),
            "syscall" => (self.syscalls(), self.syscalls.is_some()),
            "symbol" => (self.kernel_symbols(), self.symbols.is_some()),
            "dns" => (self.dns(), self.dns.is_some()),
            _ => return None,
        };
        Some(s)
    }

    /// Available core stores in the fixed order `process`, `container`,
    /// `system`, `syscall`, `symbol`, `dns`, then writable stores by name.
    pub fn list(&self) -> Vec<String> {
        let mut out: Vec<String> = BUILTIN_NAMES
            .iter()
            .filter(|n| self.is_available(n))
            .map(|n| (*n).to_owned())
            .collect();
        out.extend(self.writable.names());
        out
    }

    /// True for a core store that exists and is not unhealthy, and for a
    /// registered writable store.
    pub fn is_available(&self, name: &str) -> bool {
        match self.core(name) {
            Some((s, real)) => real && s.health().status != HealthStatus::Unhealthy,
            None => self.writable.open(name).is_ok(),
        }
    }

    fn with_store<T>(&self, name: &str, f: impl Fn(&dyn DataStore) -> T) -> Result<T, StoreError> {
        if let Some((s, _)) = self.core(name) {
            return Ok(f(s));
        }
        let w = self.writable.open(name)?;
        Ok(f(w.as_ref()))
    }

    /// Description of store `name`; `NotFound` for an unknown name.
    pub fn get_metadata(&self, name: &str) -> Result<StoreMetadata, StoreError> {
        self.with_store(name, |s| s.metadata())
    }

    /// Health of store `name`; a missing core store reports unhealthy.
    pub fn get_health(&self, name: &str) -> Result<HealthInfo, StoreError> {
        self.with_store(name, |s| s.health())
    }

    /// Counters of store `name`.
    pub fn get_metrics(&self, name: &str) -> Result<StoreMetrics, StoreError> {
        self.with_store(name, |s| s.metrics())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::clock::FixedClock;
    use crate::process::ProcessTree;
    use crate::reputation::ReputationLimits;
    use crate::symbols::KernelSymbols;
    use sandtrap_model::ConflictPolicy;

    fn registry() -> Registry {
        let clock = Arc::new(FixedClock::new(1));
        let writable = Arc::new(ReputationStores::new(
            ReputationLimits::default(),
            clock.clone(),
        ));
        Registry::new(writable).with_processes(Arc::new(ProcessTree::new(4, 0, clock)))
    }

    #[test]
    fn missing_stores_are_null_and_unavailable() {
        let r = registry();
        assert_eq!(r.list(), ["process"]);
        assert!(r.is_available("process"));
        assert!(!r.is_available("symbol"));
        assert_eq!(
            r.kernel_symbols().get_symbol_address("x"),
            Err(StoreError::StoreUnhealthy)
        );
        let h = r.get_health("dns").unwrap();
        assert_eq!(h.status, HealthStatus::Unhealthy);
        assert!(h.message.contains("dns"));
        assert_eq!(r.get_metadata("nope"), Err(StoreError::NotFound));
        assert_eq!(r.get_metrics("nope"), Err(StoreError::NotFound));
        assert!(!r.is_available("nope"));
    }

    #[test]
    fn unhealthy_store_is_registered_but_not_available() {
        let hidden = KernelSymbols::from_kallsyms_text("0000000000000000 T _text\n");
        let r = registry().with_kernel_symbols(Arc::new(hidden));
        assert!(!r.is_available("symbol"));
        assert_eq!(
            r.get_health("symbol").unwrap().message,
            "addresses hidden by kptr_restrict"
        );
    }

    #[test]
    fn writable_stores_follow_core_ones() {
        let r = registry();
        r.writable()
            .register("zz", "d", ConflictPolicy::LastWriteWins, &[])
            .unwrap();
        r.writable()
            .register("aa", "d", ConflictPolicy::LastWriteWins, &[])
            .unwrap();
        assert_eq!(r.list(), ["process", "aa", "zz"]);
        assert!(r.is_available("aa"));
        let m = r.get_metadata("aa").unwrap();
        assert_eq!((m.writable, m.owner.as_deref()), (true, Some("d")));
        assert_eq!(r.get_metrics("aa").unwrap().item_count, 0);
        assert_eq!(r.get_health("aa").unwrap().status, HealthStatus::Healthy);
        let _ = r.processes().get_process(1);
        assert_eq!(r.get_metrics("process").unwrap().cache_misses, 1);
    }
}
