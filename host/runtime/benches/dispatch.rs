//! Dispatch benchmark: the cost of the sandbox boundary and of the host
//! around it. `cargo bench -p sandtrap-runtime --bench dispatch` (after
//! `./dev guests`; `./dev bench` runs it) prints a markdown table and
//! writes it to `docs/benchmarks.json` and `docs/benchmark-results.md`.
//!
//! Measures: host-side filtering of events no detector selected; calls
//! into 1, 8 and 32 detectors; instantiate, compile (cold and cached) and
//! hot-swap; resident memory per loaded detector.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use sandtrap_model::{Arg, Event, ProcessContext};
use sandtrap_runtime::{Applied, Detector, DetectorComponent, Dispatcher, Limits, Runtime, Update};
use sandtrap_stores::Stores;

#[path = "support/report.rs"]
mod report;
use report::{Results, rss_kib};

// The allocator of the `sandtrap` binary, so the figures are its figures.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn component(name: &str) -> Vec<u8> {
    let p = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../target")
        .join(name);
    std::fs::read(&p).unwrap_or_else(|e| panic!("{}: {e} (run ./dev guests first)", p.display()))
}

fn event(name: &str, path: &str, pid: u32) -> Event {
    Event {
        seq: 0,
        // Stamped, as every recorded or live event is: the host reads the
        // clock only for an event that comes without its time.
        timestamp: 1_700_000_000_000_000_000,
        name: name.into(),
        process: ProcessContext {
            pid,
            tid: pid,
            ppid: 1,
            start_ticks: 100,
            comm: "bench".into(),
            ..Default::default()
        },
        args: vec![Arg::new("pathname", path)],
    }
}

fn unlimited() -> Limits {
    Limits {
        events_per_second: u32::MAX,
        findings_per_second: u32::MAX,
        ..Limits::default()
    }
}

fn per_event(n: u64, d: Duration) -> f64 {
    d.as_nanos() as f64 / n as f64
}

fn main() {
    let stores = Arc::new(Stores::builder().build());
    let rt = Arc::new(Runtime::builder().build(stores.clone()).unwrap());
    let fileless = component("detectors/fileless_exec.wasm");
    let misbehave = component("test-detectors/misbehave.wasm");
    let mut r = Results::new();

    // Compile, cold and from the cache.
    let cache = std::env::temp_dir().join(format!("sandtrap-bench-cache-{}", std::process::id()));
    let cached_rt = Runtime::builder()
        .cache_dir(Some(cache.clone()))
        .build(stores.clone())
        .unwrap();
    let t = Instant::now();
    let c = DetectorComponent::load(&cached_rt, "fileless", &fileless).unwrap();
    r.add(
        "lifecycle",
        &format!(
            "compile + check, cold (fileless-exec, {} KiB)",
            fileless.len() / 1024
        ),
        t.elapsed().as_secs_f64() * 1e3,
        "ms",
        None,
    );
    assert!(!c.from_cache());
    let t = Instant::now();
    let c = DetectorComponent::load(&cached_rt, "fileless", &fileless).unwrap();
    r.add(
        "lifecycle",
        "compile + check, from the on-disk cache",
        t.elapsed().as_secs_f64() * 1e3,
        "ms",
        None,
    );
    assert!(c.from_cache());
    let _ = std::fs::remove_dir_all(&cache);

    // Instantiate + init.
    let comp = DetectorComponent::load(&rt, "misbehave", &misbehave).unwrap();
    let n = 200;
    let t = Instant::now();
    for _ in 0..n {
        let d = Detector::start(&rt, comp.clone(), vec![], unlimited()).unwrap();
        drop(d);
    }
    r.add(
        "lifecycle",
        "instantiate + init",
        per_event(n, t.elapsed()) / 1e3,
        "µs",
        None,
    );

    // Hot swap of a compiled component, between two events.
    let mut pipeline = Dispatcher::new(rt.clone());
    pipeline
        .add(Detector::start(&rt, comp.clone(), vec![], unlimited()).unwrap())
        .unwrap();
    let settings = |_: &str| Some((vec![("mode".to_owned(), "ok".to_owned())], unlimited()));
    let swaps = 100;
    let t = Instant::now();
    for _ in 0..swaps {
        let u = Update::Ready {
            path: PathBuf::from("misbehave"),
            component: comp.clone(),
        };
        assert!(matches!(
            pipeline.apply(u, &settings),
            Applied::Loaded { .. } | Applied::Refused(_)
        ));
    }
    r.add(
        "lifecycle",
        "hot swap of a cached component (start, swap, close old)",
        t.elapsed().as_secs_f64() * 1e3 / f64::from(swaps),
        "ms",
        Some("< 5 ms"),
    );

    // Host-side filtering: events no selector matches cost no wasm call.
    let mut pipeline = Dispatcher::new(rt.clone());
    pipeline
        .add(
            Detector::start(
                &rt,
                DetectorComponent::load(&rt, "f", &fileless).unwrap(),
                vec![],
                unlimited(),
            )
            .unwrap(),
        )
        .unwrap();
    let n = 200_000;
    let ev = event("openat", "/etc/passwd", 10);
    let t = Instant::now();
    for _ in 0..n {
        pipeline.process(ev.clone());
    }
    r.add(
        "filtering",
        "event selected by no detector (stores + selection, no wasm call)",
        per_event(n, t.elapsed()),
        "ns/event",
        None,
    );
    let ev = event("sched_process_exec", "/usr/bin/ls", 10);
    let t = Instant::now();
    for _ in 0..n {
        pipeline.process(ev.clone());
    }
    r.add(
        "filtering",
        "exec rejected by a detector's pathname filter (host-side)",
        per_event(n, t.elapsed()),
        "ns/event",
        None,
    );

    // Calls into N trivial detectors (misbehave "ok": one detection per event).
    for count in [1usize, 8, 32] {
        let mut pipeline = Dispatcher::new(rt.clone());
        let before = rss_kib("VmRSS:");
        for i in 0..count {
            // The same component, running as `count` instances.
            let d = Detector::start(
                &rt,
                comp.clone(),
                vec![("mode".into(), "ok".into())],
                unlimited(),
            )
            .and_then(|d| d.renamed(&rt, format!("misbehave-{i}")))
            .unwrap();
            pipeline.add(d).unwrap();
        }
        let loaded = pipeline.detectors().len();
        let after = rss_kib("VmRSS:");
        let n = 20_000;
        let ev = event("openat", "/tmp/x", 11);
        let t = Instant::now();
        let mut findings = 0;
        for _ in 0..n {
            findings += pipeline.process(ev.clone()).findings.len();
        }
        let el = t.elapsed();
        assert_eq!(findings, n * loaded, "one finding per detector and event");
        r.add(
            "calls",
            &format!("{loaded} detectors called per event, one finding each"),
            per_event(n as u64, el),
            "ns/event",
            None,
        );
        if loaded == 32 {
            r.add(
                "memory",
                "resident memory per loaded idle Rust detector (32 loaded)",
                after.saturating_sub(before) as f64 / loaded as f64,
                "KiB",
                Some("< 2 MiB"),
            );
        }
    }
    r.write(
        "dispatch",
        "cargo bench -p sandtrap-runtime --bench dispatch",
    );
}
