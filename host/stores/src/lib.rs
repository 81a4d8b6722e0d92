//! The host's live state: every data store detectors read, and the registry.
//!
//! Stores mirror Tracee's DataStore API: a process tree keyed by entity id,
//! containers, system facts, the syscall table, kernel symbols, a DNS cache
//! and writable IP-reputation stores. All are in memory, bounded, safe to
//! read from many detector threads at once, and count every call.
//!
//! The event pipeline calls [`Stores::apply`] on each event *before* any
//! detector sees it, so lookups about the event's process already see it.
//! Nothing here knows wasmtime or aya: the runtime maps these traits onto
//! WIT imports, the collector feeds events in.
//!
//! ```
//! use sandtrap_model::{Event, ProcessContext};
//! use sandtrap_stores::{ProcessStore, Stores};
//!
//! let stores = Stores::builder().build();
//! let mut ev = Event {
//!     seq: 1,
//!     timestamp: 1,
//!     name: "openat".into(),
//!     process: ProcessContext { pid: 42, tid: 42, start_ticks: 7, comm: "cat".into(), ..Default::default() },
//!     args: vec![],
//! };
//! stores.apply(&mut ev);
//! let p = stores.registry().processes().get_process(ev.process.entity_id).unwrap();
//! assert_eq!(p.name, "cat");
//! ```

mod apply;
mod cgroup;
mod clock;
mod containers;
mod dns;
mod dns_record;
mod metrics;
mod null;
mod process;
mod registry;
mod reputation;
mod stores;
mod symbols;
mod syscall_table;
mod system;
mod traits;
mod writable;

pub use cgroup::parse_cgroup_path;
pub use clock::{Clock, FixedClock, SystemClock};
pub use containers::{ContainerEnricher, ContainerEnrichment, Containers, MIN_PREFIX};
pub use dns::DnsCache;
pub use null::NullStore;
pub use process::ProcessTree;
pub use registry::Registry;
pub use reputation::{MAX_SOURCE_LEN, ReputationLimits, ReputationStore};
pub use stores::{Stores, StoresBuilder};
pub use symbols::KernelSymbols;
pub use syscall_table::SyscallTable;
pub use system::SystemInfoStore;
pub use traits::{
    ContainerStore, DataStore, DnsStore, KernelSymbolStore, ProcessStore, SyscallStore, SystemStore,
};
pub use writable::ReputationStores;
