//! The host's live state: every data store detectors read, and the registry.

mod cgroup;
mod clock;
mod containers;
mod dns;
mod dns_record;
mod metrics;
mod null;
mod process;
mod symbols;
mod syscalls;
mod system;
mod traits;

pub use cgroup::parse_cgroup_path;
pub use clock::{Clock, FixedClock, SystemClock};
pub use containers::{ContainerEnricher, ContainerEnrichment, Containers};
pub use dns::DnsCache;
pub use process::ProcessTree;
pub use null::NullStore;
pub use symbols::KernelSymbols;
pub use syscalls::SyscallTable;
pub use system::SystemInfoStore;
pub use traits::{
    ContainerStore, DataStore, DnsStore, KernelSymbolStore, ProcessStore, SyscallStore, SystemStore,
};
