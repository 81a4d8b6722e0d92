//! The host's stores, as plain functions.
//!
//! Every call returns `Result<_, StoreError>`: `NotFound` is an ordinary
//! answer, `StoreUnhealthy` means the store is missing or degraded.

pub use crate::bindings::sandtrap::detector::containers::{
    get_container, get_container_by_name, list_containers,
};
pub use crate::bindings::sandtrap::detector::dns::get_dns_response;
pub use crate::bindings::sandtrap::detector::kernel_symbols::{
    get_symbol_address, resolve_symbol_by_address, resolve_symbols_batch,
};
pub use crate::bindings::sandtrap::detector::processes::{
    get_ancestry, get_child_processes, get_process,
};
pub use crate::bindings::sandtrap::detector::registry::{
    get_health, get_metadata, get_metrics, is_available, list_stores,
};
pub use crate::bindings::sandtrap::detector::syscalls::{get_syscall_id, get_syscall_name};
pub use crate::bindings::sandtrap::detector::system::get_system_info;

/// Writable IP-reputation stores: `register` makes the caller the owner
/// and returns its [`ip_reputation::Writer`]; anyone may `open` a reader.
pub mod ip_reputation {
    pub use crate::bindings::sandtrap::detector::ip_reputation::{
        ConflictPolicy, Reader, Reputation, ReputationStatus, SourcePriority, SourcedReputation,
        Writer, open, register,
    };

    /// A reader opened on first use, so a detector can start before the
    /// owner of the store has registered it.
    pub struct LazyReader {
        name: String,
        reader: Option<Reader>,
    }

    impl LazyReader {
        /// A reader of store `name`, not opened yet.
        pub fn new(name: &str) -> Self {
            Self {
                name: name.to_owned(),
                reader: None,
            }
        }

        /// The reader, opening it if needed; `None` while the store does
        /// not exist.
        pub fn get(&mut self) -> Option<&Reader> {
            if self.reader.is_none() {
                self.reader = open(&self.name).ok();
            }
            self.reader.as_ref()
        }
    }
}

/// Name and entity-id helpers for process records.
impl crate::ProcessInfo {
    /// True when the binary name or the basename of the executable is `name`.
    pub fn is(&self, name: &str) -> bool {
        self.name == name || self.exe.rsplit('/').next() == Some(name)
    }
}
