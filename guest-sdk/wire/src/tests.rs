//! Round trips, the conformance vectors every SDK decodes, and malformed
//! buffers.

use serde_json::{Value as Json, json};

use crate::*;

/// An owned event, to build the vectors from.
struct Ev {
    header: EventHeader<'static>,
    args: Vec<(&'static str, Val)>,
}

enum Val {
    Str(&'static str),
    Int(i64),
    Uint(u64),
    Bool(bool),
    Bytes(Vec<u8>),
    List(Vec<String>),
}

impl Val {
    fn write(&self) -> WriteValue<'_> {
        match self {
            Val::Str(s) => WriteValue::Str(s),
            Val::Int(v) => WriteValue::Int(*v),
            Val::Uint(v) => WriteValue::Uint(*v),
            Val::Bool(v) => WriteValue::Bool(*v),
            Val::Bytes(v) => WriteValue::Bytes(v),
            Val::List(v) => WriteValue::StrList(v),
        }
    }
}

fn vectors() -> Vec<Ev> {
    vec![
        Ev {
            header: EventHeader {
                seq: 1,
                timestamp: 1_700_000_000_123_456_789,
                name: "sched_process_exec",
                entity_id: 0x8000_0000_0000_0001,
                parent_entity_id: 42,
                pid: 4242,
                tid: 4243,
                ppid: 1,
                start_ticks: 123_456,
                uid: 1000,
                gid: 1001,
                cgroup_id: 77,
                comm: "bash",
                exe: "/usr/bin/bash",
                container_id: "3f2a9c",
            },
            args: vec![
                ("pathname", Val::Str("/memfd:x (deleted)")),
                (
                    "argv",
                    Val::List(vec![
                        "sh".into(),
                        "-c".into(),
                        String::new(),
                        "écho ✓".into(),
                    ]),
                ),
                ("flags", Val::Int(-1)),
                ("inode", Val::Uint(u64::MAX)),
                ("fileless", Val::Bool(true)),
                ("blob", Val::Bytes(vec![0, 1, 0xfe, 0xff])),
                ("empty_list", Val::List(Vec::new())),
                ("empty_str", Val::Str("")),
                ("min", Val::Int(i64::MIN)),
                ("pathname", Val::Str("second pathname: never the answer")),
            ],
        },
        Ev {
            header: EventHeader {
                name: "x",
                comm: "sh",
                ..EventHeader::default()
            },
            args: vec![],
        },
        Ev {
            header: EventHeader {
                seq: u64::MAX,
                timestamp: 0,
                name: "security_socket_connect",
                pid: u32::MAX,
                uid: u32::MAX,
                comm: "ünïcødé",
                ..EventHeader::default()
            },
            args: vec![
                ("remote_addr", Val::Str("203.0.113.7")),
                ("remote_port", Val::Uint(443)),
                ("", Val::Bool(false)),
            ],
        },
    ]
}

fn encode(ev: &Ev) -> Vec<u8> {
    let mut out = Vec::new();
    encode_event(
        &mut out,
        &ev.header,
        ev.args.iter().map(|(n, v)| (*n, v.write())),
    )
    .expect("small event encodes");
    out
}

fn batch_of(evs: &[Ev]) -> Vec<u8> {
    let encoded: Vec<Vec<u8>> = evs.iter().map(encode).collect();
    let mut out = Vec::new();
    let slices: Vec<&[u8]> = encoded.iter().map(Vec::as_slice).collect();
    encode_batch(&mut out, &slices).expect("batch encodes");
    out
}

/// The expected decoding, in the JSON form the other SDKs' tests read:
/// 64-bit integers as decimal strings (JavaScript numbers cannot hold
/// them), bytes as lowercase hex.
fn expected(ev: &Ev) -> Json {
    let h = &ev.header;
    let args: Vec<Json> = ev
        .args
        .iter()
        .map(|(name, v)| {
            let (kind, value) = match v {
                Val::Str(s) => ("str", json!(s)),
                Val::Int(v) => ("int", json!(v.to_string())),
                Val::Uint(v) => ("uint", json!(v.to_string())),
                Val::Bool(v) => ("bool", json!(v)),
                Val::Bytes(b) => (
                    "bytes",
                    json!(b.iter().map(|x| format!("{x:02x}")).collect::<String>()),
                ),
                Val::List(l) => ("str-list", json!(l)),
            };
            json!({"name": name, "kind": kind, "value": value})
        })
        .collect();
    json!({
        "seq": h.seq.to_string(),
        "timestamp": h.timestamp.to_string(),
        "name": h.name,
        "process": {
            "entity_id": h.entity_id.to_string(),
            "parent_entity_id": h.parent_entity_id.to_string(),
            "pid": h.pid, "tid": h.tid, "ppid": h.ppid,
            "start_ticks": h.start_ticks.to_string(),
            "uid": h.uid, "gid": h.gid,
            "cgroup_id": h.cgroup_id.to_string(),
            "comm": h.comm, "exe": h.exe, "container_id": h.container_id,
        },
        "args": args,
    })
}

/// What the reader makes of an event, in the same JSON form.
/// An argument (or a detection's field) as the vectors' JSON shows it.
pub(crate) fn arg_json(a: Arg<'_>) -> Json {
    let (kind, value) = match a.value {
        ValueRef::Str(s) => ("str", json!(s)),
        ValueRef::Int(v) => ("int", json!(v.to_string())),
        ValueRef::Uint(v) => ("uint", json!(v.to_string())),
        ValueRef::Bool(v) => ("bool", json!(v)),
        ValueRef::Bytes(b) => (
            "bytes",
            json!(b.iter().map(|x| format!("{x:02x}")).collect::<String>()),
        ),
        ValueRef::StrList(l) => ("str-list", json!(l.to_vec())),
    };
    json!({"name": a.name, "kind": kind, "value": value})
}

fn decoded(e: EventView<'_>) -> Json {
    let p = e.process();
    let args: Vec<Json> = e.args().map(arg_json).collect();
    json!({
        "seq": e.seq().to_string(),
        "timestamp": e.timestamp().to_string(),
        "name": e.name(),
        "process": {
            "entity_id": p.entity_id().to_string(),
            "parent_entity_id": p.parent_entity_id().to_string(),
            "pid": p.pid(), "tid": p.tid(), "ppid": p.ppid(),
            "start_ticks": p.start_ticks().to_string(),
            "uid": p.uid(), "gid": p.gid(),
            "cgroup_id": p.cgroup_id().to_string(),
            "comm": p.comm(), "exe": p.exe(), "container_id": p.container_id(),
        },
        "args": args,
    })
}

#[test]
fn round_trip() {
    let evs = vectors();
    let buf = batch_of(&evs);
    let batch = Batch::new(&buf);
    assert_eq!(batch.len(), evs.len());
    for (ev, view) in evs.iter().zip(batch.iter()) {
        assert_eq!(decoded(view), expected(ev));
    }
}

#[test]
fn typed_accessors() {
    let buf = batch_of(&vectors());
    let e = Batch::new(&buf).get(0).expect("first event");
    assert_eq!(
        e.arg_str("pathname"),
        Some("/memfd:x (deleted)"),
        "first of two wins"
    );
    assert_eq!(e.arg_i64("flags"), Some(-1));
    assert_eq!(e.arg_u64("flags"), None, "negative does not fit u64");
    assert_eq!(e.arg_u64("inode"), Some(u64::MAX));
    assert_eq!(e.arg_i64("inode"), None, "u64::MAX does not fit i64");
    assert_eq!(e.arg_bool("fileless"), Some(true));
    assert_eq!(e.arg_bytes("blob"), Some(&[0u8, 1, 0xfe, 0xff][..]));
    let argv = e.arg_list("argv").expect("argv");
    assert_eq!(argv.iter().collect::<Vec<_>>(), ["sh", "-c", "", "écho ✓"]);
    assert_eq!(e.arg_str("argv"), None, "kind mismatch is absent");
    assert_eq!(e.arg_str("missing"), None);
    assert!(e.arg_list("empty_list").expect("present").is_empty());
    assert_eq!(e.arg_str("empty_str"), Some(""));
    let third = Batch::new(&buf).get(2).expect("third event");
    assert_eq!(third.arg_bool(""), Some(false), "empty names are names");
    assert!(Batch::new(&buf).get(3).is_none());
}

#[test]
fn empty_batch() {
    let mut out = vec![9; 3];
    encode_batch(&mut out, &[]).expect("encodes");
    assert_eq!(out, [0, 0, 0, 0]);
    assert!(Batch::new(&out).is_empty());
    assert!(Batch::new(&[]).is_empty());
}

/// The host writes a planned batch into memory the guest allocated: the
/// write must refuse a buffer of the wrong size and events that are not
/// the ones planned, not overrun; a frame is reused from batch to batch.
#[test]
fn a_batch_frame_fills_exactly_its_buffer() {
    let encoded: Vec<Vec<u8>> = vectors().iter().map(encode).collect();
    let events: Vec<&[u8]> = encoded.iter().map(Vec::as_slice).collect();
    let mut frame = BatchFrame::default();
    assert!(frame.is_empty());
    let mut unplanned = vec![0; 4];
    assert_eq!(
        frame.write(&mut unplanned, &[]),
        Err(EncodeError::BufferSize)
    );

    let len = frame.plan(&events).expect("fits");
    assert_eq!(frame.len(), len);
    let mut buf = vec![0xaa; len];
    frame.write(&mut buf, &events).expect("writes");
    assert_eq!(buf, batch_of(&vectors()));

    for wrong in [len - 1, len + 1] {
        let mut buf = vec![0; wrong];
        assert_eq!(frame.write(&mut buf, &events), Err(EncodeError::BufferSize));
    }
    // One event fewer, or an event longer than planned.
    let mut buf = vec![0; len];
    assert_eq!(
        frame.write(&mut buf, &events[1..]),
        Err(EncodeError::BufferSize)
    );
    let longest = *events.iter().max_by_key(|e| e.len()).expect("vectors");
    let longer = vec![longest; events.len()];
    assert!(longer.concat().len() > events.concat().len());
    assert_eq!(frame.write(&mut buf, &longer), Err(EncodeError::BufferSize));

    // Planned again, the frame holds only the new batch.
    let one = [events[1]];
    let len = frame.plan(&one).expect("fits");
    let mut buf = vec![0; len];
    frame.write(&mut buf, &one).expect("writes");
    assert_eq!(buf, batch_of(&vectors()[1..2]));
    assert_eq!(Batch::new(&buf).len(), 1);

    // Past 4 GiB (one 1 MiB event, 4,097 times) the plan fails and leaves
    // the frame empty, so nothing can be written with it.
    let big = vec![0u8; 1 << 20];
    let many = vec![big.as_slice(); 4097];
    assert_eq!(frame.plan(&many), Err(EncodeError::TooLarge));
    assert!(frame.is_empty());
    let mut buf = vec![0; 4];
    assert_eq!(frame.write(&mut buf, &[]), Err(EncodeError::BufferSize));
}

#[test]
fn the_documented_example() {
    let evs = &vectors()[1..2];
    let buf = batch_of(evs);
    let mut want = vec![1, 0, 0, 0, 8, 0, 0, 0];
    want.extend([0u8; 68]);
    want.extend([104, 0, 0, 0, 1, 0, 0, 0, 105, 0, 0, 0, 2, 0, 0, 0]);
    want.extend([0u8; 16]);
    want.extend([0u8; 4]);
    want.extend(b"xsh");
    assert_eq!(buf, want);
}

/// `guest-sdk/wire/testdata/`: `batch.bin` is `vectors()` encoded, and
/// `batch.json` its decoding. Run with `SANDTRAP_WIRE_REGEN=1` after a
/// deliberate change of the vectors.
#[test]
fn conformance_vectors_are_current() {
    let evs = vectors();
    let json = serde_json::to_string_pretty(&Json::Array(evs.iter().map(expected).collect()))
        .expect("serialises")
        + "\n";
    vector_is_current("batch.bin", &batch_of(&evs));
    vector_is_current("batch.json", json.as_bytes());
}

/// Asserts that `testdata/FILE` holds `bytes`; with `SANDTRAP_WIRE_REGEN`
/// set, writes them there first.
pub(crate) fn vector_is_current(file: &str, bytes: &[u8]) {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("testdata")
        .join(file);
    if std::env::var_os("SANDTRAP_WIRE_REGEN").is_some() {
        std::fs::write(&path, bytes).expect("write vector");
    }
    let on_disk = std::fs::read(&path).expect("read vector");
    assert!(
        on_disk == bytes,
        "{file} is stale: rerun with SANDTRAP_WIRE_REGEN=1"
    );
}

/// Every prefix of a valid batch, and the batch with each byte replaced,
/// decodes without panicking; the batch's iterator, which walks the
/// offset table once, yields exactly what indexing each event does.
#[test]
fn malformed_buffers_never_panic() {
    let buf = batch_of(&vectors());
    let walk = |b: &[u8]| {
        let batch = Batch::new(b);
        let walked: Vec<&[u8]> = batch.iter().map(|e| e.as_bytes()).collect();
        let indexed: Vec<&[u8]> = (0..batch.len())
            .map(|i| batch.get(i).map_or(&[][..], |e| e.as_bytes()))
            .collect();
        assert_eq!(walked, indexed, "{b:?}");
        assert_eq!(batch.iter().len(), batch.len());
        for e in batch.iter() {
            let _ = decoded(e);
            let _ = (
                e.arg_list("argv"),
                e.arg_str("pathname"),
                e.arg_u64("inode"),
            );
        }
    };
    for n in 0..buf.len() {
        walk(&buf[..n]);
    }
    let mut b = buf.clone();
    for i in 0..b.len() {
        for x in [0x00, 0x7f, 0xff] {
            let old = b[i];
            b[i] = x;
            walk(&b);
            b[i] = old;
        }
    }
}

/// `encode_event` sizes an event before writing it, so that its buffer
/// is allocated once: the size must be the encoding's own.
#[test]
fn an_event_is_sized_exactly() {
    for ev in vectors() {
        let args = || ev.args.iter().map(|(n, v)| (*n, v.write()));
        let out = encode(&ev);
        assert_eq!(
            crate::write::event_len(&ev.header, ev.args.len(), args()),
            out.len(),
            "{:?}",
            ev.header.name
        );
        assert_eq!(
            out.capacity(),
            out.len(),
            "{:?}: one allocation",
            ev.header.name
        );
    }
}

#[test]
fn short_iterator_is_bounded() {
    /// Announces three arguments, yields one.
    #[derive(Clone)]
    struct Liar(bool);
    impl Iterator for Liar {
        type Item = (&'static str, WriteValue<'static>);
        fn next(&mut self) -> Option<Self::Item> {
            std::mem::replace(&mut self.0, false).then_some(("a", WriteValue::Uint(7)))
        }
    }
    impl ExactSizeIterator for Liar {
        fn len(&self) -> usize {
            3
        }
    }
    let mut out = Vec::new();
    encode_event(&mut out, &EventHeader::default(), Liar(true)).expect("encodes");
    let e = EventView::new(&out);
    assert_eq!(e.arg_count(), 1);
    assert_eq!(e.arg_u64("a"), Some(7));
}
