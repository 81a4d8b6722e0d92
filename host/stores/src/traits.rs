//! The store traits detectors read through, mirroring the seed's DataStore API.

use sandtrap_model::{
    ContainerFilter, ContainerInfo, DnsResponse, HealthInfo, ProcessInfo, StoreError,
    StoreMetadata, StoreMetrics, SymbolInfo, SystemInfo,
};

/// What every store, built in or writable, answers.
pub trait DataStore: Send + Sync {
    /// Registry name, e.g. `process`.
    fn name(&self) -> &str;
    /// Static description.
    fn metadata(&self) -> StoreMetadata;
    /// Health, evaluated at the call.
    fn health(&self) -> HealthInfo;
    /// Counters since the store was made.
    fn metrics(&self) -> StoreMetrics;
}

/// The process tree, keyed by entity id.
pub trait ProcessStore: DataStore {
    /// The process with this entity id.
    fn get_process(&self, entity_id: u64) -> Result<ProcessInfo, StoreError>;
    /// Direct children, oldest first; `NotFound` when the process is unknown.
    fn get_child_processes(&self, entity_id: u64) -> Result<Vec<ProcessInfo>, StoreError>;
    /// `[0]` is the process, `[1]` its parent, …, at most `max_depth`
    /// entries. Empty when `max_depth` is 0 or the process is unknown;
    /// stops at a missing parent or a loop.
    fn get_ancestry(&self, entity_id: u64, max_depth: u32) -> Result<Vec<ProcessInfo>, StoreError>;

    /// Shows `f` the process, without copying it; what `get_process`
    /// answers. The host encodes answers for detectors this way.
    fn visit_process(
        &self,
        entity_id: u64,
        f: &mut dyn FnMut(&ProcessInfo),
    ) -> Result<(), StoreError> {
        self.get_process(entity_id).map(|p| f(&p))
    }

    /// Shows `f` each process `get_ancestry` would answer, in order,
    /// without copying them.
    fn visit_ancestry(
        &self,
        entity_id: u64,
        max_depth: u32,
        f: &mut dyn FnMut(&ProcessInfo),
    ) -> Result<(), StoreError> {
        self.get_ancestry(entity_id, max_depth)
            .map(|chain| chain.iter().for_each(&mut *f))
    }
}

/// Containers seen on this machine.
pub trait ContainerStore: DataStore {
    /// By full id, or by a unique prefix of at least 12 characters.
    fn get_container(&self, id: &str) -> Result<ContainerInfo, StoreError>;
    /// By exact name.
    fn get_container_by_name(&self, name: &str) -> Result<ContainerInfo, StoreError>;
    /// Every container passing `filter`, sorted by id.
    fn list_containers(
        &self,
        filter: Option<&ContainerFilter>,
    ) -> Result<Vec<ContainerInfo>, StoreError>;
}

/// Immutable facts about the machine.
pub trait SystemStore: DataStore {
    /// The facts.
    fn get_system_info(&self) -> Result<SystemInfo, StoreError>;
}

/// The syscall table of the running architecture.
pub trait SyscallStore: DataStore {
    /// Name of syscall number `id`.
    fn get_syscall_name(&self, id: i32) -> Result<String, StoreError>;
    /// Number of the syscall called `name`.
    fn get_syscall_id(&self, name: &str) -> Result<i32, StoreError>;
}

/// Kernel symbols from kallsyms.
pub trait KernelSymbolStore: DataStore {
    /// Every alias at the greatest start address `<= addr`; `NotFound`
    /// below the first or past the last symbol.
    fn resolve_symbol_by_address(&self, addr: u64) -> Result<Vec<SymbolInfo>, StoreError>;
    /// Address of `name`; the first in kallsyms order when repeated.
    fn get_symbol_address(&self, name: &str) -> Result<u64, StoreError>;
    /// The addresses that resolved, in input order, with their symbols.
    fn resolve_symbols_batch(
        &self,
        addrs: &[u64],
    ) -> Result<Vec<(u64, Vec<SymbolInfo>)>, StoreError>;
}

/// DNS answers observed while the host ran.
pub trait DnsStore: DataStore {
    /// A domain (its addresses and CNAME chain) or an address (the names
    /// that resolved to it).
    fn get_dns_response(&self, query: &str) -> Result<DnsResponse, StoreError>;
}
