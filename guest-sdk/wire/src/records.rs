//! Decoding store answers in place: a record list and one view per record
//! kind (`docs/wire-encoding.md`, "Store answers").
//!
//! The views follow the event views' rule: a field that does not fit in
//! its record reads as absent, so a malformed answer can never make a
//! detector panic.

use std::marker::PhantomData;

use crate::read::{Arg, StrList, frame, frame_count, str_at, str_list_at, u32_at, u64_at};
use crate::{ARG_LEN, output_kind, rec};

/// A view of one record, built from the record's bytes.
pub trait Record<'a>: Copy + 'a {
    /// A view of `bytes`, which may be empty or malformed.
    fn from_bytes(bytes: &'a [u8]) -> Self;
}

/// The records of one store answer.
#[derive(Debug)]
pub struct Records<'a, R> {
    buf: &'a [u8],
    count: usize,
    kind: PhantomData<R>,
}

impl<R> Clone for Records<'_, R> {
    fn clone(&self) -> Self {
        *self
    }
}

impl<R> Copy for Records<'_, R> {}

impl<'a, R: Record<'a>> Records<'a, R> {
    /// A view of `buf`. A count larger than the offset table that fits in
    /// the buffer is cut to what fits.
    pub fn new(buf: &'a [u8]) -> Self {
        Records {
            buf,
            count: frame_count(buf),
            kind: PhantomData,
        }
    }

    /// Number of records.
    pub fn len(&self) -> usize {
        self.count
    }

    /// Whether the answer holds no record.
    pub fn is_empty(&self) -> bool {
        self.count == 0
    }

    /// Record `i`; a record whose bounds are malformed reads as empty.
    pub fn get(&self, i: usize) -> Option<R> {
        frame(self.buf, self.count, i).map(R::from_bytes)
    }

    /// The first record: the answer of a store call that names one thing.
    pub fn first(&self) -> Option<R> {
        self.get(0)
    }

    /// The records in order.
    pub fn iter(&self) -> impl ExactSizeIterator<Item = R> + use<'a, R> {
        let list = *self;
        (0..list.count).map(move |i| list.get(i).unwrap_or_else(|| R::from_bytes(&[])))
    }
}

macro_rules! record {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy)]
        pub struct $name<'a> {
            b: &'a [u8],
        }

        impl<'a> Record<'a> for $name<'a> {
            fn from_bytes(bytes: &'a [u8]) -> Self {
                $name { b: bytes }
            }
        }

        impl<'a> $name<'a> {
            /// The encoded bytes of the record.
            pub fn as_bytes(&self) -> &'a [u8] {
                self.b
            }
        }
    };
}

record!(
    /// A process of the process tree.
    ProcessRecord
);

impl<'a> ProcessRecord<'a> {
    /// The 64-bit entity id.
    pub fn entity_id(&self) -> u64 {
        u64_at(self.b, rec::process::ENTITY_ID).unwrap_or(0)
    }
    /// The parent's entity id, 0 when unknown.
    pub fn parent_entity_id(&self) -> u64 {
        u64_at(self.b, rec::process::PARENT_ENTITY_ID).unwrap_or(0)
    }
    /// Start, in ns since the Unix epoch.
    pub fn start_time(&self) -> u64 {
        u64_at(self.b, rec::process::START_TIME).unwrap_or(0)
    }
    /// Exit, in ns since the Unix epoch; `None` while the process runs.
    pub fn exit_time(&self) -> Option<u64> {
        u64_at(self.b, rec::process::EXIT_TIME).filter(|&t| t != 0)
    }
    /// OS pid.
    pub fn pid(&self) -> u32 {
        u32_at(self.b, rec::process::PID).unwrap_or(0)
    }
    /// OS parent pid.
    pub fn ppid(&self) -> u32 {
        u32_at(self.b, rec::process::PPID).unwrap_or(0)
    }
    /// Real user id.
    pub fn uid(&self) -> u32 {
        u32_at(self.b, rec::process::UID).unwrap_or(0)
    }
    /// Real group id.
    pub fn gid(&self) -> u32 {
        u32_at(self.b, rec::process::GID).unwrap_or(0)
    }
    /// Binary name, e.g. `bash`.
    pub fn name(&self) -> &'a str {
        str_at(self.b, rec::process::NAME).unwrap_or("")
    }
    /// Full executable path.
    pub fn exe(&self) -> &'a str {
        str_at(self.b, rec::process::EXE).unwrap_or("")
    }
    /// Container id; empty outside containers.
    pub fn container_id(&self) -> &'a str {
        str_at(self.b, rec::process::CONTAINER_ID).unwrap_or("")
    }
    /// Arguments of the last exec.
    pub fn argv(&self) -> StrList<'a> {
        str_list_at(self.b, rec::process::ARGV).unwrap_or_default()
    }
    /// True when the binary name or the basename of the executable is `name`.
    pub fn is(&self, name: &str) -> bool {
        self.name() == name || self.exe().rsplit('/').next() == Some(name)
    }
}

record!(
    /// A container known to the host.
    ContainerRecord
);

impl<'a> ContainerRecord<'a> {
    /// Start, in ns since the Unix epoch.
    pub fn start_time(&self) -> u64 {
        u64_at(self.b, rec::container::START_TIME).unwrap_or(0)
    }
    /// Full container id.
    pub fn id(&self) -> &'a str {
        str_at(self.b, rec::container::ID).unwrap_or("")
    }
    /// Container name.
    pub fn name(&self) -> &'a str {
        str_at(self.b, rec::container::NAME).unwrap_or("")
    }
    /// Image reference.
    pub fn image(&self) -> &'a str {
        str_at(self.b, rec::container::IMAGE).unwrap_or("")
    }
    /// Image digest.
    pub fn image_digest(&self) -> &'a str {
        str_at(self.b, rec::container::IMAGE_DIGEST).unwrap_or("")
    }
    /// `docker`, `containerd`, `crio` or `podman`.
    pub fn runtime(&self) -> &'a str {
        str_at(self.b, rec::container::RUNTIME).unwrap_or("")
    }
    /// The pod the container belongs to, if any.
    pub fn pod(&self) -> Option<PodRef<'a>> {
        let flags = *self.b.get(rec::container::FLAGS)?;
        (flags & rec::container::HAS_POD != 0).then_some(PodRef {
            b: self.b,
            sandbox: flags & rec::container::SANDBOX != 0,
        })
    }
}

/// The pod of a container.
#[derive(Debug, Clone, Copy)]
pub struct PodRef<'a> {
    b: &'a [u8],
    sandbox: bool,
}

impl<'a> PodRef<'a> {
    /// Pod name.
    pub fn name(&self) -> &'a str {
        str_at(self.b, rec::container::POD_NAME).unwrap_or("")
    }
    /// Pod uid.
    pub fn uid(&self) -> &'a str {
        str_at(self.b, rec::container::POD_UID).unwrap_or("")
    }
    /// Pod namespace.
    pub fn namespace(&self) -> &'a str {
        str_at(self.b, rec::container::POD_NAMESPACE).unwrap_or("")
    }
    /// Whether this container is the pod's sandbox (pause) container.
    pub fn sandbox(&self) -> bool {
        self.sandbox
    }
}

record!(
    /// The DNS cache's answer for a name or an address.
    DnsRecord
);

impl<'a> DnsRecord<'a> {
    /// The name or address that was asked about.
    pub fn query(&self) -> &'a str {
        str_at(self.b, rec::dns::QUERY).unwrap_or("")
    }
    /// Addresses the name resolved to, after following CNAMEs.
    pub fn ips(&self) -> StrList<'a> {
        str_list_at(self.b, rec::dns::IPS).unwrap_or_default()
    }
    /// The CNAME chain of a domain query, or the names that resolved to the
    /// address of an IP query.
    pub fn domains(&self) -> StrList<'a> {
        str_list_at(self.b, rec::dns::DOMAINS).unwrap_or_default()
    }
}

record!(
    /// A kernel symbol, with the address that was resolved to it.
    SymbolRecord
);

impl<'a> SymbolRecord<'a> {
    /// The address that was asked about.
    pub fn query(&self) -> u64 {
        u64_at(self.b, rec::symbol::QUERY).unwrap_or(0)
    }
    /// The symbol's start address.
    pub fn address(&self) -> u64 {
        u64_at(self.b, rec::symbol::ADDRESS).unwrap_or(0)
    }
    /// Symbol name.
    pub fn name(&self) -> &'a str {
        str_at(self.b, rec::symbol::NAME).unwrap_or("")
    }
    /// Owning module; `system` for the core kernel.
    pub fn module(&self) -> &'a str {
        str_at(self.b, rec::symbol::MODULE).unwrap_or("")
    }
}

/// The verdict of a reputation entry. Codes above 3 read as `Unknown`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
#[allow(missing_docs, reason = "the statuses of the contract")]
pub enum Status {
    #[default]
    Unknown,
    Clean,
    Suspicious,
    Blacklisted,
}

impl Status {
    /// The status of a wire code.
    pub fn from_code(code: u8) -> Self {
        match code {
            1 => Status::Clean,
            2 => Status::Suspicious,
            3 => Status::Blacklisted,
            _ => Status::Unknown,
        }
    }

    /// The wire code of the status.
    pub fn code(self) -> u8 {
        self as u8
    }
}

record!(
    /// An entry of an IP-reputation store, with the source that wrote it.
    ReputationRecord
);

impl<'a> ReputationRecord<'a> {
    /// Last update, in ns since the Unix epoch.
    pub fn last_updated(&self) -> u64 {
        u64_at(self.b, rec::reputation::LAST_UPDATED).unwrap_or(0)
    }
    /// The address or CIDR prefix the entry was written for.
    pub fn ip(&self) -> &'a str {
        str_at(self.b, rec::reputation::IP).unwrap_or("")
    }
    /// The source that wrote the entry.
    pub fn source(&self) -> &'a str {
        str_at(self.b, rec::reputation::SOURCE).unwrap_or("")
    }
    /// Free-form tags, e.g. `c2`.
    pub fn tags(&self) -> StrList<'a> {
        str_list_at(self.b, rec::reputation::TAGS).unwrap_or_default()
    }
    /// The verdict.
    pub fn status(&self) -> Status {
        Status::from_code(self.b.get(rec::reputation::STATUS).copied().unwrap_or(0))
    }
    /// 1 (lowest) to 10 (highest); 0 when absent.
    pub fn severity(&self) -> u8 {
        self.b.get(rec::reputation::SEVERITY).copied().unwrap_or(0)
    }
}

record!(
    /// One item of a detector's output: a detection or an error.
    OutputRecord
);

/// What an output record holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OutputKind {
    /// A detection.
    Detection,
    /// An error.
    Error,
    /// A kind this reader does not know (or a record too short to say).
    Unknown(u8),
}

impl<'a> OutputRecord<'a> {
    /// The event's position in its batch.
    pub fn index(&self) -> u32 {
        u32_at(self.b, rec::output::INDEX).unwrap_or(0)
    }
    /// Detection or error.
    pub fn kind(&self) -> OutputKind {
        match self.b.get(rec::output::KIND) {
            Some(&output_kind::DETECTION) if self.b.len() >= rec::output::LEN => {
                OutputKind::Detection
            }
            Some(&output_kind::ERROR) if self.b.len() >= rec::output::LEN => OutputKind::Error,
            Some(&k) => OutputKind::Unknown(k),
            None => OutputKind::Unknown(u8::MAX),
        }
    }
    /// A detection's severity: 1 info … 5 critical, 0 for the
    /// definition's.
    pub fn severity(&self) -> u8 {
        self.b.get(rec::output::SEVERITY).copied().unwrap_or(0)
    }
    /// An error's message.
    pub fn message(&self) -> &'a str {
        str_at(self.b, rec::output::MESSAGE).unwrap_or("")
    }
    /// Number of a detection's fields (entries that fit in the record).
    pub fn field_count(&self) -> usize {
        let announced = u32_at(self.b, rec::output::FIELD_COUNT).unwrap_or(0) as usize;
        announced.min(self.b.len().saturating_sub(rec::output::LEN) / ARG_LEN)
    }
    /// Field `i`; `None` when it is malformed (a bound outside the record,
    /// a string that is not UTF-8, an unknown kind) or beyond the count.
    pub fn field(&self, i: usize) -> Option<Arg<'a>> {
        if i >= self.field_count() {
            return None;
        }
        Arg::at(self.b, rec::output::LEN + i * ARG_LEN)
    }
    /// The well-formed fields, in order.
    pub fn fields(&self) -> impl Iterator<Item = Arg<'a>> + use<'a> {
        let r = *self;
        (0..r.field_count()).filter_map(move |i| r.field(i))
    }
}
