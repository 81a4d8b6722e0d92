//! Decoding in place: views over a batch, an event and its arguments.
//!
//! Every accessor checks its bounds and reads a malformed field as absent,
//! because the buffer crosses a trust boundary in tests and tools that
//! build it by hand.

use crate::{ARG_LEN, HEADER_LEN, at, kind};

pub(crate) fn u32_at(b: &[u8], at: usize) -> Option<u32> {
    let s = b.get(at..at.checked_add(4)?)?;
    Some(u32::from_le_bytes([s[0], s[1], s[2], s[3]]))
}

pub(crate) fn u64_at(b: &[u8], at: usize) -> Option<u64> {
    let s = b.get(at..at.checked_add(8)?)?;
    let mut a = [0u8; 8];
    a.copy_from_slice(s);
    Some(u64::from_le_bytes(a))
}

/// The bytes an (offset, length) pair at `at` points to.
pub(crate) fn bytes_at(b: &[u8], at: usize) -> Option<&[u8]> {
    let off = u32_at(b, at)? as usize;
    let len = u32_at(b, at + 4)? as usize;
    b.get(off..off.checked_add(len)?)
}

pub(crate) fn str_at(b: &[u8], at: usize) -> Option<&str> {
    std::str::from_utf8(bytes_at(b, at)?).ok()
}

/// The count of a framed buffer (a batch or a record list), cut to the
/// offset table that fits in it.
pub(crate) fn frame_count(buf: &[u8]) -> usize {
    let announced = u32_at(buf, 0).unwrap_or(0) as usize;
    announced.min(buf.len().saturating_sub(4) / 4)
}

/// The bytes of item `i` of a framed buffer of `count` items: from its
/// start to the next one's, the last to the end. Malformed bounds read as
/// an empty item.
pub(crate) fn frame(buf: &[u8], count: usize, i: usize) -> Option<&[u8]> {
    if i >= count {
        return None;
    }
    let start = u32_at(buf, 4 + 4 * i)? as usize;
    let end = if i + 1 < count {
        u32_at(buf, 4 + 4 * (i + 1))? as usize
    } else {
        buf.len()
    };
    Some(buf.get(start..end).unwrap_or(&[]))
}

/// A batch of encoded events.
#[derive(Debug, Clone, Copy)]
pub struct Batch<'a> {
    buf: &'a [u8],
    count: usize,
}

impl<'a> Batch<'a> {
    /// A view of `buf`. A count larger than the offset table that fits in
    /// the buffer is cut to what fits.
    pub fn new(buf: &'a [u8]) -> Self {
        Batch {
            buf,
            count: frame_count(buf),
        }
    }

    /// Number of events.
    pub fn len(&self) -> usize {
        self.count
    }

    /// Whether the batch holds no event.
    pub fn is_empty(&self) -> bool {
        self.count == 0
    }

    /// Event `i`; an event whose bounds are malformed reads as empty.
    pub fn get(&self, i: usize) -> Option<EventView<'a>> {
        frame(self.buf, self.count, i).map(EventView::new)
    }

    /// The events in order.
    pub fn iter(&self) -> Events<'a> {
        let table = self.buf.get(4..4 + 4 * self.count).unwrap_or(&[]);
        Events {
            buf: self.buf,
            start: u32_at(table, 0).map_or(0, |s| s as usize),
            table,
        }
    }
}

/// The events of a [`Batch`] in order; one whose bounds are malformed
/// reads as empty, as [`Batch::get`] has it.
///
/// It walks the offset table once, reading each offset once: this loop
/// runs for every event a detector receives.
#[derive(Debug, Clone)]
pub struct Events<'a> {
    buf: &'a [u8],
    /// The offsets not yet passed, the current event's first.
    table: &'a [u8],
    /// The current event's start.
    start: usize,
}

impl<'a> Iterator for Events<'a> {
    type Item = EventView<'a>;

    fn next(&mut self) -> Option<EventView<'a>> {
        let rest = self.table.get(4..)?;
        let end = u32_at(rest, 0).map_or(self.buf.len(), |e| e as usize);
        let ev = self.buf.get(self.start..end).unwrap_or(&[]);
        self.table = rest;
        self.start = end;
        Some(EventView::new(ev))
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        let n = self.table.len() / 4;
        (n, Some(n))
    }
}

impl ExactSizeIterator for Events<'_> {}

/// One event, read in place.
#[derive(Debug, Clone, Copy)]
pub struct EventView<'a> {
    b: &'a [u8],
}

impl<'a> EventView<'a> {
    /// A view of one encoded event.
    pub fn new(bytes: &'a [u8]) -> Self {
        EventView { b: bytes }
    }

    /// The encoded bytes.
    pub fn as_bytes(&self) -> &'a [u8] {
        self.b
    }

    /// Position in the host's event stream.
    pub fn seq(&self) -> u64 {
        u64_at(self.b, at::SEQ).unwrap_or(0)
    }

    /// Nanoseconds since the Unix epoch.
    pub fn timestamp(&self) -> u64 {
        u64_at(self.b, at::TIMESTAMP).unwrap_or(0)
    }

    /// Tracee-style event name, e.g. `sched_process_exec`.
    pub fn name(&self) -> &'a str {
        str_at(self.b, at::NAME).unwrap_or("")
    }

    /// The process the event came from.
    pub fn process(&self) -> ProcessView<'a> {
        ProcessView { b: self.b }
    }

    /// Number of arguments.
    pub fn arg_count(&self) -> usize {
        let n = u32_at(self.b, at::ARG_COUNT).unwrap_or(0) as usize;
        n.min(self.b.len().saturating_sub(HEADER_LEN) / ARG_LEN)
    }

    /// The arguments in the producer's order; malformed ones are skipped.
    pub fn args(&self) -> impl Iterator<Item = Arg<'a>> + 'a {
        let b = self.b;
        (0..self.arg_count()).filter_map(move |i| Arg::at(b, HEADER_LEN + i * ARG_LEN))
    }

    /// The first argument named `name`. Only names are compared on the way:
    /// no other argument is decoded.
    pub fn arg(&self, name: &str) -> Option<ValueRef<'a>> {
        let want = name.as_bytes();
        (0..self.arg_count())
            .map(|i| HEADER_LEN + i * ARG_LEN)
            .find(|&entry| bytes_at(self.b, entry) == Some(want))
            .and_then(|entry| Arg::at(self.b, entry))
            .map(|a| a.value)
    }

    /// A string argument.
    pub fn arg_str(&self, name: &str) -> Option<&'a str> {
        match self.arg(name)? {
            ValueRef::Str(s) => Some(s),
            _ => None,
        }
    }

    /// An integer argument of either sign that fits in `u64`.
    pub fn arg_u64(&self, name: &str) -> Option<u64> {
        match self.arg(name)? {
            ValueRef::Uint(v) => Some(v),
            ValueRef::Int(v) => u64::try_from(v).ok(),
            _ => None,
        }
    }

    /// An integer argument of either sign that fits in `i64`.
    pub fn arg_i64(&self, name: &str) -> Option<i64> {
        match self.arg(name)? {
            ValueRef::Int(v) => Some(v),
            ValueRef::Uint(v) => i64::try_from(v).ok(),
            _ => None,
        }
    }

    /// A boolean argument.
    pub fn arg_bool(&self, name: &str) -> Option<bool> {
        match self.arg(name)? {
            ValueRef::Bool(v) => Some(v),
            _ => None,
        }
    }

    /// A byte-string argument.
    pub fn arg_bytes(&self, name: &str) -> Option<&'a [u8]> {
        match self.arg(name)? {
            ValueRef::Bytes(v) => Some(v),
            _ => None,
        }
    }

    /// A string-list argument (e.g. `argv`).
    pub fn arg_list(&self, name: &str) -> Option<StrList<'a>> {
        match self.arg(name)? {
            ValueRef::StrList(v) => Some(v),
            _ => None,
        }
    }
}

/// The process context of an event.
#[derive(Debug, Clone, Copy)]
pub struct ProcessView<'a> {
    b: &'a [u8],
}

impl<'a> ProcessView<'a> {
    /// The 64-bit entity id (unique for the host's lifetime).
    pub fn entity_id(&self) -> u64 {
        u64_at(self.b, at::ENTITY_ID).unwrap_or(0)
    }
    /// The parent's entity id.
    pub fn parent_entity_id(&self) -> u64 {
        u64_at(self.b, at::PARENT_ENTITY_ID).unwrap_or(0)
    }
    /// Start in clock ticks since boot.
    pub fn start_ticks(&self) -> u64 {
        u64_at(self.b, at::START_TICKS).unwrap_or(0)
    }
    /// cgroup v2 id.
    pub fn cgroup_id(&self) -> u64 {
        u64_at(self.b, at::CGROUP_ID).unwrap_or(0)
    }
    /// Thread-group id.
    pub fn pid(&self) -> u32 {
        u32_at(self.b, at::PID).unwrap_or(0)
    }
    /// Thread id.
    pub fn tid(&self) -> u32 {
        u32_at(self.b, at::TID).unwrap_or(0)
    }
    /// Parent's thread-group id.
    pub fn ppid(&self) -> u32 {
        u32_at(self.b, at::PPID).unwrap_or(0)
    }
    /// Real user id.
    pub fn uid(&self) -> u32 {
        u32_at(self.b, at::UID).unwrap_or(0)
    }
    /// Real group id.
    pub fn gid(&self) -> u32 {
        u32_at(self.b, at::GID).unwrap_or(0)
    }
    /// Task command name.
    pub fn comm(&self) -> &'a str {
        str_at(self.b, at::COMM).unwrap_or("")
    }
    /// Executable path, when known.
    pub fn exe(&self) -> &'a str {
        str_at(self.b, at::EXE).unwrap_or("")
    }
    /// Container id; empty outside containers.
    pub fn container_id(&self) -> &'a str {
        str_at(self.b, at::CONTAINER_ID).unwrap_or("")
    }
}

/// One argument.
#[derive(Debug, Clone, Copy)]
pub struct Arg<'a> {
    /// Its name.
    pub name: &'a str,
    /// Its value.
    pub value: ValueRef<'a>,
}

impl<'a> Arg<'a> {
    pub(crate) fn at(b: &'a [u8], entry: usize) -> Option<Self> {
        let name = str_at(b, entry)?;
        let k = *b.get(entry + 8)?;
        let p = entry + 16;
        let value = match k {
            kind::STR => ValueRef::Str(str_at(b, p)?),
            kind::INT => ValueRef::Int(u64_at(b, p)? as i64),
            kind::UINT => ValueRef::Uint(u64_at(b, p)?),
            kind::BOOL => ValueRef::Bool(u64_at(b, p)? != 0),
            kind::BYTES => ValueRef::Bytes(bytes_at(b, p)?),
            kind::STR_LIST => ValueRef::StrList(str_list_at(b, p)?),
            _ => return None,
        };
        Some(Arg { name, value })
    }
}

/// An argument value, borrowed from the batch.
#[derive(Debug, Clone, Copy, PartialEq)]
#[allow(missing_docs, reason = "one variant per argument kind")]
pub enum ValueRef<'a> {
    Str(&'a str),
    Int(i64),
    Uint(u64),
    Bool(bool),
    Bytes(&'a [u8]),
    StrList(StrList<'a>),
}

/// The string list whose (offset, count) pair is at `at`; `None` when the
/// table does not fit in `b`.
pub(crate) fn str_list_at(b: &[u8], at: usize) -> Option<StrList<'_>> {
    let off = u32_at(b, at)? as usize;
    let count = u32_at(b, at + 4)? as usize;
    let table = b.get(off..off.checked_add(count.checked_mul(8)?)?)?;
    Some(StrList {
        event: b,
        table_at: off,
        count: table.len() / 8,
    })
}

/// A list of strings read in place.
#[derive(Debug, Clone, Copy)]
pub struct StrList<'a> {
    event: &'a [u8],
    table_at: usize,
    count: usize,
}

impl<'a> StrList<'a> {
    /// Number of strings.
    pub fn len(&self) -> usize {
        self.count
    }
    /// Whether the list is empty.
    pub fn is_empty(&self) -> bool {
        self.count == 0
    }
    /// String `i`; a malformed entry reads as empty.
    pub fn get(&self, i: usize) -> Option<&'a str> {
        (i < self.count).then(|| str_at(self.event, self.table_at + i * 8).unwrap_or(""))
    }
    /// The strings in order.
    pub fn iter(&self) -> impl ExactSizeIterator<Item = &'a str> + 'a {
        let list = *self;
        (0..list.count).map(move |i| list.get(i).unwrap_or(""))
    }
    /// The strings, copied.
    pub fn to_vec(&self) -> Vec<String> {
        self.iter().map(str::to_owned).collect()
    }
}

impl Default for StrList<'_> {
    /// The empty list.
    fn default() -> Self {
        StrList {
            event: &[],
            table_at: 0,
            count: 0,
        }
    }
}

impl PartialEq for StrList<'_> {
    fn eq(&self, other: &Self) -> bool {
        self.count == other.count && self.iter().eq(other.iter())
    }
}
