//! `Stores`: the concrete stores of one host, built once, shared by every detector.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use sandtrap_model::SystemInfo;

use crate::clock::{Clock, SystemClock};
use crate::containers::{ContainerEnricher, Containers};
use crate::dns::DnsCache;
use crate::process::ProcessTree;
use crate::registry::Registry;
use crate::reputation::ReputationLimits;
use crate::symbols::KernelSymbols;
use crate::syscall_table::SyscallTable;
use crate::system::SystemInfoStore;
use crate::writable::ReputationStores;

/// The host's live state: concrete in-memory stores plus the registry
/// detectors read them through. Events go in with [`Stores::apply`].
pub struct Stores {
    pub(crate) processes: Arc<ProcessTree>,
    pub(crate) containers: Arc<Containers>,
    pub(crate) dns: Arc<DnsCache>,
    reputation: Arc<ReputationStores>,
    symbols: Option<Arc<KernelSymbols>>,
    system: Option<Arc<SystemInfoStore>>,
    syscalls: Arc<SyscallTable>,
    registry: Registry,
    pub(crate) rejected: AtomicU64,
    clock: Arc<dyn Clock>,
}

/// Where the system facts come from.
enum SystemSource {
    None,
    Given(Box<SystemInfo>),
    Machine,
}

/// Options of [`Stores`]. Defaults: wall clock, 65 536 processes, 4 096
/// containers, 65 536 DNS names, no kernel symbols, no system facts, no
/// enricher, default reputation limits.
pub struct StoresBuilder {
    clock: Arc<dyn Clock>,
    process_capacity: usize,
    container_capacity: usize,
    dns_capacity: usize,
    kernel_symbols: Option<KernelSymbols>,
    system: SystemSource,
    enricher: Option<Arc<dyn ContainerEnricher>>,
    reputation_limits: ReputationLimits,
}

impl Default for StoresBuilder {
    fn default() -> Self {
        Self {
            clock: Arc::new(SystemClock),
            process_capacity: 65_536,
            container_capacity: 4_096,
            dns_capacity: 65_536,
            kernel_symbols: None,
            system: SystemSource::None,
            enricher: None,
            reputation_limits: ReputationLimits::default(),
        }
    }
}

impl StoresBuilder {
    /// Clock for metrics and health stamps (a `FixedClock` in the mock host).
    pub fn clock(mut self, clock: Arc<dyn Clock>) -> Self {
        self.clock = clock;
        self
    }

    /// Most processes held.
    pub fn process_capacity(mut self, n: usize) -> Self {
        self.process_capacity = n;
        self
    }

    /// Most containers held.
    pub fn container_capacity(mut self, n: usize) -> Self {
        self.container_capacity = n;
        self
    }

    /// Most DNS names held.
    pub fn dns_capacity(mut self, n: usize) -> Self {
        self.dns_capacity = n;
        self
    }

    /// The kernel symbol table; `None` leaves the `symbol` store null.
    pub fn kernel_symbols(mut self, symbols: impl Into<Option<KernelSymbols>>) -> Self {
        self.kernel_symbols = symbols.into();
        self
    }

    /// Reads `/proc/kallsyms`; when it cannot be read the `symbol` store
    /// stays null and a warning is logged.
    pub fn kernel_symbols_from_machine(mut self) -> Self {
        self.kernel_symbols = match KernelSymbols::from_machine() {
            Ok(s) => Some(s),
            Err(e) => {
                tracing::warn!(error = %e, "cannot read /proc/kallsyms; kernel symbol store unavailable");
                None
            }
        };
        self
    }

    /// Fixed system facts; `None` leaves the `system` store null. Their
    /// `boot_time` turns process start ticks into times.
    pub fn system_info(mut self, info: impl Into<Option<SystemInfo>>) -> Self {
        self.system = info
            .into()
            .map_or(SystemSource::None, |i| SystemSource::Given(Box::new(i)));
        self
    }

    /// Reads the system facts of this machine at `build`.
    pub fn system_info_from_machine(mut self) -> Self {
        self.system = SystemSource::Machine;
        self
    }

    /// Asks a container runtime about each new container.
    pub fn enricher(mut self, enricher: Arc<dyn ContainerEnricher>) -> Self {
        self.enricher = Some(enricher);
        self
    }

    /// Bounds of the writable stores.
    pub fn reputation_limits(mut self, limits: ReputationLimits) -> Self {
        self.reputation_limits = limits;
        self
    }

    /// Makes the stores.
    pub fn build(self) -> Stores {
        let clock = self.clock;
        let system = match self.system {
            SystemSource::None => None,
            SystemSource::Given(info) => Some(SystemInfoStore::new(*info, clock.clone())),
            SystemSource::Machine => Some(SystemInfoStore::from_machine(clock.clone())),
        }
        .map(Arc::new);
        let boot_time = system.as_ref().map_or(0, |s| s.info().boot_time);
        let processes = Arc::new(ProcessTree::new(
            self.process_capacity,
            boot_time,
            clock.clone(),
        ));
        let containers = Arc::new(Containers::new(
            self.container_capacity,
            clock.clone(),
            self.enricher,
        ));
        let dns = Arc::new(DnsCache::new(self.dns_capacity, clock.clone()));
        let syscalls = Arc::new(SyscallTable::new(clock.clone()));
        let symbols = self
            .kernel_symbols
            .map(|s| Arc::new(s.with_clock(clock.clone())));
        let reputation = Arc::new(ReputationStores::new(self.reputation_limits, clock.clone()));

        let mut registry = Registry::new(reputation.clone())
            .with_processes(processes.clone())
            .with_containers(containers.clone())
            .with_dns(dns.clone())
            .with_syscalls(syscalls.clone());
        if let Some(s) = &symbols {
            registry = registry.with_kernel_symbols(s.clone());
        }
        if let Some(s) = &system {
            registry = registry.with_system(s.clone());
        }
        Stores {
            processes,
            containers,
            dns,
            reputation,
            symbols,
            system,
            syscalls,
            registry,
            rejected: AtomicU64::new(0),
            clock,
        }
    }
}

/// Store-backed selector filters (`blacklisted-in`), answered by the
/// writable stores before any detector is called.
impl sandtrap_model::SelectorStores for Stores {
    fn blacklisted(&self, store: &str, address: &str) -> bool {
        self.registry()
            .writable()
            .open(store)
            .is_ok_and(|s| s.is_blacklisted(address).unwrap_or(false))
    }
}

impl Stores {
    /// Options, starting from the defaults.
    pub fn builder() -> StoresBuilder {
        StoresBuilder::default()
    }

    /// What detectors read.
    pub fn registry(&self) -> &Registry {
        &self.registry
    }

    /// The process tree.
    pub fn processes(&self) -> &Arc<ProcessTree> {
        &self.processes
    }

    /// The containers.
    pub fn containers(&self) -> &Arc<Containers> {
        &self.containers
    }

    /// The DNS cache.
    pub fn dns(&self) -> &Arc<DnsCache> {
        &self.dns
    }

    /// The writable stores.
    pub fn reputation(&self) -> &Arc<ReputationStores> {
        &self.reputation
    }

    /// The kernel symbols, when loaded.
    pub fn kernel_symbols(&self) -> Option<&Arc<KernelSymbols>> {
        self.symbols.as_ref()
    }

    /// The system facts, when known.
    pub fn system(&self) -> Option<&Arc<SystemInfoStore>> {
        self.system.as_ref()
    }

    /// The syscall table.
    pub fn syscalls(&self) -> &Arc<SyscallTable> {
        &self.syscalls
    }

    /// The clock the stores stamp with.
    pub fn clock(&self) -> &Arc<dyn Clock> {
        &self.clock
    }

    /// Pieces of event input `apply` could not use (missing or malformed
    /// arguments, bad DNS records, …) since the stores were made.
    pub fn rejected(&self) -> u64 {
        self.rejected.load(Ordering::Relaxed)
    }
}
