//! Encoding: one event into bytes, and encoded events into a batch.

use crate::{ARG_LEN, HEADER_LEN, at, kind};

/// The fixed fields of an event.
#[derive(Debug, Clone, Copy, Default)]
#[allow(missing_docs, reason = "the fields are the layout's, documented there")]
pub struct EventHeader<'a> {
    pub seq: u64,
    pub timestamp: u64,
    pub name: &'a str,
    pub entity_id: u64,
    pub parent_entity_id: u64,
    pub pid: u32,
    pub tid: u32,
    pub ppid: u32,
    pub start_ticks: u64,
    pub uid: u32,
    pub gid: u32,
    pub cgroup_id: u64,
    pub comm: &'a str,
    pub exe: &'a str,
    pub container_id: &'a str,
}

/// An argument value to encode.
#[derive(Debug, Clone, Copy)]
#[allow(missing_docs, reason = "one variant per argument kind")]
pub enum WriteValue<'a, S: AsRef<str> = String> {
    Str(&'a str),
    Int(i64),
    Uint(u64),
    Bool(bool),
    Bytes(&'a [u8]),
    StrList(&'a [S]),
}

/// Why an event or batch cannot be encoded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EncodeError {
    /// Offsets are 32-bit: an event, batch or answer beyond 4 GiB cannot
    /// be framed.
    TooLarge,
    /// The records yielded another number of items than their iterator
    /// announced, so the offset table cannot be filled.
    ShortIterator,
    /// The buffer given to [`BatchFrame::write`] is not the planned
    /// batch's size, or the events are not the ones planned.
    BufferSize,
}

impl std::fmt::Display for EncodeError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            EncodeError::TooLarge => "encoding larger than 4 GiB",
            EncodeError::ShortIterator => "more or fewer records than announced",
            EncodeError::BufferSize => "buffer does not match the batch's size",
        })
    }
}

impl std::error::Error for EncodeError {}

/// Appends one encoded event to `out`. `args` yields each argument's name
/// and value in the producer's order. On error `out` is left as it was.
pub fn encode_event<'a, S, I>(
    out: &mut Vec<u8>,
    header: &EventHeader<'_>,
    args: I,
) -> Result<(), EncodeError>
where
    S: AsRef<str> + 'a,
    I: ExactSizeIterator<Item = (&'a str, WriteValue<'a, S>)> + Clone,
{
    // Room for the whole encoding first: grown field by field, a typical
    // event's buffer was reallocated nine times. Only a hint: a size the
    // allocator refuses is left to the writes below to report.
    let _ = out.try_reserve(event_len(header, args.len(), args.clone()));
    let base = out.len();
    let h = header;
    // One closure so every early `?` leaves `out` as it was, below.
    let write = || -> Result<(), EncodeError> {
        let count = args.len();
        let table = HEADER_LEN + count * ARG_LEN;
        out.resize(base + table, 0);
        let mut w = Writer { out, base };
        w.u64_at(at::SEQ, h.seq);
        w.u64_at(at::TIMESTAMP, h.timestamp);
        w.u64_at(at::ENTITY_ID, h.entity_id);
        w.u64_at(at::PARENT_ENTITY_ID, h.parent_entity_id);
        w.u64_at(at::START_TICKS, h.start_ticks);
        w.u64_at(at::CGROUP_ID, h.cgroup_id);
        w.u32_at(at::PID, h.pid);
        w.u32_at(at::TID, h.tid);
        w.u32_at(at::PPID, h.ppid);
        w.u32_at(at::UID, h.uid);
        w.u32_at(at::GID, h.gid);
        w.str_at(at::NAME, h.name.as_bytes())?;
        w.str_at(at::COMM, h.comm.as_bytes())?;
        w.str_at(at::EXE, h.exe.as_bytes())?;
        w.str_at(at::CONTAINER_ID, h.container_id.as_bytes())?;
        w.args(at::ARG_COUNT, HEADER_LEN, count, args)?;
        to_u32(w.out.len() - base).map(|_| ())
    };
    let result = write();
    if result.is_err() {
        out.truncate(base);
    }
    result
}

/// The size of an event's encoding: the header, an entry per argument,
/// and the bytes of every string (a string list's with its table).
pub(crate) fn event_len<'a, S, I>(header: &EventHeader<'_>, count: usize, args: I) -> usize
where
    S: AsRef<str> + 'a,
    I: Iterator<Item = (&'a str, WriteValue<'a, S>)>,
{
    let h = header;
    let strings = [h.name, h.comm, h.exe, h.container_id]
        .iter()
        .fold(HEADER_LEN, |n, s| n.saturating_add(s.len()));
    args.take(count).fold(strings, |n, (name, value)| {
        let payload = match value {
            WriteValue::Str(s) => s.len(),
            WriteValue::Bytes(b) => b.len(),
            WriteValue::StrList(list) => list
                .iter()
                .fold(0usize, |m, s| m.saturating_add(8 + s.as_ref().len())),
            WriteValue::Int(_) | WriteValue::Uint(_) | WriteValue::Bool(_) => 0,
        };
        n.saturating_add(ARG_LEN + name.len())
            .saturating_add(payload)
    })
}

struct Writer<'o> {
    out: &'o mut Vec<u8>,
    base: usize,
}

impl Writer<'_> {
    fn u32_at(&mut self, at: usize, v: u32) {
        let i = self.base + at;
        self.out[i..i + 4].copy_from_slice(&v.to_le_bytes());
    }
    fn u64_at(&mut self, at: usize, v: u64) {
        let i = self.base + at;
        self.out[i..i + 8].copy_from_slice(&v.to_le_bytes());
    }
    /// Appends `bytes` to the data area and points the str at `at` to them.
    fn str_at(&mut self, at: usize, bytes: &[u8]) -> Result<(), EncodeError> {
        if bytes.is_empty() {
            return Ok(());
        }
        let off = to_u32(self.out.len() - self.base)?;
        self.out.extend_from_slice(bytes);
        self.u32_at(at, off);
        self.u32_at(at + 4, to_u32(bytes.len())?);
        Ok(())
    }
}

impl Writer<'_> {
    /// Fills the argument table at `table` (zeroed, `count` entries) and
    /// its count at `count_at`. An iterator that yields more or fewer items
    /// than it announced would corrupt the table; it is bounded by the
    /// announced count, and a shorter one leaves zeroed entries that the
    /// count keeps out of the table.
    fn args<'a, S, I>(
        &mut self,
        count_at: usize,
        table: usize,
        count: usize,
        args: I,
    ) -> Result<(), EncodeError>
    where
        S: AsRef<str> + 'a,
        I: Iterator<Item = (&'a str, WriteValue<'a, S>)>,
    {
        let base = self.base;
        let mut written = 0;
        for (i, (name, value)) in args.take(count).enumerate() {
            let entry = table + i * ARG_LEN;
            self.str_at(entry, name.as_bytes())?;
            let payload = entry + 16;
            let k = match value {
                WriteValue::Str(s) => {
                    self.str_at(payload, s.as_bytes())?;
                    kind::STR
                }
                WriteValue::Int(v) => {
                    self.u64_at(payload, v as u64);
                    kind::INT
                }
                WriteValue::Uint(v) => {
                    self.u64_at(payload, v);
                    kind::UINT
                }
                WriteValue::Bool(v) => {
                    self.u64_at(payload, u64::from(v));
                    kind::BOOL
                }
                WriteValue::Bytes(b) => {
                    self.str_at(payload, b)?;
                    kind::BYTES
                }
                WriteValue::StrList(list) => {
                    self.list_at(payload, list)?;
                    kind::STR_LIST
                }
            };
            self.out[base + entry + 8] = k;
            written += 1;
        }
        self.u32_at(count_at, to_u32(written)?);
        Ok(())
    }

    /// Appends a table of strs and their bytes, and points the str-list at
    /// `at` to the table. An empty list still records where it would start.
    fn list_at<S: AsRef<str>>(&mut self, at: usize, list: &[S]) -> Result<(), EncodeError> {
        let start = self.out.len() - self.base;
        self.u32_at(at, to_u32(start)?);
        self.u32_at(at + 4, to_u32(list.len())?);
        self.out.resize(self.out.len() + list.len() * 8, 0);
        for (j, s) in list.iter().enumerate() {
            self.str_at(start + j * 8, s.as_ref().as_bytes())?;
        }
        Ok(())
    }

    /// Starts a record of `fixed` zeroed bytes at the end of `out`.
    fn record(out: &mut Vec<u8>, fixed: usize) -> Writer<'_> {
        let base = out.len();
        out.resize(base + fixed, 0);
        Writer { out, base }
    }
}

fn to_u32(n: usize) -> Result<u32, EncodeError> {
    u32::try_from(n).map_err(|_| EncodeError::TooLarge)
}

/// Writes a batch of already encoded events to `out` (cleared first; left
/// empty on error).
pub fn encode_batch(out: &mut Vec<u8>, events: &[&[u8]]) -> Result<(), EncodeError> {
    out.clear();
    let mut frame = BatchFrame::default();
    let total = frame.plan(events)?;
    out.resize(total, 0);
    frame.write(out, events).inspect_err(|_| out.clear())
}

/// The frame of a batch: its count and offset table, and its size.
///
/// The host plans a batch before it asks the guest for memory, because
/// the guest must allocate the batch's size first, then writes it straight
/// into that memory with [`BatchFrame::write`]: the table in one copy and
/// each event in one copy. Planning computes the offsets in the same pass
/// that sums the sizes, so the write is a loop of copies and nothing else.
/// A frame is kept between batches so that planning allocates nothing.
#[derive(Debug, Clone, Default)]
pub struct BatchFrame {
    /// The count and the offset table, encoded.
    head: Vec<u8>,
    /// The size of the whole batch.
    len: usize,
}

impl BatchFrame {
    /// Plans the batch of `events` and returns its size in bytes;
    /// `TooLarge` when it cannot be framed with 32-bit offsets.
    #[inline]
    pub fn plan(&mut self, events: &[&[u8]]) -> Result<usize, EncodeError> {
        self.head.clear();
        self.len = 0;
        // Every check that can fail comes before the table is written,
        // but the last, which clears it: a frame that failed to plan is
        // empty, and `write` refuses it.
        let count = to_u32(events.len())?;
        let table = events
            .len()
            .checked_mul(4)
            .and_then(|n| n.checked_add(4))
            .ok_or(EncodeError::TooLarge)?;
        self.head.resize(table, 0);
        let (count_bytes, slots) = self.head.split_at_mut(4);
        count_bytes.copy_from_slice(&count.to_le_bytes());
        // Saturating: a sum past `usize` is refused below like any sum
        // past 4 GiB. While the sum fits in 32 bits, so does every offset
        // before it, so the casts below only truncate in a plan that fails.
        let mut start = table;
        for (slot, e) in slots.chunks_exact_mut(4).zip(events) {
            slot.copy_from_slice(&(start as u32).to_le_bytes());
            start = start.saturating_add(e.len());
        }
        if to_u32(start).is_err() {
            self.head.clear();
            return Err(EncodeError::TooLarge);
        }
        self.len = start;
        Ok(start)
    }

    /// The size in bytes of the batch last planned.
    pub fn len(&self) -> usize {
        self.len
    }

    /// Whether no batch is planned (a planned batch holds its count, so
    /// even a batch of no events is not empty).
    pub fn is_empty(&self) -> bool {
        self.head.is_empty()
    }

    /// Writes the planned batch into `out`, which must be exactly
    /// [`len`](Self::len) bytes long; `events` must be the events planned.
    /// Another buffer size, or events of another count or total size, is
    /// refused rather than overrun. On error the contents of `out` are
    /// unspecified.
    #[inline]
    pub fn write(&self, out: &mut [u8], events: &[&[u8]]) -> Result<(), EncodeError> {
        if self.head.is_empty()
            || out.len() != self.len
            || events.len() != (self.head.len() - 4) / 4
        {
            return Err(EncodeError::BufferSize);
        }
        let Some((head, mut rest)) = out.split_at_mut_checked(self.head.len()) else {
            return Err(EncodeError::BufferSize);
        };
        head.copy_from_slice(&self.head);
        for e in events {
            let Some((dst, tail)) = std::mem::take(&mut rest).split_at_mut_checked(e.len()) else {
                return Err(EncodeError::BufferSize);
            };
            dst.copy_from_slice(e);
            rest = tail;
        }
        if !rest.is_empty() {
            return Err(EncodeError::BufferSize);
        }
        Ok(())
    }
}

/// One record of a store answer, appended to a record list by
/// [`encode_records`].
pub trait EncodeRecord {
    /// Appends the record to `out`; its offsets count from where it starts.
    fn encode(&self, out: &mut Vec<u8>) -> Result<(), EncodeError>;
}

/// Writes `records` as one record list to `out` (cleared first). On error
/// `out` is left empty.
pub fn encode_records<R, I>(out: &mut Vec<u8>, records: I) -> Result<(), EncodeError>
where
    R: EncodeRecord,
    I: ExactSizeIterator<Item = R>,
{
    out.clear();
    let count = records.len();
    let write = |out: &mut Vec<u8>| -> Result<(), EncodeError> {
        out.extend_from_slice(&to_u32(count)?.to_le_bytes());
        out.resize(4 + 4 * count, 0);
        // As in `encode_event`, an iterator is held to the count it announced.
        let mut written = 0;
        for (i, r) in records.take(count).enumerate() {
            let start = to_u32(out.len())?;
            out[4 + 4 * i..8 + 4 * i].copy_from_slice(&start.to_le_bytes());
            r.encode(out)?;
            written += 1;
        }
        if written != count {
            return Err(EncodeError::ShortIterator);
        }
        to_u32(out.len()).map(|_| ())
    };
    let result = write(out);
    if result.is_err() {
        out.clear();
    }
    result
}

/// Builds a record list whose length is not known up front, e.g. while
/// walking a store under its lock. Records are position-independent (their
/// offsets count from their own first byte), so they are appended to a data
/// area as they come and framed once, by [`RecordsBuilder::finish`].
#[derive(Debug, Default)]
pub struct RecordsBuilder {
    data: Vec<u8>,
    starts: Vec<usize>,
    error: Option<EncodeError>,
}

impl RecordsBuilder {
    /// A builder with room for `records` records of `bytes` bytes in all,
    /// so that an answer whose size is known roughly up front (an ancestry
    /// of at most so many processes) is built without growing its buffers
    /// record by record.
    pub fn with_capacity(records: usize, bytes: usize) -> Self {
        RecordsBuilder {
            data: Vec::with_capacity(bytes),
            starts: Vec::with_capacity(records),
            error: None,
        }
    }

    /// Appends one record. After an error the builder ignores further
    /// records and `finish` reports the error.
    pub fn push<R: EncodeRecord + ?Sized>(&mut self, record: &R) {
        if self.error.is_some() {
            return;
        }
        let start = self.data.len();
        match record.encode(&mut self.data) {
            Ok(()) => self.starts.push(start),
            Err(e) => {
                self.data.truncate(start);
                self.error = Some(e);
            }
        }
    }

    /// Number of records pushed.
    pub fn len(&self) -> usize {
        self.starts.len()
    }

    /// Whether no record was pushed.
    pub fn is_empty(&self) -> bool {
        self.starts.is_empty()
    }

    /// The framed record list.
    pub fn finish(self) -> Result<Vec<u8>, EncodeError> {
        if let Some(e) = self.error {
            return Err(e);
        }
        let table = 4 + 4 * self.starts.len();
        to_u32(table + self.data.len())?;
        let mut out = Vec::with_capacity(table + self.data.len());
        out.extend_from_slice(&to_u32(self.starts.len())?.to_le_bytes());
        for s in &self.starts {
            out.extend_from_slice(&to_u32(table + s)?.to_le_bytes());
        }
        out.extend_from_slice(&self.data);
        Ok(out)
    }
}

impl<R: EncodeRecord> EncodeRecord for &R {
    fn encode(&self, out: &mut Vec<u8>) -> Result<(), EncodeError> {
        (*self).encode(out)
    }
}

/// A process record to encode.
#[derive(Debug, Clone, Copy, Default)]
#[allow(missing_docs, reason = "the fields are the layout's, documented there")]
pub struct ProcessFields<'a, S: AsRef<str> = String> {
    pub entity_id: u64,
    pub parent_entity_id: u64,
    pub start_time: u64,
    /// `None` while the process runs.
    pub exit_time: Option<u64>,
    pub pid: u32,
    pub ppid: u32,
    pub uid: u32,
    pub gid: u32,
    pub name: &'a str,
    pub exe: &'a str,
    pub container_id: &'a str,
    pub argv: &'a [S],
}

impl<S: AsRef<str>> EncodeRecord for ProcessFields<'_, S> {
    fn encode(&self, out: &mut Vec<u8>) -> Result<(), EncodeError> {
        use crate::rec::process as at;
        let mut w = Writer::record(out, at::LEN);
        w.u64_at(at::ENTITY_ID, self.entity_id);
        w.u64_at(at::PARENT_ENTITY_ID, self.parent_entity_id);
        w.u64_at(at::START_TIME, self.start_time);
        w.u64_at(at::EXIT_TIME, self.exit_time.unwrap_or(0));
        w.u32_at(at::PID, self.pid);
        w.u32_at(at::PPID, self.ppid);
        w.u32_at(at::UID, self.uid);
        w.u32_at(at::GID, self.gid);
        w.str_at(at::NAME, self.name.as_bytes())?;
        w.str_at(at::EXE, self.exe.as_bytes())?;
        w.str_at(at::CONTAINER_ID, self.container_id.as_bytes())?;
        w.list_at(at::ARGV, self.argv)
    }
}

/// A container record to encode.
#[derive(Debug, Clone, Copy, Default)]
#[allow(missing_docs, reason = "the fields are the layout's, documented there")]
pub struct ContainerFields<'a> {
    pub start_time: u64,
    pub id: &'a str,
    pub name: &'a str,
    pub image: &'a str,
    pub image_digest: &'a str,
    pub runtime: &'a str,
    pub pod: Option<PodFields<'a>>,
}

/// The pod of a container record.
#[derive(Debug, Clone, Copy, Default)]
#[allow(missing_docs, reason = "the fields are the layout's, documented there")]
pub struct PodFields<'a> {
    pub name: &'a str,
    pub uid: &'a str,
    pub namespace: &'a str,
    pub sandbox: bool,
}

impl EncodeRecord for ContainerFields<'_> {
    fn encode(&self, out: &mut Vec<u8>) -> Result<(), EncodeError> {
        use crate::rec::container as at;
        let mut w = Writer::record(out, at::LEN);
        w.u64_at(at::START_TIME, self.start_time);
        w.str_at(at::ID, self.id.as_bytes())?;
        w.str_at(at::NAME, self.name.as_bytes())?;
        w.str_at(at::IMAGE, self.image.as_bytes())?;
        w.str_at(at::IMAGE_DIGEST, self.image_digest.as_bytes())?;
        w.str_at(at::RUNTIME, self.runtime.as_bytes())?;
        if let Some(pod) = &self.pod {
            w.str_at(at::POD_NAME, pod.name.as_bytes())?;
            w.str_at(at::POD_UID, pod.uid.as_bytes())?;
            w.str_at(at::POD_NAMESPACE, pod.namespace.as_bytes())?;
            let sandbox = if pod.sandbox { at::SANDBOX } else { 0 };
            w.out[w.base + at::FLAGS] = at::HAS_POD | sandbox;
        }
        Ok(())
    }
}

/// A DNS response record to encode.
#[derive(Debug, Clone, Copy)]
#[allow(missing_docs, reason = "the fields are the layout's, documented there")]
pub struct DnsFields<'a, S: AsRef<str> = String> {
    pub query: &'a str,
    pub ips: &'a [S],
    pub domains: &'a [S],
}

impl<S: AsRef<str>> EncodeRecord for DnsFields<'_, S> {
    fn encode(&self, out: &mut Vec<u8>) -> Result<(), EncodeError> {
        use crate::rec::dns as at;
        let mut w = Writer::record(out, at::LEN);
        w.str_at(at::QUERY, self.query.as_bytes())?;
        w.list_at(at::IPS, self.ips)?;
        w.list_at(at::DOMAINS, self.domains)
    }
}

/// A symbol record to encode.
#[derive(Debug, Clone, Copy, Default)]
#[allow(missing_docs, reason = "the fields are the layout's, documented there")]
pub struct SymbolFields<'a> {
    pub query: u64,
    pub address: u64,
    pub name: &'a str,
    pub module: &'a str,
}

impl EncodeRecord for SymbolFields<'_> {
    fn encode(&self, out: &mut Vec<u8>) -> Result<(), EncodeError> {
        use crate::rec::symbol as at;
        let mut w = Writer::record(out, at::LEN);
        w.u64_at(at::QUERY, self.query);
        w.u64_at(at::ADDRESS, self.address);
        w.str_at(at::NAME, self.name.as_bytes())?;
        w.str_at(at::MODULE, self.module.as_bytes())
    }
}

/// A reputation record to encode.
#[derive(Debug, Clone, Copy)]
#[allow(missing_docs, reason = "the fields are the layout's, documented there")]
pub struct ReputationFields<'a, S: AsRef<str> = String> {
    pub last_updated: u64,
    pub ip: &'a str,
    pub source: &'a str,
    pub tags: &'a [S],
    pub status: crate::Status,
    pub severity: u8,
}

impl<S: AsRef<str>> EncodeRecord for ReputationFields<'_, S> {
    fn encode(&self, out: &mut Vec<u8>) -> Result<(), EncodeError> {
        use crate::rec::reputation as at;
        let mut w = Writer::record(out, at::LEN);
        w.u64_at(at::LAST_UPDATED, self.last_updated);
        w.str_at(at::IP, self.ip.as_bytes())?;
        w.str_at(at::SOURCE, self.source.as_bytes())?;
        w.list_at(at::TAGS, self.tags)?;
        w.out[w.base + at::STATUS] = self.status.code();
        w.out[w.base + at::SEVERITY] = self.severity;
        Ok(())
    }
}

/// One item of a detector's output to encode: a detection of event
/// `index` of the batch, or an error the detector met handling it.
#[derive(Debug, Clone)]
pub enum OutputFields<'a, F> {
    /// A detection. `fields` yields each field's name and value.
    Detection {
        /// The event's position in its batch.
        index: u32,
        /// Overrides the definition's severity: 1 info, 2 low, 3 medium,
        /// 4 high, 5 critical; 0 keeps the definition's.
        severity: u8,
        /// The fields, in the detector's order.
        fields: F,
    },
    /// An error.
    Error {
        /// The event's position in its batch.
        index: u32,
        /// What went wrong.
        message: &'a str,
    },
}

impl<'a, S, F> EncodeRecord for OutputFields<'a, F>
where
    S: AsRef<str> + 'a,
    F: Clone + ExactSizeIterator<Item = (&'a str, WriteValue<'a, S>)>,
{
    fn encode(&self, out: &mut Vec<u8>) -> Result<(), EncodeError> {
        use crate::rec::output as at;
        match self {
            OutputFields::Detection {
                index,
                severity,
                fields,
            } => {
                let count = fields.len();
                let mut w = Writer::record(out, at::LEN + count * ARG_LEN);
                w.u32_at(at::INDEX, *index);
                w.out[w.base + at::KIND] = crate::output_kind::DETECTION;
                w.out[w.base + at::SEVERITY] = *severity;
                w.args(at::FIELD_COUNT, at::LEN, count, fields.clone())
            }
            OutputFields::Error { index, message } => {
                let mut w = Writer::record(out, at::LEN);
                w.u32_at(at::INDEX, *index);
                w.out[w.base + at::KIND] = crate::output_kind::ERROR;
                w.str_at(at::MESSAGE, message.as_bytes())
            }
        }
    }
}
