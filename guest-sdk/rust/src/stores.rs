//! The host's stores, as plain functions.
//!
//! Every call returns `Result<_, StoreError>`: `NotFound` is an ordinary
//! answer, `StoreUnhealthy` means the store is missing or degraded.
//! Records come back as one buffer per answer (`docs/wire-encoding.md`)
//! and are read in place: [`Answer`] holds a list of them, and the types of
//! answers that name one thing ([`Process`], [`Container`], [`Dns`]) read
//! their record's fields directly. A field is decoded when it is asked for.

use std::marker::PhantomData;

use sandtrap_wire::Record;
pub use sandtrap_wire::{
    ContainerRecord, DnsRecord, PodRef, ProcessRecord, Records, ReputationRecord, StrList,
    SymbolRecord,
};

use crate::bindings::sandtrap::detector as wit;
use crate::{ContainerFilter, StoreError};

pub use wit::kernel_symbols::get_symbol_address;
pub use wit::registry::{get_health, get_metadata, get_metrics, is_available, list_stores};
pub use wit::syscalls::{get_syscall_id, get_syscall_name};
pub use wit::system::get_system_info;

/// A kind of record, naming its view.
pub trait Kind {
    /// The view of one record of this kind.
    type View<'a>: Record<'a>;
}

macro_rules! kinds {
    ($($(#[$doc:meta])* $kind:ident => $view:ident;)*) => {$(
        $(#[$doc])*
        #[derive(Debug)]
        pub enum $kind {}
        impl Kind for $kind {
            type View<'a> = $view<'a>;
        }
    )*};
}

kinds! {
    /// Process records ([`ProcessRecord`]).
    Processes => ProcessRecord;
    /// Container records ([`ContainerRecord`]).
    Containers => ContainerRecord;
    /// Symbol records ([`SymbolRecord`]).
    Symbols => SymbolRecord;
    /// IP-reputation records ([`ReputationRecord`]).
    Reputations => ReputationRecord;
}

/// The records of one store answer, owned and read in place.
pub struct Answer<K: Kind> {
    bytes: Vec<u8>,
    kind: PhantomData<K>,
}

impl<K: Kind> Answer<K> {
    fn new(bytes: Vec<u8>) -> Self {
        Answer {
            bytes,
            kind: PhantomData,
        }
    }

    fn records(&self) -> Records<'_, K::View<'_>> {
        Records::new(&self.bytes)
    }

    /// Number of records.
    pub fn len(&self) -> usize {
        self.records().len()
    }

    /// Whether the answer holds no record.
    pub fn is_empty(&self) -> bool {
        self.records().is_empty()
    }

    /// Record `i`.
    pub fn get(&self, i: usize) -> Option<K::View<'_>> {
        self.records().get(i)
    }

    /// The first record.
    pub fn first(&self) -> Option<K::View<'_>> {
        self.records().first()
    }

    /// The records in order.
    pub fn iter(&self) -> impl ExactSizeIterator<Item = K::View<'_>> + '_ {
        self.records().iter()
    }

    /// The encoded answer.
    pub fn as_bytes(&self) -> &[u8] {
        &self.bytes
    }
}

impl<K: Kind> Default for Answer<K> {
    /// No records.
    fn default() -> Self {
        Answer::new(Vec::new())
    }
}

impl<K: Kind> Clone for Answer<K> {
    fn clone(&self) -> Self {
        Answer::new(self.bytes.clone())
    }
}

impl<K: Kind> std::fmt::Debug for Answer<K> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Answer")
            .field("records", &self.len())
            .field("bytes", &self.bytes.len())
            .finish()
    }
}

/// An answer that names one record, with that record's accessors: the
/// getters copy nothing, they read the owned buffer on each call.
macro_rules! single {
    ($(#[$doc:meta])* $owned:ident => $view:ident {
        $($(#[$fdoc:meta])* fn $f:ident() -> $t:ty;)*
    }) => {
        $(#[$doc])*
        #[derive(Clone)]
        pub struct $owned {
            bytes: Vec<u8>,
        }

        impl $owned {
            fn new(bytes: Vec<u8>) -> Self {
                $owned { bytes }
            }

            /// The record as a view, to pass on or keep borrowing.
            pub fn view(&self) -> $view<'_> {
                Records::<$view<'_>>::new(&self.bytes)
                    .first()
                    .unwrap_or_else(|| $view::from_bytes(&[]))
            }

            $($(#[$fdoc])* pub fn $f(&self) -> $t {
                self.view().$f()
            })*
        }

        impl std::fmt::Debug for $owned {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.debug_struct(stringify!($owned))
                    .field("bytes", &self.bytes.len())
                    .finish()
            }
        }
    };
}

single! {
    /// A process of the process tree ([`get_process`]).
    Process => ProcessRecord {
        /// The 64-bit entity id.
        fn entity_id() -> u64;
        /// The parent's entity id, 0 when unknown.
        fn parent_entity_id() -> u64;
        /// Start, in ns since the Unix epoch.
        fn start_time() -> u64;
        /// Exit, in ns since the Unix epoch; `None` while it runs.
        fn exit_time() -> Option<u64>;
        /// OS pid.
        fn pid() -> u32;
        /// OS parent pid.
        fn ppid() -> u32;
        /// Real user id.
        fn uid() -> u32;
        /// Real group id.
        fn gid() -> u32;
        /// Binary name, e.g. `bash`.
        fn name() -> &str;
        /// Full executable path.
        fn exe() -> &str;
        /// Container id; empty outside containers.
        fn container_id() -> &str;
        /// Arguments of the last exec.
        fn argv() -> StrList<'_>;
    }
}

impl Process {
    /// True when the binary name or the basename of the executable is `name`.
    pub fn is(&self, name: &str) -> bool {
        self.view().is(name)
    }
}

single! {
    /// A container ([`get_container`], [`get_container_by_name`]).
    Container => ContainerRecord {
        /// Start, in ns since the Unix epoch.
        fn start_time() -> u64;
        /// Full container id.
        fn id() -> &str;
        /// Container name.
        fn name() -> &str;
        /// Image reference.
        fn image() -> &str;
        /// Image digest.
        fn image_digest() -> &str;
        /// `docker`, `containerd`, `crio` or `podman`.
        fn runtime() -> &str;
        /// The pod the container belongs to, if any.
        fn pod() -> Option<PodRef<'_>>;
    }
}

single! {
    /// The DNS cache's answer for a name or an address ([`get_dns_response`]).
    Dns => DnsRecord {
        /// The name or address asked about.
        fn query() -> &str;
        /// Addresses the name resolved to, after following CNAMEs.
        fn ips() -> StrList<'_>;
        /// The CNAME chain of a domain query, or the names that resolved
        /// to the address of an IP query.
        fn domains() -> StrList<'_>;
    }
}

/// The process with this entity id.
pub fn get_process(entity_id: u64) -> Result<Process, StoreError> {
    wit::processes::get_process(entity_id).map(Process::new)
}

/// Direct children; empty when there are none.
pub fn get_child_processes(entity_id: u64) -> Result<Answer<Processes>, StoreError> {
    wit::processes::get_child_processes(entity_id).map(Answer::new)
}

/// `[0]` is the process itself, `[1]` its parent, and so on, up to
/// `max_depth` records; stops at a missing parent or a loop.
pub fn get_ancestry(entity_id: u64, max_depth: u32) -> Result<Answer<Processes>, StoreError> {
    wit::processes::get_ancestry(entity_id, max_depth).map(Answer::new)
}

/// By full id or by a unique prefix of at least 12 characters.
pub fn get_container(id: &str) -> Result<Container, StoreError> {
    wit::containers::get_container(id).map(Container::new)
}

/// By name.
pub fn get_container_by_name(name: &str) -> Result<Container, StoreError> {
    wit::containers::get_container_by_name(name).map(Container::new)
}

/// Running containers matching every set field of `filter`.
pub fn list_containers(filter: Option<&ContainerFilter>) -> Result<Answer<Containers>, StoreError> {
    wit::containers::list_containers(filter).map(Answer::new)
}

/// A domain name (its addresses and CNAME chain) or an IP address (the
/// names that resolved to it); expired answers are not returned.
pub fn get_dns_response(query: &str) -> Result<Dns, StoreError> {
    wit::dns::get_dns_response(query).map(Dns::new)
}

/// Every alias of the symbol whose code contains `address`.
pub fn resolve_symbol_by_address(address: u64) -> Result<Answer<Symbols>, StoreError> {
    wit::kernel_symbols::resolve_symbol_by_address(address).map(Answer::new)
}

/// The aliases of each address that resolved, in the order asked; each
/// record's `query()` is the address it answers.
pub fn resolve_symbols_batch(addresses: &[u64]) -> Result<Answer<Symbols>, StoreError> {
    wit::kernel_symbols::resolve_symbols_batch(addresses).map(Answer::new)
}

/// Writable IP-reputation stores: `register` makes the caller the owner
/// and returns its [`ip_reputation::Writer`]; anyone may `open` a reader.
pub mod ip_reputation {
    pub use crate::bindings::sandtrap::detector::ip_reputation::{
        ConflictPolicy, Reputation, ReputationStatus, SourcePriority,
    };
    pub use sandtrap_wire::Status;

    use super::{Answer, Records, ReputationRecord, Reputations};
    use crate::StoreError;
    use crate::bindings::sandtrap::detector::ip_reputation as wit;
    use sandtrap_wire::Record;

    single! {
        /// The winning entry for an address ([`Reader::get`]), with the
        /// source that wrote it.
        Entry => ReputationRecord {
            /// Last update, in ns since the Unix epoch.
            fn last_updated() -> u64;
            /// The address or CIDR prefix the entry was written for.
            fn ip() -> &str;
            /// The source that wrote it.
            fn source() -> &str;
            /// Free-form tags, e.g. `c2`.
            fn tags() -> super::StrList<'_>;
            /// The verdict.
            fn status() -> Status;
            /// 1 (lowest) to 10 (highest).
            fn severity() -> u8;
        }
    }

    impl From<Status> for ReputationStatus {
        fn from(s: Status) -> Self {
            match s {
                Status::Unknown => ReputationStatus::Unknown,
                Status::Clean => ReputationStatus::Clean,
                Status::Suspicious => ReputationStatus::Suspicious,
                Status::Blacklisted => ReputationStatus::Blacklisted,
            }
        }
    }

    impl From<ReputationStatus> for Status {
        fn from(s: ReputationStatus) -> Self {
            match s {
                ReputationStatus::Unknown => Status::Unknown,
                ReputationStatus::Clean => Status::Clean,
                ReputationStatus::Suspicious => Status::Suspicious,
                ReputationStatus::Blacklisted => Status::Blacklisted,
            }
        }
    }

    /// Read access to a store, by any detector.
    #[derive(Debug)]
    pub struct Reader(wit::Reader);

    impl Reader {
        /// The winning entry under the store's conflict policy: exact
        /// address first, then the longest prefix that contains it.
        pub fn get(&self, ip: &str) -> Result<Entry, StoreError> {
            self.0.get(ip).map(Entry::new)
        }

        /// Every source's entry for the matched key, in source order.
        pub fn get_all(&self, ip: &str) -> Result<Answer<Reputations>, StoreError> {
            self.0.get_all(ip).map(Answer::new)
        }

        /// True when the winning entry is blacklisted; false when no entry
        /// covers `ip`.
        pub fn is_blacklisted(&self, ip: &str) -> Result<bool, StoreError> {
            self.0.is_blacklisted(ip)
        }

        /// Sources with at least one entry, sorted.
        pub fn list_sources(&self) -> Vec<String> {
            self.0.list_sources()
        }

        /// The host's handle, for tests of the host's ownership checks.
        #[doc(hidden)]
        pub fn handle(&self) -> u32 {
            self.0.handle()
        }

        /// The reader of `handle`, for tests of the host's ownership checks.
        ///
        /// # Safety
        /// `handle` must be a reader handle this instance owns.
        #[doc(hidden)]
        #[allow(unsafe_code, reason = "forwards wit-bindgen's from_handle")]
        pub unsafe fn from_handle(handle: u32) -> Self {
            // SAFETY: the caller guarantees `handle` is an owned reader.
            Reader(unsafe { wit::Reader::from_handle(handle) })
        }
    }

    /// Owner-only write access; every write is tagged with its source.
    #[derive(Debug)]
    pub struct Writer(wit::Writer);

    impl Writer {
        /// Writes one entry.
        pub fn write(&self, source: &str, entry: &Reputation) -> Result<(), StoreError> {
            self.0.write(source, entry)
        }

        /// Writes entries in order; returns how many were written, stopping
        /// at the first bad one.
        pub fn write_batch(&self, source: &str, entries: &[Reputation]) -> Result<u32, StoreError> {
            self.0.write_batch(source, entries)
        }

        /// Removes `source`'s entry for `ip`; true when there was one.
        pub fn delete(&self, source: &str, ip: &str) -> Result<bool, StoreError> {
            self.0.delete(source, ip)
        }

        /// Removes everything `source` wrote; returns the count.
        pub fn clear(&self, source: &str) -> Result<u32, StoreError> {
            self.0.clear(source)
        }

        /// Sources with at least one entry, sorted.
        pub fn list_sources(&self) -> Vec<String> {
            self.0.list_sources()
        }

        /// A reader of the same store.
        pub fn reader(&self) -> Reader {
            Reader(self.0.reader())
        }

        /// The writer of `handle`, for tests of the host's ownership checks.
        ///
        /// # Safety
        /// `handle` must be a handle this instance owns.
        #[doc(hidden)]
        #[allow(unsafe_code, reason = "forwards wit-bindgen's from_handle")]
        pub unsafe fn from_handle(handle: u32) -> Self {
            // SAFETY: the caller guarantees `handle` is owned.
            Writer(unsafe { wit::Writer::from_handle(handle) })
        }
    }

    /// Creates store `name` and makes the caller its owner. Registering
    /// again from the owner returns a new writer of the same store; from
    /// any other detector it fails with `InvalidArgument`.
    pub fn register(
        name: &str,
        policy: ConflictPolicy,
        priorities: &[SourcePriority],
    ) -> Result<Writer, StoreError> {
        wit::register(name, policy, priorities).map(Writer)
    }

    /// A reader of store `name`; `not-found` until some detector registered it.
    pub fn open(name: &str) -> Result<Reader, StoreError> {
        wit::open(name).map(Reader)
    }

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
