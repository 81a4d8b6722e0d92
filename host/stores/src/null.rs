//! The stand-in for a store the host does not have: every call is `StoreUnhealthy`.

use sandtrap_model::{
    ContainerFilter, ContainerInfo, DnsResponse, HealthInfo, HealthStatus, ProcessInfo, StoreError,
    StoreMetadata, StoreMetrics, SymbolInfo, SystemInfo,
};

use crate::metrics::SCHEMA_VERSION;
use crate::traits::{
    ContainerStore, DataStore, DnsStore, KernelSymbolStore, ProcessStore, SyscallStore, SystemStore,
};

/// A missing store. The registry hands it out in place of the real one
/// so callers need no "is it there" check before every call.
#[derive(Debug, Clone, Copy)]
pub struct NullStore {
    name: &'static str,
}

impl NullStore {
    /// The stand-in for the store called `name`.
    pub const fn new(name: &'static str) -> Self {
        Self { name }
    }
}

impl DataStore for NullStore {
    fn name(&self) -> &str {
        self.name
    }

    fn metadata(&self) -> StoreMetadata {
        StoreMetadata {
            name: self.name.to_owned(),
            description: format!("{} store (not available on this host)", self.name),
            version: SCHEMA_VERSION,
            writable: false,
            owner: None,
        }
    }

    fn health(&self) -> HealthInfo {
        HealthInfo {
            status: HealthStatus::Unhealthy,
            message: format!("{} store is not available", self.name),
            last_check: 0,
        }
    }

    fn metrics(&self) -> StoreMetrics {
        StoreMetrics::default()
    }
}

impl ProcessStore for NullStore {
    fn get_process(&self, _: u64) -> Result<ProcessInfo, StoreError> {
        Err(StoreError::StoreUnhealthy)
    }
    fn get_child_processes(&self, _: u64) -> Result<Vec<ProcessInfo>, StoreError> {
        Err(StoreError::StoreUnhealthy)
    }
    fn get_ancestry(&self, _: u64, _: u32) -> Result<Vec<ProcessInfo>, StoreError> {
        Err(StoreError::StoreUnhealthy)
    }
}

impl ContainerStore for NullStore {
    fn get_container(&self, _: &str) -> Result<ContainerInfo, StoreError> {
        Err(StoreError::StoreUnhealthy)
    }
    fn get_container_by_name(&self, _: &str) -> Result<ContainerInfo, StoreError> {
        Err(StoreError::StoreUnhealthy)
    }
    fn list_containers(
        &self,
        _: Option<&ContainerFilter>,
    ) -> Result<Vec<ContainerInfo>, StoreError> {
        Err(StoreError::StoreUnhealthy)
    }
}

impl SystemStore for NullStore {
    fn get_system_info(&self) -> Result<SystemInfo, StoreError> {
        Err(StoreError::StoreUnhealthy)
    }
}

impl SyscallStore for NullStore {
    fn get_syscall_name(&self, _: i32) -> Result<String, StoreError> {
        Err(StoreError::StoreUnhealthy)
    }
    fn get_syscall_id(&self, _: &str) -> Result<i32, StoreError> {
        Err(StoreError::StoreUnhealthy)
    }
}

impl KernelSymbolStore for NullStore {
    fn resolve_symbol_by_address(&self, _: u64) -> Result<Vec<SymbolInfo>, StoreError> {
        Err(StoreError::StoreUnhealthy)
    }
    fn get_symbol_address(&self, _: &str) -> Result<u64, StoreError> {
        Err(StoreError::StoreUnhealthy)
    }
    fn resolve_symbols_batch(&self, _: &[u64]) -> Result<Vec<(u64, Vec<SymbolInfo>)>, StoreError> {
        Err(StoreError::StoreUnhealthy)
    }
}

impl DnsStore for NullStore {
    fn get_dns_response(&self, _: &str) -> Result<DnsResponse, StoreError> {
        Err(StoreError::StoreUnhealthy)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_call_is_unhealthy_and_health_names_the_store() {
        let n = NullStore::new("symbol");
        assert_eq!(
            n.resolve_symbol_by_address(1),
            Err(StoreError::StoreUnhealthy)
        );
        assert_eq!(n.get_symbol_address("x"), Err(StoreError::StoreUnhealthy));
        assert_eq!(
            n.resolve_symbols_batch(&[1]),
            Err(StoreError::StoreUnhealthy)
        );
        assert_eq!(n.get_process(1), Err(StoreError::StoreUnhealthy));
        assert_eq!(n.get_ancestry(1, 3), Err(StoreError::StoreUnhealthy));
        assert_eq!(n.get_child_processes(1), Err(StoreError::StoreUnhealthy));
        assert_eq!(n.get_container("x"), Err(StoreError::StoreUnhealthy));
        assert_eq!(
            n.get_container_by_name("x"),
            Err(StoreError::StoreUnhealthy)
        );
        assert_eq!(n.list_containers(None), Err(StoreError::StoreUnhealthy));
        assert_eq!(n.get_system_info(), Err(StoreError::StoreUnhealthy));
        assert_eq!(n.get_syscall_name(0), Err(StoreError::StoreUnhealthy));
        assert_eq!(n.get_syscall_id("read"), Err(StoreError::StoreUnhealthy));
        assert_eq!(n.get_dns_response("x"), Err(StoreError::StoreUnhealthy));
        let h = n.health();
        assert_eq!(h.status, HealthStatus::Unhealthy);
        assert!(h.message.contains("symbol"), "{}", h.message);
        assert_eq!(n.name(), "symbol");
        assert_eq!(n.metrics(), StoreMetrics::default());
    }
}
