//! The flat encoding that crosses the sandbox boundary (contract 0.4; the
//! layout is `docs/wire-encoding.md`): event batches into a detector, the
//! records the stores answer with, and what a detector reports back.
//!
//! The host encodes each event once with [`encode_event`] and frames the
//! events a detector selected with a [`BatchFrame`], straight into the
//! memory the guest allocated for them ([`encode_batch`] frames into a
//! `Vec`); it answers store calls with [`encode_records`] of
//! [`ProcessFields`] and the like. The Rust SDK reads both in place,
//! through [`Batch`] and [`EventView`], and [`Records`] of
//! [`ProcessRecord`] and the like, decoding only the fields a detector
//! asks for; it reports detections and errors as a record list
//! of [`OutputFields`], which the host reads as [`OutputRecord`]s. Nothing
//! here allocates on the read side, and no input makes a reader panic: a
//! malformed field reads as absent.
//!
//! The crate has no dependencies so it builds for the host and for
//! `wasm32-wasip2` guests alike.

mod read;
mod records;
mod write;

pub use read::{Arg, Batch, EventView, Events, ProcessView, StrList, ValueRef};
pub use records::{
    ContainerRecord, DnsRecord, OutputKind, OutputRecord, PodRef, ProcessRecord, Record, Records,
    ReputationRecord, Status, SymbolRecord,
};
pub use write::{
    BatchFrame, ContainerFields, DnsFields, EncodeError, EncodeRecord, EventHeader, OutputFields,
    PodFields, ProcessFields, RecordsBuilder, ReputationFields, SymbolFields, WriteValue,
    encode_batch, encode_event, encode_records,
};

/// Size of an event's fixed part, before the argument table.
pub const HEADER_LEN: usize = 104;
/// Size of one argument table entry.
pub const ARG_LEN: usize = 24;

/// Kinds of output record.
pub mod output_kind {
    /// A detection: severity and fields.
    pub const DETECTION: u8 = 0;
    /// An error the detector met handling one event: a message.
    pub const ERROR: u8 = 1;
}

/// Argument kinds, as stored in an argument entry.
pub mod kind {
    /// UTF-8 string.
    pub const STR: u8 = 0;
    /// Signed 64-bit integer.
    pub const INT: u8 = 1;
    /// Unsigned 64-bit integer.
    pub const UINT: u8 = 2;
    /// Boolean (payload 0 or 1).
    pub const BOOL: u8 = 3;
    /// Byte string.
    pub const BYTES: u8 = 4;
    /// List of UTF-8 strings.
    pub const STR_LIST: u8 = 5;
}

// Offsets of the fixed fields inside an event.
pub(crate) mod at {
    pub const SEQ: usize = 0;
    pub const TIMESTAMP: usize = 8;
    pub const ENTITY_ID: usize = 16;
    pub const PARENT_ENTITY_ID: usize = 24;
    pub const START_TICKS: usize = 32;
    pub const CGROUP_ID: usize = 40;
    pub const PID: usize = 48;
    pub const TID: usize = 52;
    pub const PPID: usize = 56;
    pub const UID: usize = 60;
    pub const GID: usize = 64;
    pub const NAME: usize = 68;
    pub const COMM: usize = 76;
    pub const EXE: usize = 84;
    pub const CONTAINER_ID: usize = 92;
    pub const ARG_COUNT: usize = 100;
}

/// Offsets of the fixed fields of each store record kind, and its size.
pub(crate) mod rec {
    pub mod process {
        pub const ENTITY_ID: usize = 0;
        pub const PARENT_ENTITY_ID: usize = 8;
        pub const START_TIME: usize = 16;
        pub const EXIT_TIME: usize = 24;
        pub const PID: usize = 32;
        pub const PPID: usize = 36;
        pub const UID: usize = 40;
        pub const GID: usize = 44;
        pub const NAME: usize = 48;
        pub const EXE: usize = 56;
        pub const CONTAINER_ID: usize = 64;
        pub const ARGV: usize = 72;
        pub const LEN: usize = 80;
    }
    pub mod container {
        pub const START_TIME: usize = 0;
        pub const ID: usize = 8;
        pub const NAME: usize = 16;
        pub const IMAGE: usize = 24;
        pub const IMAGE_DIGEST: usize = 32;
        pub const RUNTIME: usize = 40;
        pub const POD_NAME: usize = 48;
        pub const POD_UID: usize = 56;
        pub const POD_NAMESPACE: usize = 64;
        pub const FLAGS: usize = 72;
        pub const LEN: usize = 80;
        pub const HAS_POD: u8 = 1;
        pub const SANDBOX: u8 = 2;
    }
    pub mod dns {
        pub const QUERY: usize = 0;
        pub const IPS: usize = 8;
        pub const DOMAINS: usize = 16;
        pub const LEN: usize = 24;
    }
    pub mod symbol {
        pub const QUERY: usize = 0;
        pub const ADDRESS: usize = 8;
        pub const NAME: usize = 16;
        pub const MODULE: usize = 24;
        pub const LEN: usize = 32;
    }
    pub mod output {
        pub const INDEX: usize = 0;
        pub const KIND: usize = 4;
        pub const SEVERITY: usize = 5;
        pub const MESSAGE: usize = 8;
        pub const FIELD_COUNT: usize = 16;
        pub const LEN: usize = 20;
    }
    pub mod reputation {
        pub const LAST_UPDATED: usize = 0;
        pub const IP: usize = 8;
        pub const SOURCE: usize = 16;
        pub const TAGS: usize = 24;
        pub const STATUS: usize = 32;
        pub const SEVERITY: usize = 33;
        pub const LEN: usize = 40;
    }
}

#[cfg(test)]
mod record_tests;
#[cfg(test)]
mod tests;
