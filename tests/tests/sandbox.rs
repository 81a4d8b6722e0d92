//! A misbehaving detector loses its instance, never the host, and the
//! other detectors keep working.

use std::sync::Arc;
use std::time::Duration;

use sandtrap_e2e::{config, event, example, misbehave, proc};
use sandtrap_model::Arg;
use sandtrap_runtime::{Detector, DetectorComponent, Dispatcher, Limits, Mode, Runtime};
use sandtrap_stores::Stores;
use sandtrap_testkit::MockHost;

fn exec(pid: u32, path: &str) -> sandtrap_model::Event {
    event(
        "sched_process_exec",
        proc(pid, 1, 100 + u64::from(pid), "x"),
        vec![Arg::new("pathname", path)],
    )
}

/// A mock host with the misbehaving detector in `mode` and the fileless
/// detector beside it.
fn host_with(mode: &str, limits: Limits) -> MockHost {
    MockHost::builder()
        .limits(limits)
        .detector_file(&misbehave(), config(&[("mode", mode)]))
        .unwrap()
        .detector_file(&example("fileless_exec"), vec![])
        .unwrap()
        .build()
        .unwrap()
}

fn fileless_findings(h: &mut MockHost, pid: u32) -> usize {
    h.send(exec(pid, "/dev/shm/x"))
        .iter()
        .filter(|f| f.detector.id == "fileless-exec")
        .count()
}

#[test]
fn each_kind_of_fault_discards_the_instance_and_names_the_cause() {
    let small = Limits {
        memory_bytes: 8 << 20,
        fuel_per_call: 50_000_000,
        ..Limits::default()
    };
    for (mode, cause) in [
        ("trap", "trapped"),
        ("loop", "fuel budget"),
        ("grow", "memory cap"),
        ("recurse", "stack overflow"),
        ("store-flood", "budget of 1000 store calls"),
        ("bad-report", "malformed output: a list of 1 records"),
        ("huge-report", "more than 4194304 bytes in one call"),
    ] {
        let mut h = host_with(mode, small.clone());
        assert_eq!(
            fileless_findings(&mut h, 10),
            1,
            "{mode}: the other detector still reports"
        );
        let faults = h.faults();
        assert_eq!(faults.len(), 1, "{mode}: {faults:?}");
        assert_eq!(faults[0].detector, "misbehave");
        assert!(
            faults[0].reason.contains(cause),
            "{mode}: {}",
            faults[0].reason
        );
        // A fresh instance takes the next event (and faults again).
        assert_eq!(fileless_findings(&mut h, 11), 1);
        assert_eq!(h.faults().len(), 2, "{mode}");
        let stats = h.dispatcher().detectors()[0].stats();
        assert_eq!((stats.faults, stats.restarts), (2, 1), "{mode}");
    }
}

#[test]
fn a_report_outside_on_events_refuses_the_load() {
    let err = MockHost::builder()
        .detector_file(&misbehave(), config(&[("mode", "report-in-init")]))
        .unwrap()
        .build()
        .err()
        .expect("init traps");
    let text = err.to_string();
    assert!(text.contains("report called outside on-events"), "{text}");
}

#[test]
fn repeated_faults_quarantine_the_detector() {
    let mut h = host_with(
        "trap",
        Limits {
            max_consecutive_faults: 3,
            ..Limits::default()
        },
    );
    for pid in 0..6 {
        assert_eq!(fileless_findings(&mut h, 20 + pid), 1);
    }
    let d = &h.dispatcher().detectors()[0];
    assert_eq!(h.faults().len(), 3, "no calls after quarantine");
    assert!(
        d.quarantined().unwrap().contains("3 consecutive faults"),
        "{:?}",
        d.quarantined()
    );
    assert_eq!(d.stats().events, 3);
}

#[test]
fn a_fault_on_one_event_does_not_cost_the_next() {
    let mut h = host_with("boom-arg", Limits::default());
    let boom = event("openat", proc(30, 1, 5, "x"), vec![Arg::new("boom", true)]);
    let calm = event("openat", proc(30, 1, 5, "x"), vec![]);
    assert!(h.send(boom).is_empty());
    let after = h.send(calm);
    assert_eq!(after.len(), 1, "fresh instance answered");
    assert_eq!(h.faults().len(), 1);
    assert!(h.dispatcher().detectors()[0].quarantined().is_none());
}

#[test]
fn guest_errors_are_counted_not_faults() {
    let mut h = host_with("error", Limits::default());
    assert_eq!(fileless_findings(&mut h, 40), 1);
    assert!(h.faults().is_empty());
    assert_eq!(h.dispatcher().detectors()[0].stats().errors, 1);
}

#[test]
fn log_lines_are_rate_limited() {
    let mut h = host_with(
        "log-flood",
        Limits {
            log_lines_per_second: 5,
            ..Limits::default()
        },
    );
    h.send(event("openat", proc(50, 1, 5, "x"), vec![]));
    let logs: Vec<_> = h
        .take_logs()
        .into_iter()
        .filter(|l| l.detector == "misbehave")
        .collect();
    assert_eq!(logs.len(), 5);
    assert_eq!(logs[0].message, "flood 0");
    assert_eq!(h.dispatcher().detectors()[0].stats().logs_dropped, 9_995);
}

#[test]
fn live_mode_enforces_a_wall_clock_deadline() {
    let stores = Arc::new(Stores::builder().build());
    let rt = Arc::new(Runtime::builder().mode(Mode::Live).build(stores).unwrap());
    let bytes = std::fs::read(misbehave()).unwrap();
    let component = DetectorComponent::load(&rt, "misbehave.wasm", &bytes).unwrap();
    let limits = Limits {
        call_deadline: Duration::from_millis(30),
        ..Limits::default()
    };
    let mut pipeline = Dispatcher::new(rt.clone());
    pipeline
        .add(Detector::start(&rt, component, config(&[("mode", "loop")]), limits).unwrap())
        .unwrap();
    let out = pipeline.process(event("openat", proc(60, 1, 5, "x"), vec![]));
    assert_eq!(out.faults.len(), 1);
    assert!(
        out.faults[0].reason.contains("CPU deadline of 30ms"),
        "{}",
        out.faults[0].reason
    );
}

#[test]
fn unselected_events_cost_no_call() {
    let mut h = MockHost::builder()
        .detector_file(&example("fileless_exec"), vec![])
        .unwrap()
        .build()
        .unwrap();
    for pid in 0..50 {
        h.send(exec(100 + pid, "/usr/bin/ls"));
        h.send(event(
            "openat",
            proc(100 + pid, 1, 5, "ls"),
            vec![Arg::new("pathname", "/dev/shm/x")],
        ));
    }
    assert_eq!(fileless_findings(&mut h, 999), 1);
    let stats = h.dispatcher().stats();
    assert_eq!((stats.events, stats.unselected, stats.calls), (101, 100, 1));
    assert_eq!(h.dispatcher().detectors()[0].stats().events, 1);
}

#[test]
fn stores_are_updated_before_detectors_see_the_event() {
    // The exec of a process the host never saw: the detector's ancestry
    // lookup must find it (and its parent from the fork just before).
    let mut h = MockHost::builder()
        .detector_file(&example("webserver_shell"), vec![])
        .unwrap()
        .build()
        .unwrap();
    let nginx = proc(800, 1, 500, "nginx");
    let mut nginx = nginx;
    nginx.exe = "/usr/sbin/nginx".into();
    h.send(event(
        "sched_process_fork",
        nginx,
        vec![
            Arg::new("child_pid", 900u32),
            Arg::new("child_start_ticks", 900u64),
        ],
    ));
    let f = h.send(event(
        "sched_process_exec",
        proc(900, 800, 900, "sh"),
        vec![Arg::new("pathname", "/bin/sh")],
    ));
    assert_eq!(f.len(), 1, "{f:?}");
    assert_eq!(f[0].ancestry[0].pid, 800);
    assert_eq!(f[0].process.as_ref().unwrap().name, "sh");
}

#[test]
fn only_the_owner_holds_a_writer() {
    // The feed registers the store; another detector registering the same
    // name is refused, with a message naming the owner.
    let err = MockHost::builder()
        .detector_file(
            &example("ip_reputation_feed"),
            config(&[("blacklist", "192.0.2.1")]),
        )
        .unwrap()
        .detector_file(&misbehave(), config(&[("register", "ip-reputation")]))
        .unwrap()
        .build()
        .err()
        .expect("second registration refused");
    let text = err.to_string();
    assert!(text.contains("detector misbehave"), "{text}");
    assert!(
        text.contains("owned by") && text.contains("ip-reputation-feed"),
        "{text}"
    );
}

#[test]
fn excess_events_are_shed_and_excess_findings_summarised() {
    // The mock host's clock stands still: one second-long window.
    let limits = Limits {
        events_per_second: 30,
        findings_per_second: 10,
        ..Limits::default()
    };
    let mut h = MockHost::builder()
        .limits(limits)
        .detector_file(&misbehave(), config(&[("mode", "ok")]))
        .unwrap()
        .build()
        .unwrap();
    let mut reported = 0;
    for pid in 0..50 {
        reported += h.send(event("openat", proc(pid, 1, 5, "x"), vec![])).len();
    }
    let stats = h.dispatcher().detectors()[0].stats();
    assert_eq!(stats.shed, 20, "50 events, 30 delivered");
    assert_eq!(stats.events, 30);
    assert_eq!(stats.suppressed, 20, "30 detections, 10 reported");
    assert_eq!(reported, 10);
    // A second later the summary comes first, with the count.
    let later = event("openat", proc(99, 1, 5, "x"), vec![]);
    let later = sandtrap_model::Event {
        timestamp: 1_700_000_002_000_000_000,
        ..later
    };
    let f = h.send(later);
    let summary = f
        .iter()
        .find(|f| f.definition.name == "findings_suppressed")
        .expect("summary finding");
    assert_eq!(summary.detector.id, "misbehave");
    assert_eq!(summary.fields[0].value, sandtrap_model::Value::Uint(20));
}

#[test]
fn files_sockets_environment_and_arguments_are_not_there() {
    let mut h = host_with("ambient", Limits::default());
    let f = h.send(event("openat", proc(70, 1, 5, "x"), vec![]));
    let mine = f
        .iter()
        .find(|f| f.detector.id == "misbehave")
        .expect("a detection");
    let field = |n: &str| {
        mine.fields
            .iter()
            .find(|a| a.name == n)
            .map(|a| a.value.clone())
            .unwrap()
    };
    let text = |v: sandtrap_model::Value| match v {
        sandtrap_model::Value::Str(s) => s,
        other => panic!("{other:?}"),
    };
    let fs = text(field("fs"));
    assert!(
        fs.parse::<u64>().is_err(),
        "reading /etc/hostname must fail, got {fs}"
    );
    let net = text(field("net"));
    assert_ne!(net, "connected");
    assert_eq!(field("env"), sandtrap_model::Value::Uint(0));
    assert_eq!(field("args"), sandtrap_model::Value::Uint(0));
    assert!(h.faults().is_empty());
}

#[test]
fn stale_and_forged_handles_trap_the_offender_only() {
    for (mode, cause) in [
        ("stale-handle", "unknown handle"),
        ("forged-writer", "handle"),
    ] {
        let fixtures = sandtrap_testkit::StoreFixtures {
            reputation: vec![sandtrap_testkit::ReputationFixture {
                store: "ip-reputation".into(),
                owner: "someone-else".into(),
                policy: Default::default(),
                entries: vec![],
            }],
            ..Default::default()
        };
        let mut h = MockHost::builder()
            .fixtures(fixtures)
            .detector_file(&misbehave(), config(&[("mode", mode)]))
            .unwrap()
            .detector_file(&example("fileless_exec"), vec![])
            .unwrap()
            .build()
            .unwrap();
        assert_eq!(
            fileless_findings(&mut h, 80),
            1,
            "{mode}: the others lose nothing"
        );
        let faults = h.faults();
        assert_eq!(faults.len(), 1, "{mode}: {faults:?}");
        assert!(
            faults[0].reason.contains(cause),
            "{mode}: {}",
            faults[0].reason
        );
        let store = h.stores().reputation().open("ip-reputation").unwrap();
        assert!(
            store.list_sources().is_empty(),
            "{mode}: nothing was written"
        );
    }
}

#[test]
fn a_findings_flood_is_capped_and_counted() {
    let mut h = host_with("flood-findings", Limits::default());
    let f = h.send(event("openat", proc(90, 1, 5, "x"), vec![]));
    assert_eq!(
        f.iter().filter(|f| f.detector.id == "misbehave").count(),
        100
    );
    let s = h.dispatcher().detectors()[0].stats();
    assert_eq!((s.detections, s.suppressed), (1000, 900));
}

#[test]
fn faults_spread_over_a_window_also_trip_the_breaker() {
    // Faults on every other event never trip the consecutive breaker.
    let limits = Limits {
        max_faults_per_window: 4,
        ..Limits::default()
    };
    let mut h = host_with("boom-arg", limits);
    for pid in 0..10 {
        h.send(event(
            "openat",
            proc(100 + pid, 1, 5, "x"),
            vec![Arg::new("boom", true)],
        ));
        h.send(event("openat", proc(100 + pid, 1, 5, "x"), vec![]));
    }
    let d = &h.dispatcher().detectors()[0];
    assert_eq!(h.faults().len(), 4);
    assert!(
        d.quarantined().unwrap().contains("4 faults within 60s"),
        "{:?}",
        d.quarantined()
    );
}

#[test]
fn a_batch_is_delivered_in_one_call_with_each_detection_placed_at_its_event() {
    let rt = Runtime::builder()
        .mode(Mode::Deterministic)
        .build(Arc::new(Stores::builder().build()))
        .unwrap();
    let bytes = std::fs::read(misbehave()).unwrap();
    let component = DetectorComponent::load(&rt, "misbehave.wasm", &bytes).unwrap();
    let unlimited = Limits {
        events_per_second: u32::MAX,
        findings_per_second: u32::MAX,
        ..Limits::default()
    };
    let mut d = Detector::start(
        &rt,
        component.clone(),
        config(&[("mode", "ok")]),
        unlimited.clone(),
    )
    .unwrap();
    let batch: Vec<_> = (0..5).map(|i| exec(100 + i, "/bin/x")).collect();
    let out = d.on_batch(&rt, &batch).unwrap();
    assert_eq!(
        out.iter().map(|(i, _)| *i).collect::<Vec<_>>(),
        vec![0, 1, 2, 3, 4]
    );
    assert_eq!(d.stats().events, 5);
    assert_eq!(d.stats().latency_buckets.iter().sum::<u64>(), 1, "one call");

    // A trap anywhere in the batch costs the instance, like a single call.
    let mut d =
        Detector::start(&rt, component, config(&[("mode", "boom-arg")]), unlimited).unwrap();
    let mut batch = batch;
    batch[3].args.push(Arg::new("boom", 1u64));
    let fault = d.on_batch(&rt, &batch).unwrap_err();
    assert!(fault.reason.contains("trapped"), "{fault:?}");
    assert_eq!(d.stats().faults, 1);
    // The next batch gets a fresh instance.
    batch[3].args.pop();
    assert_eq!(d.on_batch(&rt, &batch).unwrap().len(), 5);
    assert_eq!(d.stats().restarts, 1);
}

/// Its selector names `ip-reputation`, so denied-connect refuses to start
/// reading any other store rather than select nothing it knows.
#[test]
fn denied_connect_refuses_a_store_its_selector_does_not_name() {
    let err = MockHost::builder()
        .detector_file(&example("denied_connect"), config(&[("store", "other")]))
        .unwrap()
        .build()
        .err()
        .expect("init refuses");
    let text = err.to_string();
    assert!(
        text.contains("config \"store\"") && text.contains("\"other\""),
        "{text}"
    );
}

/// denied-connect selects connects with `blacklisted-in`: the host answers
/// from the store, and the detector is called only for the one address
/// the store blacklists.
/// `domain-in-config`: the host reads the feed's `deny_domains` from its
/// configuration, so answers about other domains cost it no call, and an
/// instance configured without the key is not called at all.
#[test]
fn a_config_list_filter_spares_the_call() {
    let dns = |pid: u32, query: &str, ip: &str| {
        event(
            "dns_response",
            proc(pid, 1, 5, "resolver"),
            vec![
                Arg::new("query", query),
                Arg::new("answers", vec![format!("{query} 300 IN A {ip}")]),
            ],
        )
    };
    let answers = [
        ("www.example.com.", "93.184.216.34"),
        ("C2.Evil.Example.", "203.0.113.50"),
        ("evil.example.org.", "198.51.100.7"),
        ("notevil.example.", "192.0.2.1"),
    ];
    for (config, want_calls) in [(vec![("deny_domains", "evil.example")], 1), (vec![], 0)] {
        let config = config
            .into_iter()
            .map(|(k, v)| (k.to_owned(), v.to_owned()))
            .collect();
        let mut h = MockHost::builder()
            .detector_file(&example("ip_reputation_feed"), config)
            .unwrap()
            .build()
            .unwrap();
        let mut found = Vec::new();
        for (i, (query, ip)) in answers.iter().enumerate() {
            found.extend(h.send(dns(10 + i as u32, query, ip)));
        }
        let stats = h.dispatcher().detectors()[0].stats();
        assert_eq!(
            (stats.events, stats.calls),
            (want_calls, want_calls),
            "called only for the denied domain"
        );
        assert_eq!(found.len() as u64, want_calls, "{found:?}");
        if want_calls == 1 {
            let r = h.stores().reputation().open("ip-reputation").unwrap();
            assert!(r.is_blacklisted("203.0.113.50").unwrap());
            assert!(!r.is_blacklisted("198.51.100.7").unwrap());
        }
    }
}

#[test]
fn a_store_backed_filter_spares_the_call() {
    use sandtrap_model::{ConflictPolicy, Reputation, ReputationStatus};
    let mut h = MockHost::builder()
        .detector_file(&example("denied_connect"), vec![])
        .unwrap()
        .build()
        .unwrap();
    let store = h
        .stores()
        .reputation()
        .register("ip-reputation", "test", ConflictPolicy::LastWriteWins, &[])
        .unwrap();
    store
        .write(
            "feed",
            Reputation {
                ip: "203.0.113.0/24".into(),
                status: ReputationStatus::Blacklisted,
                severity: 8,
                tags: vec![],
                last_updated: 1,
            },
        )
        .unwrap();
    let connect = |pid: u32, addr: &str| {
        event(
            "security_socket_connect",
            proc(pid, 1, 5, "x"),
            vec![
                Arg::new("remote_addr", addr),
                Arg::new("remote_port", 443u64),
            ],
        )
    };
    let mut found = 0;
    for (pid, addr) in [(1, "198.51.100.1"), (2, "203.0.113.9"), (3, "192.0.2.1")] {
        found += h.send(connect(pid, addr)).len();
    }
    assert_eq!(found, 1);
    let stats = h.dispatcher().detectors()[0].stats();
    assert_eq!(
        (stats.events, stats.calls),
        (1, 1),
        "one call, for the listed address"
    );
}
