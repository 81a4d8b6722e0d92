//! The detector under the mock host, driven from Rust with `cargo test`.

use std::path::PathBuf;

use sandtrap_model::{Arg, Event, ProcessContext, Severity};
use sandtrap_testkit::MockHost;

fn component() -> PathBuf {
    let p = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../target/wasm32-wasip2/guest/fileless_exec.wasm");
    assert!(
        p.exists(),
        "{} is missing: run `./dev guests` first",
        p.display()
    );
    p
}

fn exec(pid: u32, ppid: u32, ticks: u64, path: &str) -> Event {
    Event {
        seq: 0,
        timestamp: 0,
        name: "sched_process_exec".into(),
        process: ProcessContext {
            pid,
            tid: pid,
            ppid,
            start_ticks: ticks,
            comm: "x".into(),
            ..Default::default()
        },
        args: vec![Arg::new("pathname", path)],
    }
}

#[test]
fn reports_memory_backed_executables_only() {
    let mut host = MockHost::builder()
        .detector_file(&component(), vec![])
        .unwrap()
        .build()
        .unwrap();
    assert!(host.send(exec(10, 1, 100, "/usr/bin/true")).is_empty());
    let f = host.send(exec(11, 10, 101, "memfd:x"));
    assert_eq!(f.len(), 1);
    assert_eq!(f[0].severity, Severity::High);
    assert_eq!(f[0].definition.mitre_technique, "T1620");
    // The host attached the parent it learnt from the first exec.
    assert_eq!(f[0].ancestry.first().map(|p| p.pid), Some(10));
    assert!(host.faults().is_empty());
}
