//! The flat encoding of event batches that crosses the sandbox boundary
//! (`on-events` in contract 0.2; the layout is `docs/event-encoding.md`).
//!
//! The host encodes each event once with [`encode_event`] and frames the
//! events a detector selected with [`encode_batch`]; the Rust SDK reads
//! them in place through [`Batch`] and [`EventView`], decoding only the
//! fields a detector asks for. Nothing here allocates on the read side,
//! and no input makes a reader panic: a malformed field reads as absent.
//!
//! The crate has no dependencies so it builds for the host and for
//! `wasm32-wasip2` guests alike.

mod read;
mod write;

pub use read::{Arg, Batch, EventView, ProcessView, StrList, ValueRef};
pub use write::{EncodeError, EventHeader, WriteValue, encode_batch, encode_event};

/// Size of an event's fixed part, before the argument table.
pub const HEADER_LEN: usize = 104;
/// Size of one argument table entry.
pub const ARG_LEN: usize = 24;

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

#[cfg(test)]
mod tests;
