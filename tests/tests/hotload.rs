//! Hot-load: components swapped, refused and removed while events flow.

use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

use sandtrap_e2e::{event, misbehave, proc};
use sandtrap_runtime::{
    Applied, DirWatcher, Dispatcher, HotLoader, Limits, Runtime, Update, scan_once,
};
use sandtrap_stores::Stores;

/// The component with a custom section appended: different bytes, same
/// detector, so the watcher sees a new version.
fn version(bytes: &[u8], n: u32) -> Vec<u8> {
    let name = b"sandtrap-test-version";
    let payload = n.to_le_bytes();
    let mut out = bytes.to_vec();
    out.push(0); // custom section
    out.push((1 + name.len() + payload.len()) as u8);
    out.push(name.len() as u8);
    out.extend_from_slice(name);
    out.extend_from_slice(&payload);
    out
}

fn settings(_: &str) -> Option<(Vec<(String, String)>, Limits)> {
    // No rate limits: every event must produce exactly one finding.
    let limits = Limits {
        events_per_second: u32::MAX,
        findings_per_second: u32::MAX,
        ..Limits::default()
    };
    Some((vec![("mode".into(), "ok".into())], limits))
}

fn write_atomically(dir: &Path, name: &str, bytes: &[u8]) {
    let tmp = dir.join(format!(".{name}.tmp"));
    std::fs::write(&tmp, bytes).unwrap();
    std::fs::rename(&tmp, dir.join(name)).unwrap();
}

#[test]
fn no_event_is_lost_or_seen_twice_across_repeated_swaps() {
    swaps_keep_every_event(false);
}

#[test]
fn no_event_is_lost_or_seen_twice_across_repeated_swaps_on_worker_threads() {
    swaps_keep_every_event(true);
}

fn swaps_keep_every_event(threaded: bool) {
    let dir = tempfile::tempdir().unwrap();
    let original = std::fs::read(misbehave()).unwrap();
    write_atomically(dir.path(), "m.wasm", &version(&original, 0));
    let rt = Arc::new(
        Runtime::builder()
            .build(Arc::new(Stores::builder().build()))
            .unwrap(),
    );
    let mut pipeline = if threaded {
        Dispatcher::threaded(rt.clone(), 1 << 16)
    } else {
        Dispatcher::new(rt.clone())
    };
    let (_loader, updates) = HotLoader::spawn(
        rt.clone(),
        DirWatcher::new(dir.path()),
        Duration::from_millis(20),
    );

    let (mut sent, mut swaps, mut next_version) = (0u64, 0u32, 1u32);
    let mut seen: Vec<u64> = Vec::new();
    let deadline = Instant::now() + Duration::from_secs(120);
    while swaps < 5 {
        assert!(Instant::now() < deadline, "only {swaps} swaps happened");
        for u in updates.try_iter() {
            match pipeline.apply(u, &settings) {
                Applied::Loaded { replaced: true, .. } => swaps += 1,
                Applied::Loaded { .. } => {}
                other => panic!("unexpected {other:?}"),
            }
        }
        if pipeline.detectors().is_empty() {
            std::thread::sleep(Duration::from_millis(5));
            continue;
        }
        // A steady stream: every event must produce exactly one finding.
        let out = pipeline.process(event("openat", proc(7, 1, 5, "x"), vec![]));
        sent += 1;
        seen.extend(out.findings.iter().map(|f| f.event.seq));
        // Keep the workers' queues short of shedding, yet non-empty when
        // the next swap is applied.
        if threaded && sent % 50 == 25 {
            seen.extend(pipeline.drain().findings.iter().map(|f| f.event.seq));
        }
        if sent % 50 == 0 && next_version <= swaps + 1 {
            write_atomically(dir.path(), "m.wasm", &version(&original, next_version));
            next_version += 1;
        }
    }
    seen.extend(pipeline.drain().findings.iter().map(|f| f.event.seq));
    assert_eq!(pipeline.detectors().len(), 1);
    seen.sort_unstable();
    // Exactly one finding per event: none lost, none delivered twice.
    let first_wrong = seen
        .iter()
        .zip(1..)
        .find(|(got, want)| **got != *want)
        .map(|(got, want)| (want, *got));
    assert!(
        seen.len() as u64 == sent && first_wrong.is_none(),
        "{sent} events across {swaps} swaps, {} findings; first (expected, found): {first_wrong:?}",
        seen.len()
    );
}

#[test]
fn a_broken_version_is_refused_and_the_running_one_stays_then_removal_unloads() {
    let dir = tempfile::tempdir().unwrap();
    let original = std::fs::read(misbehave()).unwrap();
    std::fs::write(dir.path().join("m.wasm"), &original).unwrap();
    let rt = Arc::new(
        Runtime::builder()
            .build(Arc::new(Stores::builder().build()))
            .unwrap(),
    );
    let mut pipeline = Dispatcher::new(rt.clone());
    let mut watcher = DirWatcher::new(dir.path());
    for u in scan_once(&rt, &mut watcher) {
        assert!(matches!(
            pipeline.apply(u, &settings),
            Applied::Loaded {
                replaced: false,
                ..
            }
        ));
    }
    // Half-written: the first half of the component.
    std::fs::write(dir.path().join("m.wasm"), &original[..original.len() / 2]).unwrap();
    let updates = scan_once(&rt, &mut watcher);
    assert_eq!(updates.len(), 1);
    match pipeline.apply(updates.into_iter().next().unwrap(), &settings) {
        Applied::Refused(e) => assert!(
            e.to_string()
                .contains("m.wasm: not a valid WebAssembly component"),
            "{e}"
        ),
        other => panic!("{other:?}"),
    }
    let out = pipeline.process(event("openat", proc(7, 1, 5, "x"), vec![]));
    assert_eq!(out.findings.len(), 1, "the running version still answers");
    // Unchanged content is not reloaded.
    assert!(scan_once(&rt, &mut watcher).is_empty());
    std::fs::remove_file(dir.path().join("m.wasm")).unwrap();
    let updates = scan_once(&rt, &mut watcher);
    assert!(matches!(&updates[..], [Update::Removed { .. }]));
    assert!(matches!(
        pipeline.apply(updates.into_iter().next().unwrap(), &settings),
        Applied::Unloaded { .. }
    ));
    assert!(pipeline.detectors().is_empty());
    assert!(
        pipeline
            .process(event("openat", proc(7, 1, 5, "x"), vec![]))
            .findings
            .is_empty()
    );
}

#[test]
fn compiled_components_come_from_the_cache_the_second_time() {
    let cache = tempfile::tempdir().unwrap();
    let bytes = std::fs::read(misbehave()).unwrap();
    let stores = Arc::new(Stores::builder().build());
    let rt = Runtime::builder()
        .cache_dir(Some(cache.path().to_owned()))
        .build(stores.clone())
        .unwrap();
    let first = sandtrap_runtime::DetectorComponent::load(&rt, "m.wasm", &bytes).unwrap();
    assert!(!first.from_cache());
    // A new runtime (a restart) with the same cache.
    let rt = Runtime::builder()
        .cache_dir(Some(cache.path().to_owned()))
        .build(stores)
        .unwrap();
    let second = sandtrap_runtime::DetectorComponent::load(&rt, "m.wasm", &bytes).unwrap();
    assert!(second.from_cache());
    assert_eq!(second.info(), first.info());
    // A corrupt entry is a miss, not a failure.
    for e in std::fs::read_dir(cache.path()).unwrap() {
        std::fs::write(e.unwrap().path(), b"garbage").unwrap();
    }
    let third = sandtrap_runtime::DetectorComponent::load(&rt, "m.wasm", &bytes).unwrap();
    assert!(!third.from_cache());
}
