//! Live collection for sandtrap.
//!
//! The kernel side (eBPF programs in `ebpf/`) writes records to a ring
//! buffer; this crate loads and attaches them, decodes the records into
//! [`sandtrap_model::Event`]s, and fills in what the kernel cannot give:
//! the processes that started before the host (from `/proc`), cgroup
//! paths, container metadata, and DNS answers parsed from packets. It is
//! the only crate that knows about aya.

pub mod btf;
pub mod cgroups;
pub mod decode;
pub mod dns;
pub mod live;
pub mod procfs;
pub mod runtime_api;
