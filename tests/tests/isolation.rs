//! Threaded dispatch: a detector that stalls delays no other detector, a
//! detector that reads a writable store still sees its owner's writes for
//! earlier events, and `poll` wakes a worker that waits for a batch.

use std::collections::BTreeSet;
use std::sync::Arc;
use std::time::{Duration, Instant};

use sandtrap_e2e::{config, event, example, misbehave, proc};
use sandtrap_model::{Arg, Finding};
use sandtrap_runtime::{Detector, DetectorComponent, Dispatcher, Limits, Runtime};
use sandtrap_stores::Stores;

/// No rate limits, so every event must produce exactly one finding.
fn unlimited() -> Limits {
    Limits {
        events_per_second: u32::MAX,
        findings_per_second: u32::MAX,
        ..Limits::default()
    }
}

fn live_runtime() -> Arc<Runtime> {
    Arc::new(
        Runtime::builder()
            .build(Arc::new(Stores::builder().build()))
            .unwrap(),
    )
}

/// The owner of the `ip-reputation` store, writing the answers for
/// `evil.example` names.
fn reputation_feed(rt: &Runtime) -> Detector {
    start(
        rt,
        &example("ip_reputation_feed"),
        None,
        &[("deny_domains", "evil.example")],
        unlimited(),
    )
}

/// A reader of the `ip-reputation` store.
fn denied_connect(rt: &Runtime) -> Detector {
    start(rt, &example("denied_connect"), None, &[], unlimited())
}

fn start(
    rt: &Runtime,
    path: &std::path::Path,
    id: Option<&str>,
    cfg: &[(&str, &str)],
    limits: Limits,
) -> Detector {
    let bytes = std::fs::read(path).unwrap();
    let component = DetectorComponent::load(rt, &path.display().to_string(), &bytes).unwrap();
    let d = Detector::start(rt, component, config(cfg), limits).unwrap();
    match id {
        Some(id) => d.renamed(rt, id).unwrap(),
        None => d,
    }
}

#[test]
fn a_stalled_detector_delays_no_other_detector() {
    const EVENTS: u64 = 1000;
    let rt = live_runtime();
    let mut pipeline = Dispatcher::threaded(rt.clone(), 2 * EVENTS as usize);
    // Each call of this one spins until its 3 s deadline; one fault
    // quarantines it, so the test ends soon after.
    let stalling = Limits {
        call_deadline: Duration::from_secs(3),
        max_consecutive_faults: 1,
        ..unlimited()
    };
    pipeline
        .add(start(
            &rt,
            &misbehave(),
            Some("stalling"),
            &[("mode", "loop")],
            stalling,
        ))
        .unwrap();
    pipeline
        .add(start(
            &rt,
            &misbehave(),
            Some("steady"),
            &[("mode", "ok")],
            unlimited(),
        ))
        .unwrap();

    let started = Instant::now();
    let mut steady: Vec<u64> = Vec::new();
    let mut faults = Vec::new();
    let mut take = |out: sandtrap_runtime::Outcome, steady: &mut Vec<u64>| {
        steady.extend(
            out.findings
                .iter()
                .filter(|f| f.detector.id == "steady")
                .map(|f| f.event.seq),
        );
        faults.extend(out.faults);
    };
    for pid in 0..EVENTS {
        let out = pipeline.process(event("openat", proc(1000 + pid as u32, 1, 5, "x"), vec![]));
        take(out, &mut steady);
    }
    while (steady.len() as u64) < EVENTS {
        assert!(
            started.elapsed() < Duration::from_secs(60),
            "steady detector finished only {} of {EVENTS} events",
            steady.len()
        );
        std::thread::sleep(Duration::from_millis(2));
        let out = pipeline.poll();
        take(out, &mut steady);
    }
    // Every event reached the steady detector, in order, while the
    // stalling one was still inside its first call.
    assert_eq!(steady, (1..=EVENTS).collect::<Vec<_>>());
    assert!(
        faults.is_empty(),
        "the stalling detector's first call ended before the steady one finished: {faults:?}"
    );

    let last = pipeline.close();
    assert!(last.findings.iter().all(|f| f.detector.id != "steady"));
    let stalled: Vec<_> = faults.iter().chain(&last.faults).collect();
    assert_eq!(stalled.len(), 1, "one fault, then quarantine: {stalled:?}");
    assert_eq!(stalled[0].detector, "stalling");
    assert!(stalled[0].reason.contains("CPU deadline"), "{stalled:?}");
}

#[test]
fn a_store_reader_sees_its_owners_writes_for_earlier_events() {
    const PAIRS: u32 = 300;
    let rt = live_runtime();
    let mut pipeline = Dispatcher::threaded(rt.clone(), 4 * PAIRS as usize);
    // The reader loads first, before the store exists: the ordering must
    // still follow once the owner registers it.
    pipeline.add(denied_connect(&rt)).unwrap();
    pipeline.add(reputation_feed(&rt)).unwrap();

    let mut findings: Vec<Finding> = Vec::new();
    for i in 0..PAIRS {
        let ip = format!("203.0.{}.{}", i / 200, i % 200 + 1);
        let p = proc(4000 + i, 1, 7, "curl");
        let answer = format!("h{i}.evil.example. 300 IN A {ip}");
        findings.extend(
            pipeline
                .process(event(
                    "dns_response",
                    p.clone(),
                    vec![
                        Arg::new("query", format!("h{i}.evil.example")),
                        Arg::new("answers", vec![answer]),
                    ],
                ))
                .findings,
        );
        findings.extend(
            pipeline
                .process(event(
                    "security_socket_connect",
                    p.clone(),
                    vec![
                        Arg::new("remote_addr", ip.as_str()),
                        Arg::new("remote_port", 443u64),
                    ],
                ))
                .findings,
        );
        // An address nobody blacklisted: its selector's store filter is
        // answered in the worker, so it costs the reader no call.
        findings.extend(
            pipeline
                .process(event(
                    "security_socket_connect",
                    p,
                    vec![
                        Arg::new("remote_addr", format!("198.51.100.{}", i % 200 + 1)),
                        Arg::new("remote_port", 443u64),
                    ],
                ))
                .findings,
        );
    }
    findings.extend(pipeline.drain().findings);
    let reader = pipeline
        .detectors()
        .into_iter()
        .find(|d| d.id() == "denied-connect")
        .expect("loaded")
        .stats();
    assert_eq!(
        reader.events,
        u64::from(PAIRS),
        "only blacklisted connects cross"
    );
    findings.extend(pipeline.close().findings);

    let denied: BTreeSet<u64> = findings
        .iter()
        .filter(|f| f.detector.id == "denied-connect")
        .map(|f| f.event.seq)
        .collect();
    let fed = findings
        .iter()
        .filter(|f| f.detector.id == "ip-reputation-feed")
        .count();
    assert_eq!(fed, PAIRS as usize);
    // The blacklisted connects are sequence numbers 2, 5, 8, …; each must
    // be judged after the feed wrote the answer that preceded it.
    let expected: BTreeSet<u64> = (0..u64::from(PAIRS)).map(|i| 3 * i + 2).collect();
    assert_eq!(denied, expected);
}

/// Once the store's owner has handled every earlier event, the dispatcher
/// answers a reader's store filter itself: a connect to an address nobody
/// blacklisted is never queued for the reader, and the blacklisted one is.
#[test]
fn an_idle_owners_store_filter_is_answered_before_queueing() {
    let rt = live_runtime();
    let mut pipeline = Dispatcher::threaded(rt.clone(), 1024);
    pipeline.add(reputation_feed(&rt)).unwrap();
    pipeline.add(denied_connect(&rt)).unwrap();
    let p = proc(4100, 1, 7, "curl");
    let connect = |addr: &str| {
        event(
            "security_socket_connect",
            p.clone(),
            vec![
                Arg::new("remote_addr", addr),
                Arg::new("remote_port", 443u64),
            ],
        )
    };
    let mut findings = pipeline
        .process(event(
            "dns_response",
            p.clone(),
            vec![
                Arg::new("query", "h.evil.example"),
                Arg::new(
                    "answers",
                    vec!["h.evil.example. 300 IN A 203.0.113.9".to_owned()],
                ),
            ],
        ))
        .findings;
    // The feed handles the answer and is idle from here on.
    findings.extend(pipeline.drain().findings);
    let queued = pipeline.stats().calls;
    for i in 0..100 {
        findings.extend(
            pipeline
                .process(connect(&format!("198.51.100.{}", i + 1)))
                .findings,
        );
    }
    let blacklisted = pipeline.process(connect("203.0.113.9"));
    findings.extend(blacklisted.findings);
    assert_eq!(
        pipeline.stats().calls - queued,
        1,
        "only the connect to the blacklisted address is queued"
    );
    findings.extend(pipeline.drain().findings);
    findings.extend(pipeline.close().findings);
    let denied: Vec<u64> = findings
        .iter()
        .filter(|f| f.detector.id == "denied-connect")
        .map(|f| f.event.seq)
        .collect();
    // Sequence numbers: the answer is 1, the connects 2 to 102.
    assert_eq!(denied, vec![102]);
}

#[test]
fn a_detector_that_falls_behind_catches_up_in_batches() {
    const EVENTS: u64 = 100;
    const GATE_PID: u32 = 7777;
    let rt = live_runtime();
    let mut pipeline = Dispatcher::threaded(rt.clone(), 2 * EVENTS as usize);
    let patient = Limits {
        call_deadline: Duration::from_secs(60),
        store_calls_per_event: u32::MAX,
        ..unlimited()
    };
    pipeline
        .add(start(
            &rt,
            &misbehave(),
            Some("behind"),
            &[("mode", "gate")],
            patient,
        ))
        .unwrap();
    // The first call lasts until the gate process appears; meanwhile the
    // other events pile up in the detector's queue.
    let gate = sandtrap_model::entity_id(GATE_PID, 9);
    let mut findings: Vec<Finding> = Vec::new();
    let first = event(
        "openat",
        proc(2000, 1, 5, "x"),
        vec![Arg::new("gate", gate)],
    );
    findings.extend(pipeline.process(first).findings);
    for pid in 1..EVENTS - 1 {
        let ev = event("openat", proc(2000 + pid as u32, 1, 5, "x"), vec![]);
        findings.extend(pipeline.process(ev).findings);
    }
    let open_gate = event("sched_process_exec", proc(GATE_PID, 1, 9, "gate"), vec![]);
    findings.extend(pipeline.process(open_gate).findings);
    findings.extend(pipeline.drain().findings);

    let seqs: Vec<u64> = findings.iter().map(|f| f.event.seq).collect();
    assert_eq!(seqs, (1..=EVENTS).collect::<Vec<_>>(), "all, in order");
    let stats = pipeline.detectors()[0].stats();
    assert_eq!(stats.events, EVENTS);
    assert_eq!(stats.faults, 0);
    // The first call may have taken only the gated event; the other 99
    // then go in full batches of 32: at most 1 + ⌈99 / 32⌉ calls, not 100.
    assert!(
        stats.calls <= 1 + (EVENTS - 1).div_ceil(32),
        "{} calls for {EVENTS} events",
        stats.calls
    );
    pipeline.close();
}

/// A sleeping worker is woken by a batch's worth of events, not by each:
/// fewer wait for `poll`. With the idle interval at an hour, nothing but
/// `poll` can deliver the three events below, so the test fails (after its
/// minute) if `poll` stops waking workers.
#[test]
fn poll_wakes_a_worker_for_fewer_events_than_a_batch() {
    let rt = live_runtime();
    let mut pipeline =
        Dispatcher::threaded(rt.clone(), 1024).summary_interval(Duration::from_secs(3600));
    pipeline
        .add(start(
            &rt,
            &misbehave(),
            Some("steady"),
            &[("mode", "ok")],
            unlimited(),
        ))
        .unwrap();
    // Let the worker find its queue empty and go to sleep; were it still
    // starting, it would take the events without being woken and the test
    // would prove nothing (but still pass).
    std::thread::sleep(Duration::from_millis(200));
    let mut seqs: Vec<u64> = Vec::new();
    for pid in 0..3 {
        let out = pipeline.process(event("openat", proc(3000 + pid, 1, 5, "x"), vec![]));
        seqs.extend(out.findings.iter().map(|f| f.event.seq));
    }
    let started = Instant::now();
    while seqs.len() < 3 {
        assert!(
            started.elapsed() < Duration::from_secs(60),
            "poll delivered {} of 3 events",
            seqs.len()
        );
        std::thread::sleep(Duration::from_millis(5));
        seqs.extend(pipeline.poll().findings.iter().map(|f| f.event.seq));
    }
    assert_eq!(seqs, [1, 2, 3]);
    assert_eq!(pipeline.detectors()[0].stats().events, 3);
    pipeline.close();
}
