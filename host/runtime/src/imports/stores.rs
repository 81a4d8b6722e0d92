//! The read-only store interfaces, each a thin call into the registry.
//! Answers made of records go back as one encoded record list
//! (`docs/wire-encoding.md`), so the guest gets one allocation per answer
//! instead of one per string.

use crate::bindings::types::{
    ContainerFilter, HealthInfo, StoreError, StoreMetadata, StoreMetrics, SystemInfo,
};
use crate::bindings::{
    containers, dns, kernel_symbols, processes, registry, syscalls, system, types,
};
use crate::convert::{self, store_error};
use crate::state::HostState;

type Answer<T> = wasmtime::Result<Result<T, StoreError>>;
/// An encoded record list.
type Records = Vec<u8>;

/// Largest batch a guest may resolve in one call.
const MAX_BATCH: usize = 4096;
/// Deepest ancestry a guest may ask for.
const MAX_ANCESTRY: u32 = 64;

impl types::Host for HostState {}

impl processes::Host for HostState {
    fn get_process(&mut self, entity_id: u64) -> Answer<Records> {
        self.charge_store_call()?;
        let mut answer = convert::RecordList::with_capacity(1, convert::PROCESS_RECORD_HINT);
        let found = self
            .stores
            .registry()
            .processes()
            .visit_process(entity_id, &mut |p| answer.push(&convert::process(p)));
        Ok(found.map_err(store_error).and_then(|()| answer.finish()))
    }

    fn get_child_processes(&mut self, entity_id: u64) -> Answer<Records> {
        self.charge_store_call()?;
        Ok(self
            .stores
            .registry()
            .processes()
            .get_child_processes(entity_id)
            .map_err(store_error)
            .and_then(|v| convert::records(v.iter().map(convert::process))))
    }

    /// Encoded from the tree under its lock: no process is copied.
    fn get_ancestry(&mut self, entity_id: u64, max_depth: u32) -> Answer<Records> {
        self.charge_store_call()?;
        let depth = max_depth.min(MAX_ANCESTRY);
        let mut answer =
            convert::RecordList::with_capacity(depth as usize, convert::PROCESS_RECORD_HINT);
        let walked =
            self.stores
                .registry()
                .processes()
                .visit_ancestry(entity_id, depth, &mut |p| answer.push(&convert::process(p)));
        Ok(walked.map_err(store_error).and_then(|()| answer.finish()))
    }
}

impl containers::Host for HostState {
    fn get_container(&mut self, id: String) -> Answer<Records> {
        self.charge_store_call()?;
        Ok(self
            .stores
            .registry()
            .containers()
            .get_container(&id)
            .map_err(store_error)
            .and_then(|c| convert::records(std::iter::once(convert::container(&c)))))
    }

    fn get_container_by_name(&mut self, name: String) -> Answer<Records> {
        self.charge_store_call()?;
        Ok(self
            .stores
            .registry()
            .containers()
            .get_container_by_name(&name)
            .map_err(store_error)
            .and_then(|c| convert::records(std::iter::once(convert::container(&c)))))
    }

    fn list_containers(&mut self, filter: Option<ContainerFilter>) -> Answer<Records> {
        self.charge_store_call()?;
        let filter = filter.map(|f| sandtrap_model::ContainerFilter {
            name: f.name,
            image: f.image,
            runtime: f.runtime,
        });
        Ok(self
            .stores
            .registry()
            .containers()
            .list_containers(filter.as_ref())
            .map_err(store_error)
            .and_then(|v| convert::records(v.iter().map(convert::container))))
    }
}

impl system::Host for HostState {
    fn get_system_info(&mut self) -> Answer<SystemInfo> {
        self.charge_store_call()?;
        Ok(self
            .stores
            .registry()
            .system()
            .get_system_info()
            .map(convert::system_to_wit)
            .map_err(store_error))
    }
}

impl syscalls::Host for HostState {
    fn get_syscall_name(&mut self, id: i32) -> Answer<String> {
        self.charge_store_call()?;
        Ok(self
            .stores
            .registry()
            .syscalls()
            .get_syscall_name(id)
            .map_err(store_error))
    }

    fn get_syscall_id(&mut self, name: String) -> Answer<i32> {
        self.charge_store_call()?;
        Ok(self
            .stores
            .registry()
            .syscalls()
            .get_syscall_id(&name)
            .map_err(store_error))
    }
}

impl kernel_symbols::Host for HostState {
    fn resolve_symbol_by_address(&mut self, address: u64) -> Answer<Records> {
        self.charge_store_call()?;
        Ok(self
            .stores
            .registry()
            .kernel_symbols()
            .resolve_symbol_by_address(address)
            .map_err(store_error)
            .and_then(|v| convert::records(v.iter().map(|s| convert::symbol(address, s)))))
    }

    fn get_symbol_address(&mut self, name: String) -> Answer<u64> {
        self.charge_store_call()?;
        Ok(self
            .stores
            .registry()
            .kernel_symbols()
            .get_symbol_address(&name)
            .map_err(store_error))
    }

    fn resolve_symbols_batch(&mut self, addresses: Vec<u64>) -> Answer<Records> {
        self.charge_store_call()?;
        if addresses.len() > MAX_BATCH {
            return Ok(Err(StoreError::InvalidArgument(format!(
                "batch of {} addresses exceeds the limit of {MAX_BATCH}",
                addresses.len()
            ))));
        }
        Ok(self
            .stores
            .registry()
            .kernel_symbols()
            .resolve_symbols_batch(&addresses)
            .map_err(store_error)
            .and_then(|v| {
                let mut answer = convert::RecordList::default();
                for (query, syms) in &v {
                    syms.iter()
                        .for_each(|s| answer.push(&convert::symbol(*query, s)));
                }
                answer.finish()
            }))
    }
}

impl dns::Host for HostState {
    fn get_dns_response(&mut self, query: String) -> Answer<Records> {
        self.charge_store_call()?;
        Ok(self
            .stores
            .registry()
            .dns()
            .get_dns_response(&query)
            .map_err(store_error)
            .and_then(|d| convert::records(std::iter::once(convert::dns(&d)))))
    }
}

impl registry::Host for HostState {
    fn list_stores(&mut self) -> wasmtime::Result<Vec<String>> {
        self.charge_store_call()?;
        Ok(self.stores.registry().list())
    }

    fn is_available(&mut self, name: String) -> wasmtime::Result<bool> {
        self.charge_store_call()?;
        Ok(self.stores.registry().is_available(&name))
    }

    fn get_metadata(&mut self, name: String) -> Answer<StoreMetadata> {
        self.charge_store_call()?;
        Ok(self
            .stores
            .registry()
            .get_metadata(&name)
            .map(convert::metadata_to_wit)
            .map_err(store_error))
    }

    fn get_health(&mut self, name: String) -> Answer<HealthInfo> {
        self.charge_store_call()?;
        Ok(self
            .stores
            .registry()
            .get_health(&name)
            .map(convert::health_to_wit)
            .map_err(store_error))
    }

    fn get_metrics(&mut self, name: String) -> Answer<StoreMetrics> {
        self.charge_store_call()?;
        Ok(self
            .stores
            .registry()
            .get_metrics(&name)
            .map(convert::metrics_to_wit)
            .map_err(store_error))
    }
}
