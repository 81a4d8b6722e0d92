//! Store answers: round trips, the conformance vectors every SDK decodes
//! (`testdata/answers.json` and one `.bin` per record kind), and malformed
//! answers.

use serde_json::{Value as Json, json};

use crate::tests::{arg_json, vector_is_current};
use crate::*;

fn s(v: u64) -> Json {
    // 64-bit integers are strings in the vectors: JSON readers in
    // JavaScript and Go lose precision above 2^53.
    json!(v.to_string())
}

const ARGV: [&str; 4] = ["sh", "-c", "", "écho ✓"];
const NONE: [&str; 0] = [];

fn processes() -> Vec<ProcessFields<'static, &'static str>> {
    vec![
        ProcessFields {
            entity_id: 0x8000_0000_0000_0001,
            parent_entity_id: 42,
            start_time: 1_700_000_000_123_456_789,
            exit_time: Some(1_700_000_001_000_000_000),
            pid: 4242,
            ppid: 1,
            uid: 1000,
            gid: 1001,
            name: "bash",
            exe: "/usr/bin/bash",
            container_id: "3f2a9c",
            argv: &ARGV,
        },
        ProcessFields {
            entity_id: 42,
            argv: &NONE,
            ..ProcessFields::default()
        },
        ProcessFields {
            entity_id: u64::MAX,
            parent_entity_id: u64::MAX,
            start_time: u64::MAX,
            exit_time: None,
            pid: u32::MAX,
            ppid: u32::MAX,
            uid: u32::MAX,
            gid: u32::MAX,
            name: "systemd",
            exe: "",
            container_id: "",
            argv: &["/sbin/init"],
        },
    ]
}

fn process_json(p: ProcessRecord<'_>) -> Json {
    json!({
        "entity_id": s(p.entity_id()),
        "parent_entity_id": s(p.parent_entity_id()),
        "start_time": s(p.start_time()),
        "exit_time": p.exit_time().map_or(Json::Null, s),
        "pid": p.pid(),
        "ppid": p.ppid(),
        "uid": p.uid(),
        "gid": p.gid(),
        "name": p.name(),
        "exe": p.exe(),
        "container_id": p.container_id(),
        "argv": p.argv().to_vec(),
    })
}

fn containers() -> Vec<ContainerFields<'static>> {
    vec![
        ContainerFields {
            start_time: 1_700_000_000_000_000_000,
            id: "3f2a9c0d1e2f3a4b5c6d7e8f9a0b1c2d3e4f5a6b7c8d9e0f1a2b3c4d5e6f7a8b",
            name: "web-7d4b9",
            image: "registry.example/web:1.4",
            image_digest: "sha256:0123abcd",
            runtime: "containerd",
            pod: Some(PodFields {
                name: "web-7d4b9-xk2p",
                uid: "6a1f-44",
                namespace: "shop",
                sandbox: true,
            }),
        },
        ContainerFields {
            start_time: 7,
            id: "abcdef012345",
            name: "",
            image: "alpine",
            image_digest: "",
            runtime: "docker",
            pod: None,
        },
    ]
}

fn container_json(c: ContainerRecord<'_>) -> Json {
    json!({
        "start_time": s(c.start_time()),
        "id": c.id(),
        "name": c.name(),
        "image": c.image(),
        "image_digest": c.image_digest(),
        "runtime": c.runtime(),
        "pod": c.pod().map_or(Json::Null, |p| json!({
            "name": p.name(),
            "uid": p.uid(),
            "namespace": p.namespace(),
            "sandbox": p.sandbox(),
        })),
    })
}

fn dns() -> Vec<DnsFields<'static, &'static str>> {
    vec![
        DnsFields {
            query: "www.example.com",
            ips: &["93.184.216.34", "2606:2800:220:1:248:1893:25c8:1946"],
            domains: &["www.example.com.edgekey.net", "e1.akamaiedge.net"],
        },
        DnsFields {
            query: "10.0.0.7",
            ips: &NONE,
            domains: &["db.internal"],
        },
    ]
}

fn dns_json(d: DnsRecord<'_>) -> Json {
    json!({
        "query": d.query(),
        "ips": d.ips().to_vec(),
        "domains": d.domains().to_vec(),
    })
}

fn symbols() -> Vec<SymbolFields<'static>> {
    vec![
        SymbolFields {
            query: 0xffff_ffff_8100_0010,
            address: 0xffff_ffff_8100_0000,
            name: "_stext",
            module: "system",
        },
        SymbolFields {
            query: 0xffff_ffff_8100_0010,
            address: 0xffff_ffff_8100_0000,
            name: "_text",
            module: "system",
        },
        SymbolFields {
            query: 0xffff_ffff_c0de_0042,
            address: 0xffff_ffff_c0de_0000,
            name: "hook_getdents64",
            module: "rootkit",
        },
    ]
}

fn symbol_json(x: SymbolRecord<'_>) -> Json {
    json!({
        "query": s(x.query()),
        "address": s(x.address()),
        "name": x.name(),
        "module": x.module(),
    })
}

fn reputations() -> Vec<ReputationFields<'static, &'static str>> {
    vec![
        ReputationFields {
            last_updated: 1_700_000_000_000_000_000,
            ip: "203.0.113.0/24",
            source: "abuse-feed",
            tags: &["c2", "botnet"],
            status: Status::Blacklisted,
            severity: 9,
        },
        ReputationFields {
            last_updated: 0,
            ip: "198.51.100.7",
            source: "",
            tags: &NONE,
            status: Status::Clean,
            severity: 1,
        },
    ]
}

fn status_name(st: Status) -> &'static str {
    match st {
        Status::Unknown => "unknown",
        Status::Clean => "clean",
        Status::Suspicious => "suspicious",
        Status::Blacklisted => "blacklisted",
    }
}

fn reputation_json(r: ReputationRecord<'_>) -> Json {
    json!({
        "last_updated": s(r.last_updated()),
        "ip": r.ip(),
        "source": r.source(),
        "tags": r.tags().to_vec(),
        "status": status_name(r.status()),
        "severity": r.severity(),
    })
}

type Fields =
    std::iter::Copied<std::slice::Iter<'static, (&'static str, WriteValue<'static, &'static str>)>>;

const FIELDS: [(&str, WriteValue<'_, &str>); 6] = [
    ("pathname", WriteValue::Str("memfd:x (deleted)")),
    ("argv", WriteValue::StrList(&ARGV)),
    ("count", WriteValue::Uint(7)),
    ("delta", WriteValue::Int(-3)),
    ("ok", WriteValue::Bool(true)),
    ("raw", WriteValue::Bytes(&[0, 1, 0xff])),
];
const CONNECT: [(&str, WriteValue<'_, &str>); 2] = [
    ("remote_addr", WriteValue::Str("93.184.216.34")),
    ("domains", WriteValue::StrList(&NONE)),
];

/// A detector's output: detections with every field kind, with and
/// without a severity, with no fields, and an error.
fn output() -> Vec<OutputFields<'static, Fields>> {
    vec![
        OutputFields::Detection {
            index: 0,
            severity: 0,
            fields: FIELDS.iter().copied(),
        },
        OutputFields::Error {
            index: 1,
            message: "dns store: timeout ✗",
        },
        OutputFields::Detection {
            index: 2,
            severity: 5,
            fields: [].iter().copied(),
        },
        OutputFields::Detection {
            index: 2,
            severity: 4,
            fields: CONNECT.iter().copied(),
        },
    ]
}

fn output_json(o: OutputRecord<'_>) -> Json {
    match o.kind() {
        OutputKind::Detection => json!({
            "index": o.index(),
            "kind": "detection",
            "severity": o.severity(),
            "fields": o.fields().map(arg_json).collect::<Vec<_>>(),
        }),
        OutputKind::Error => json!({
            "index": o.index(),
            "kind": "error",
            "message": o.message(),
        }),
        OutputKind::Unknown(k) => json!({"index": o.index(), "kind": k}),
    }
}

fn encoded<R: EncodeRecord>(records: &[R]) -> Vec<u8> {
    let mut out = vec![0xAA; 3]; // cleared by the encoder
    encode_records(&mut out, records.iter()).expect("encodes");
    out
}

fn decode_all<'a, R: Record<'a>>(buf: &'a [u8], f: impl Fn(R) -> Json) -> Json {
    Json::Array(Records::<R>::new(buf).iter().map(f).collect())
}

/// (file stem, encoded answer, its decoding) for every record kind.
fn vectors() -> Vec<(&'static str, Vec<u8>)> {
    vec![
        ("processes", encoded(&processes())),
        ("containers", encoded(&containers())),
        ("dns", encoded(&dns())),
        ("symbols", encoded(&symbols())),
        ("reputation", encoded(&reputations())),
        ("output", encoded(&output())),
    ]
}

fn decoded(stem: &str, buf: &[u8]) -> Json {
    match stem {
        "processes" => decode_all(buf, process_json),
        "containers" => decode_all(buf, container_json),
        "dns" => decode_all(buf, dns_json),
        "symbols" => decode_all(buf, symbol_json),
        "reputation" => decode_all(buf, reputation_json),
        "output" => decode_all(buf, output_json),
        _ => unreachable!("no such vector"),
    }
}

#[test]
fn round_trips() {
    let buf = encoded(&processes());
    let list = Records::<ProcessRecord<'_>>::new(&buf);
    assert_eq!(list.len(), 3);
    let p = list.first().expect("one record");
    assert_eq!(p.entity_id(), 0x8000_0000_0000_0001);
    assert_eq!(p.exit_time(), Some(1_700_000_001_000_000_000));
    assert_eq!(p.argv().to_vec(), ARGV);
    assert!(p.is("bash"));
    let idle = list.get(1).expect("second");
    assert_eq!((idle.entity_id(), idle.exit_time()), (42, None));
    assert!(idle.argv().is_empty() && idle.name().is_empty());
    assert!(list.get(3).is_none());

    let buf = encoded(&containers());
    let list = Records::<ContainerRecord<'_>>::new(&buf);
    let pod = list.first().and_then(|c| c.pod()).expect("a pod");
    assert_eq!((pod.namespace(), pod.sandbox()), ("shop", true));
    assert!(list.get(1).expect("second").pod().is_none());

    let buf = encoded(&reputations());
    let r = Records::<ReputationRecord<'_>>::new(&buf);
    let first = r.first().expect("a record");
    assert_eq!(first.status(), Status::Blacklisted);
    assert_eq!(first.tags().to_vec(), ["c2", "botnet"]);
    assert_eq!(r.get(1).expect("second").status(), Status::Clean);
}

#[test]
fn a_builder_frames_what_encode_records_frames() {
    for (stem, bin) in vectors() {
        let mut b = RecordsBuilder::default();
        match stem {
            "processes" => processes().iter().for_each(|r| b.push(r)),
            "containers" => containers().iter().for_each(|r| b.push(r)),
            "dns" => dns().iter().for_each(|r| b.push(r)),
            "symbols" => symbols().iter().for_each(|r| b.push(r)),
            "output" => output().iter().for_each(|r| b.push(r)),
            _ => reputations().iter().for_each(|r| b.push(r)),
        }
        assert_eq!(b.finish().expect("frames"), bin, "{stem}");
    }
    let empty = RecordsBuilder::default();
    assert!(empty.is_empty());
    assert_eq!(empty.finish().expect("frames"), [0, 0, 0, 0]);
}

#[test]
fn an_empty_answer_is_a_count_of_zero() {
    let mut out = Vec::new();
    encode_records(&mut out, std::iter::empty::<SymbolFields<'_>>()).expect("encodes");
    assert_eq!(out, [0, 0, 0, 0]);
    assert!(Records::<SymbolRecord<'_>>::new(&out).is_empty());
    assert!(Records::<SymbolRecord<'_>>::new(&[]).first().is_none());
}

#[test]
fn output_round_trips() {
    let buf = encoded(&output());
    let items = Records::<OutputRecord<'_>>::new(&buf);
    assert_eq!(items.len(), 4);
    let first = items.first().expect("a detection");
    assert_eq!(
        (first.kind(), first.index(), first.severity()),
        (OutputKind::Detection, 0, 0)
    );
    assert_eq!(first.field_count(), 6);
    let argv = first.fields().find(|a| a.name == "argv").expect("argv");
    assert!(matches!(argv.value, ValueRef::StrList(l) if l.to_vec() == ARGV));
    let err = items.get(1).expect("an error");
    assert_eq!(
        (err.kind(), err.message()),
        (OutputKind::Error, "dns store: timeout ✗")
    );
    assert_eq!(err.field_count(), 0);
    let bare = items.get(2).expect("no fields");
    assert_eq!((bare.severity(), bare.fields().count()), (5, 0));
}

#[test]
fn a_malformed_output_field_reads_as_absent() {
    let mut buf = encoded(&output());
    // The first record's first field: its kind byte.
    let at = 4 + 4 * 4 + crate::rec::output::LEN + 8;
    assert_eq!(buf[at], crate::kind::STR);
    buf[at] = 99;
    let items = Records::<OutputRecord<'_>>::new(&buf);
    let first = items.first().expect("a record");
    assert!(first.field(0).is_none());
    assert_eq!(first.fields().count(), 5);
    buf[4 + 4 * 4 + crate::rec::output::KIND] = 7;
    let items = Records::<OutputRecord<'_>>::new(&buf);
    assert_eq!(
        items.first().expect("a record").kind(),
        OutputKind::Unknown(7)
    );
}

#[test]
fn a_status_code_past_the_known_ones_reads_as_unknown() {
    let mut buf = encoded(&reputations());
    let at = 4 + 4 * 2 + crate::rec::reputation::STATUS;
    assert_eq!(buf[at], Status::Blacklisted.code());
    buf[at] = 200;
    let r = Records::<ReputationRecord<'_>>::new(&buf);
    assert_eq!(r.first().expect("a record").status(), Status::Unknown);
}

/// `guest-sdk/wire/testdata/`: `NAME.bin` is each kind's vector encoded,
/// `answers.json` their decoding. Run with `SANDTRAP_WIRE_REGEN=1` after a
/// deliberate change of the vectors.
#[test]
fn answer_vectors_are_current() {
    let mut doc = serde_json::Map::new();
    for (stem, bin) in vectors() {
        let file = format!("{stem}.bin");
        vector_is_current(&file, &bin);
        doc.insert(
            stem.to_owned(),
            json!({"file": file, "records": decoded(stem, &bin)}),
        );
    }
    let json = serde_json::to_string_pretty(&Json::Object(doc)).expect("serialises") + "\n";
    vector_is_current("answers.json", json.as_bytes());
}

/// Every prefix of every vector, and each vector with each byte replaced,
/// decodes without panicking.
#[test]
fn malformed_answers_never_panic() {
    for (stem, buf) in vectors() {
        for n in 0..buf.len() {
            let _ = decoded(stem, &buf[..n]);
        }
        let mut b = buf.clone();
        for i in 0..b.len() {
            for x in [0x00, 0x7f, 0xff] {
                let old = b[i];
                b[i] = x;
                let _ = decoded(stem, &b);
                b[i] = old;
            }
        }
    }
}

#[test]
fn a_short_iterator_is_an_error_not_a_corrupt_answer() {
    struct Liar(bool);
    impl Iterator for Liar {
        type Item = SymbolFields<'static>;
        fn next(&mut self) -> Option<Self::Item> {
            std::mem::replace(&mut self.0, false).then(SymbolFields::default)
        }
    }
    impl ExactSizeIterator for Liar {
        fn len(&self) -> usize {
            2
        }
    }
    let mut out = Vec::new();
    assert!(encode_records(&mut out, Liar(true)).is_err());
    assert!(out.is_empty());
}
