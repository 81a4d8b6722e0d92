//! The cost of the sandbox: the same detector logic in wasm and compiled
//! natively into the host, the boundary per event with and without
//! batching, store calls from wasm against the same calls made natively,
//! events per second through the host into 1, 8 and 32 detectors on a
//! realistic stream (one detector after the other, as replays run, and on
//! their own threads, as `sandtrap run` does), and the replay pipeline
//! over a generated trace of a million events.
//!
//! `cargo bench -p sandtrap-runtime --bench sandbox` (after `./dev guests`;
//! `./dev bench` runs it) prints a markdown table and writes it to
//! `docs/benchmarks.json` and `docs/benchmark-results.md`. Each figure is
//! the median of several rounds.

use std::hint::black_box;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Instant;

use sandtrap_model::{
    Arg, ConflictPolicy, Detection, Event, ProcessContext, ProcessInfo, Reputation,
    ReputationStatus, entity_id,
};
use sandtrap_runtime::{Detector, DetectorComponent, Dispatcher, Limits, Runtime};
use sandtrap_stores::{KernelSymbols, ReputationStore, Stores};

#[path = "support/report.rs"]
mod report;
use report::{Results, rss_kib};

// The allocator of the `sandtrap` binary, so the figures are its figures.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

const ROUNDS: usize = 7;

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn component(rel: &str) -> Vec<u8> {
    let p = root().join("target").join(rel);
    std::fs::read(&p).unwrap_or_else(|e| panic!("{}: {e} (run ./dev guests first)", p.display()))
}

fn unlimited() -> Limits {
    Limits {
        events_per_second: u32::MAX,
        findings_per_second: u32::MAX,
        store_calls_per_event: u32::MAX,
        ..Limits::default()
    }
}

fn config(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
    pairs
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect()
}

/// Median ns per item of `f`, which does `items` items per call.
fn ns_per(items: u64, mut f: impl FnMut()) -> f64 {
    f(); // warm up
    let mut samples: Vec<f64> = (0..ROUNDS)
        .map(|_| {
            let t = Instant::now();
            f();
            t.elapsed().as_nanos() as f64 / items as f64
        })
        .collect();
    samples.sort_by(f64::total_cmp);
    samples[ROUNDS / 2]
}

/// CPU time of the whole process, every thread included, in ns.
fn cpu_ns() -> f64 {
    let t = rustix::time::clock_gettime(rustix::time::ClockId::ProcessCPUTime);
    t.tv_sec as f64 * 1e9 + t.tv_nsec as f64
}

/// Medians per item of `a` and of `b`, wall clock and CPU time: `[wall a,
/// cpu a, wall b, cpu b]`. The two are timed in alternating rounds so that
/// a host whose speed drifts slows both alike. The CPU time counts every
/// thread, so a run spread over threads is charged for all its work.
fn ns_per_pair(items: u64, mut a: impl FnMut(), mut b: impl FnMut()) -> [f64; 4] {
    a();
    b();
    let mut t: [Vec<f64>; 4] = Default::default();
    for _ in 0..ROUNDS {
        for (k, f) in [(0, &mut a as &mut dyn FnMut()), (2, &mut b)] {
            let (wall, cpu) = (Instant::now(), cpu_ns());
            f();
            t[k + 1].push((cpu_ns() - cpu) / items as f64);
            t[k].push(wall.elapsed().as_nanos() as f64 / items as f64);
        }
    }
    t.map(|mut v| {
        v.sort_by(f64::total_cmp);
        v[ROUNDS / 2]
    })
}

/// A process tree six deep: init → sshd → sshd → bash → sh → the process.
fn seed_tree(stores: &Stores) -> u64 {
    let chain = ["systemd", "sshd", "sshd", "bash", "sh", "stage2"];
    let mut parent = 0;
    let mut id = 0;
    for (i, name) in chain.iter().enumerate() {
        let pid = 100 + i as u32;
        id = entity_id(pid, 1000 + i as u64);
        stores.processes().insert(ProcessInfo {
            entity_id: id,
            parent_entity_id: parent,
            pid,
            ppid: if i == 0 { 0 } else { pid - 1 },
            name: (*name).into(),
            exe: format!("/usr/bin/{name}"),
            argv: vec![(*name).into()],
            start_ticks: 1000 + i as u64,
            start_time: 0,
            uid: 0,
            gid: 0,
            container_id: String::new(),
            exit_time: None,
        });
        parent = id;
    }
    id
}

fn exec_event(entity: u64, path: &str) -> Event {
    Event {
        seq: 1,
        timestamp: 1,
        name: "sched_process_exec".into(),
        process: ProcessContext {
            entity_id: entity,
            pid: 105,
            tid: 105,
            ppid: 104,
            start_ticks: 1005,
            comm: "stage2".into(),
            ..Default::default()
        },
        args: vec![
            Arg::new("pathname", path),
            Arg::new("argv", vec!["stage2".to_owned(), "--daemon".to_owned()]),
        ],
    }
}

/// fileless-exec's logic, compiled into the host.
fn native_fileless(stores: &Stores, ev: &Event) -> Vec<Detection> {
    const MEMORY_PREFIXES: [&str; 3] = ["memfd:", "/dev/shm/", "/run/shm/"];
    let pathname = match ev.args.iter().find(|a| a.name == "pathname") {
        Some(Arg {
            value: sandtrap_model::Value::Str(s),
            ..
        }) => s.as_str(),
        _ => ev.process.exe.as_str(),
    };
    if !MEMORY_PREFIXES.iter().any(|p| pathname.starts_with(p)) {
        return Vec::new();
    }
    let ancestry: Vec<String> = stores
        .registry()
        .processes()
        .get_ancestry(ev.process.entity_id, 6)
        .map(|chain| {
            chain
                .iter()
                .skip(1)
                .map(|p| format!("{}({})", p.name, p.pid))
                .collect()
        })
        .unwrap_or_default();
    let argv = match ev.args.iter().find(|a| a.name == "argv") {
        Some(Arg {
            value: sandtrap_model::Value::StrList(l),
            ..
        }) => l.clone(),
        _ => Vec::new(),
    };
    vec![Detection {
        fields: vec![
            Arg::new("pathname", pathname),
            Arg::new("argv", argv),
            Arg::new("ancestry", ancestry),
        ],
        severity: None,
    }]
}

/// denied-connect's logic, compiled into the host; like the component, it
/// opens the reputation store once and keeps it.
fn native_denied(stores: &Stores, store: &ReputationStore, ev: &Event) -> Vec<Detection> {
    let Some(addr) = ev.args.iter().find_map(|a| match (&*a.name, &a.value) {
        ("remote_addr", sandtrap_model::Value::Str(s)) => Some(s.as_str()),
        _ => None,
    }) else {
        return Vec::new();
    };
    let Ok(verdict) = store.get(addr) else {
        return Vec::new();
    };
    if verdict.status != ReputationStatus::Blacklisted {
        return Vec::new();
    }
    let domains = stores
        .registry()
        .dns()
        .get_dns_response(addr)
        .map(|r| r.domains)
        .unwrap_or_default();
    let port = ev
        .args
        .iter()
        .find_map(|a| match (&*a.name, &a.value) {
            ("remote_port", sandtrap_model::Value::Uint(p)) => Some(*p),
            _ => None,
        })
        .unwrap_or(0);
    vec![Detection {
        fields: vec![
            Arg::new("remote_addr", addr),
            Arg::new("remote_port", port),
            Arg::new("domains", domains),
            Arg::new("reputation_severity", u64::from(verdict.severity)),
            Arg::new("tags", verdict.tags.clone()),
        ],
        severity: None,
    }]
}

/// ip-reputation-feed's logic for a DNS answer, compiled into the host:
/// the addresses of a denied domain are blacklisted, and reported.
fn native_feed(
    stores: &Stores,
    store: &ReputationStore,
    deny: &[String],
    ev: &Event,
) -> Vec<Detection> {
    let Some(query) = ev.args.iter().find_map(|a| match (&*a.name, &a.value) {
        ("query", sandtrap_model::Value::Str(s)) => {
            Some(s.trim_end_matches('.').to_ascii_lowercase())
        }
        _ => None,
    }) else {
        return Vec::new();
    };
    if !deny
        .iter()
        .any(|d| query == *d || query.ends_with(&format!(".{d}")))
    {
        return Vec::new();
    }
    let Ok(response) = stores.registry().dns().get_dns_response(&query) else {
        return Vec::new();
    };
    if response.ips.is_empty() {
        return Vec::new();
    }
    let tags = vec![format!("domain:{query}")];
    let entries = response
        .ips
        .iter()
        .map(|ip| Reputation {
            ip: ip.clone(),
            status: ReputationStatus::Blacklisted,
            severity: 8,
            tags: tags.clone(),
            last_updated: ev.timestamp,
        })
        .collect();
    if store.write_batch("dns", entries).is_err() {
        return Vec::new();
    }
    vec![Detection {
        fields: vec![Arg::new("domain", query), Arg::new("ips", response.ips)],
        severity: None,
    }]
}

/// What the host adds to a detection (see `enrich` in the dispatcher):
/// the definition, the process, its ancestry and a copy of the event.
fn native_enrich(
    stores: &Stores,
    info: &sandtrap_model::DetectorInfo,
    id: String,
    ev: &Event,
    det: Detection,
) -> sandtrap_model::finding::Finding {
    let processes = stores.registry().processes();
    let mut ancestry = processes
        .get_ancestry(
            ev.process.entity_id,
            sandtrap_runtime::FINDING_ANCESTRY_DEPTH + 1,
        )
        .unwrap_or_default();
    if !ancestry.is_empty() {
        ancestry.remove(0);
    }
    sandtrap_model::finding::Finding {
        timestamp: ev.timestamp,
        detector: sandtrap_model::finding::DetectorRef {
            id,
            name: info.name.clone(),
            version: info.version.clone(),
        },
        severity: det.severity.unwrap_or(info.finding.severity),
        definition: info.finding.clone(),
        fields: det.fields,
        event: ev.clone(),
        process: processes.get_process(ev.process.entity_id).ok(),
        ancestry,
        container: None,
    }
}

fn kallsyms(n: usize) -> (String, Vec<u64>) {
    let mut text = String::new();
    let mut addrs = Vec::new();
    for i in 0..n {
        let a = 0xffff_ffff_8100_0000u64 + (i as u64) * 0x40;
        text.push_str(&format!("{a:016x} T sym_{i}\n"));
        if i % (n / 64) == 0 && addrs.len() < 64 {
            addrs.push(a);
        }
    }
    (text, addrs)
}

/// The address process `life` connects to: one in a hundred is in the
/// blacklisted 93.184.216.0/24, the rest spread over a thousand others.
fn remote(life: usize) -> String {
    if life.is_multiple_of(100) {
        "93.184.216.34".to_owned()
    } else {
        format!("10.0.{}.{}", (life / 250) % 4, life % 250)
    }
}

/// The generated trace's first timestamp (2023-11-14); its events are a
/// microsecond apart.
const TRACE_EPOCH_NS: u64 = 1_700_000_000_000_000_000;

/// A trace of `n` JSON lines: process churn — each process is forked,
/// executes, opens files, connects, resolves a name and exits, ten events
/// in all, with pids reused every 20,000 processes — one exec in a
/// thousand from a memfd, one connect in a hundred to a blacklisted
/// address.
fn generate_trace(n: usize) -> Vec<String> {
    let mut lines = Vec::with_capacity(n);
    let mut i = 0usize;
    while lines.len() < n {
        let life = i / 10;
        let pid = 1000 + (life % 20_000) as u32;
        let ticks = 10_000 + life as u64;
        let proc_ = |pid: u32, ticks: u64, comm: &str| serde_json::json!({"pid": pid, "tid": pid, "ppid": 1, "start_ticks": ticks, "comm": comm});
        let ev = match i % 10 {
            0 => serde_json::json!({"name": "sched_process_fork", "process": proc_(1, 1, "init"),
                "args": {"child_pid": pid, "child_tid": pid, "child_start_ticks": ticks}}),
            1 => {
                let path = if i % 1000 == 1 {
                    "memfd:x (deleted)"
                } else {
                    "/usr/bin/true"
                };
                serde_json::json!({"name": "sched_process_exec", "process": proc_(pid, ticks, "true"),
                    "args": {"pathname": path, "argv": ["true", "--flag"]}})
            }
            2..=6 => serde_json::json!({"name": "openat", "process": proc_(pid, ticks, "true"),
                "args": {"pathname": "/etc/ld.so.cache", "flags": 524288}}),
            7 => {
                serde_json::json!({"name": "security_socket_connect", "process": proc_(pid, ticks, "true"),
                "args": {"family": 2, "remote_addr": remote(life), "remote_port": 443}})
            }
            8 => {
                let name = format!("host-{}.example.com", life % 1000);
                serde_json::json!({"name": "dns_response", "process": proc_(pid, ticks, "true"),
                "args": {"query": name, "answers": [format!("{name}. 300 IN A {}", remote(life))]}})
            }
            _ => {
                serde_json::json!({"name": "sched_process_exit", "process": proc_(pid, ticks, "true"),
                "args": {"exit_code": 0, "signal": 0}})
            }
        };
        // Every recorded or live event carries its time; without one the
        // host reads the clock for it, which the native side does not.
        let mut ev = ev;
        ev["timestamp"] = serde_json::json!(TRACE_EPOCH_NS + i as u64 * 1_000);
        lines.push(ev.to_string());
        i += 1;
    }
    lines
}

/// Modes for working on the boundary; they write no results.
///
/// - `profile [native-]fileless|denied|denied-miss|bare [CALLS]` loops one
///   detector's call on one event (a million times by default; `native-`
///   runs the logic compiled in; `batch` and `batch-bare` call the probe
///   with 256 typical or bare events at once) for a
///   profiler to attach to (`perf record`, or `valgrind --tool=cachegrind`
///   run with two call counts: the difference of the instruction counts
///   is the cost of the calls alone, free of the host's noise);
/// - `compare A.wasm B.wasm fileless|denied|bare` times two builds of one
///   detector in alternating rounds and prints the minimum and median of
///   each, so a change to a guest can be judged on a host whose speed
///   drifts.
fn adhoc(args: &[String], rt: &Runtime, events: &[&Event; 4]) -> bool {
    let pick = |kind: &str| match kind {
        "fileless" => Some(("detectors/fileless_exec.wasm", events[0])),
        "denied" => Some(("detectors/denied_connect.wasm", events[1])),
        "bare" => Some(("test-detectors/probe.wasm", events[2])),
        "denied-miss" => Some(("detectors/denied_connect.wasm", events[3])),
        _ => None,
    };
    let start = |path: &Path| {
        let bytes = std::fs::read(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        let c = DetectorComponent::load(rt, &path.display().to_string(), &bytes).unwrap();
        Detector::start(rt, c, Vec::new(), unlimited()).unwrap()
    };
    match args {
        [mode, kind, rest @ ..] if mode == "profile" => {
            let calls: u64 = rest
                .first()
                .and_then(|n| n.parse().ok())
                .unwrap_or(1_000_000);
            // The same logic compiled in, for the ratio of the counts.
            if let Some(kind) = kind.strip_prefix("native-") {
                let (_, ev) = pick(kind).expect("profile native-fileless|native-denied");
                let stores = rt.stores();
                let reputation = stores.registry().writable().open("ip-reputation").unwrap();
                for _ in 0..calls {
                    black_box(match kind {
                        "fileless" => native_fileless(stores, ev),
                        _ => native_denied(stores, &reputation, ev),
                    });
                }
                return true;
            }
            // `batch` and `batch-bare`: one call delivers 256 copies of the
            // typical (or the bare) event; the count per call / 256 is the
            // boundary's cost per batched event.
            if let Some(which) = kind.strip_prefix("batch") {
                let ev = if which == "-bare" {
                    events[2]
                } else {
                    events[0]
                };
                let mut wire = Vec::new();
                ev.encode(&mut wire).unwrap();
                let batch: Vec<&[u8]> = (0..256).map(|_| wire.as_slice()).collect();
                let mut d = start(&root().join("target/test-detectors/probe.wasm"));
                for _ in 0..calls {
                    black_box(d.on_encoded(rt, &batch).unwrap());
                }
                return true;
            }
            let (rel, ev) = pick(kind).expect("profile fileless|denied|denied-miss|bare [CALLS]");
            let mut d = start(&root().join("target").join(rel));
            for _ in 0..calls {
                black_box(d.on_event(rt, ev).unwrap());
            }
            true
        }
        [mode, a, b, kind, ..] if mode == "compare" => {
            let (_, ev) = pick(kind).expect("compare A.wasm B.wasm fileless|denied|bare");
            let mut pair = [
                (a, start(Path::new(a)), Vec::new()),
                (b, start(Path::new(b)), Vec::new()),
            ];
            for _ in 0..40 {
                for (_, d, times) in &mut pair {
                    let t = Instant::now();
                    for _ in 0..2_000 {
                        black_box(d.on_event(rt, ev).unwrap());
                    }
                    times.push(t.elapsed().as_nanos() as f64 / 2_000.0);
                }
            }
            for (name, _, mut times) in pair {
                times.sort_by(f64::total_cmp);
                println!(
                    "{name}: min {:.0} ns, median {:.0} ns",
                    times[0],
                    times[times.len() / 2]
                );
            }
            true
        }
        _ => false,
    }
}

fn main() {
    let mut r = Results::new();
    // `cargo bench --bench sandbox -- replay` (or `-- dispatch [LABEL]`)
    // runs only the replay (or the dispatch), for profiling, as the modes
    // of `adhoc` do; the results files are written by full runs only.
    if std::env::args().skip(1).any(|a| a == "replay") {
        replay(&mut r);
        return;
    }
    let args: Vec<String> = std::env::args().skip(1).collect();
    if let Some(at) = args.iter().position(|a| a == "dispatch") {
        // `-- dispatch denied` runs the configurations whose label has `denied`.
        let only = args.get(at + 1).filter(|a| !a.starts_with('-'));
        dispatch(&mut r, only.map_or("", String::as_str));
        return;
    }

    let (symbols_text, addresses) = kallsyms(50_000);
    let stores = Arc::new(
        Stores::builder()
            .kernel_symbols(KernelSymbols::from_kallsyms_text(&symbols_text))
            .build(),
    );
    let rt = Arc::new(Runtime::builder().build(stores.clone()).unwrap());
    let leaf = seed_tree(&stores);
    stores.registry().dns().get_dns_response("warm-up").ok();
    let dns_line = vec!["www.example.com. 300 IN A 93.184.216.34".to_owned()];
    let mut dns_ev = exec_event(leaf, "/bin/x");
    dns_ev.name = "dns_response".into();
    dns_ev.args = vec![
        Arg::new("query", "www.example.com"),
        Arg::new("answers", dns_line),
    ];
    stores.apply(&mut dns_ev);

    let load = |rel: &str, cfg: &[(&str, &str)]| -> Detector {
        let bytes = component(rel);
        let c = DetectorComponent::load(&rt, rel, &bytes).unwrap();
        Detector::start(&rt, c, config(cfg), unlimited()).unwrap()
    };

    let feed = stores
        .registry()
        .writable()
        .register("ip-reputation", "bench", ConflictPolicy::LastWriteWins, &[])
        .unwrap();
    feed.write(
        "bench",
        Reputation {
            ip: "93.184.216.0/24".into(),
            status: ReputationStatus::Blacklisted,
            severity: 8,
            tags: vec!["c2".into()],
            last_updated: 1,
        },
    )
    .unwrap();
    let mut connect_ev = exec_event(leaf, "/bin/x");
    connect_ev.name = "security_socket_connect".into();
    connect_ev.args = vec![
        Arg::new("remote_addr", "93.184.216.34"),
        Arg::new("remote_port", 443u64),
    ];
    let trivial_ev = exec_event(leaf, "/bin/x");
    let memfd_ev = exec_event(leaf, "memfd:stage2 (deleted)");
    // A bare event: no arguments, short strings.
    let bare = Event {
        seq: 1,
        timestamp: 1,
        name: "x".into(),
        process: ProcessContext::default(),
        args: Vec::new(),
    };
    let args: Vec<String> = std::env::args().skip(1).collect();
    let mut benign_connect = connect_ev.clone();
    benign_connect.args[0] = Arg::new("remote_addr", "10.0.0.1");
    if adhoc(
        &args,
        &rt,
        &[&memfd_ev, &connect_ev, &bare, &benign_connect],
    ) {
        return;
    }

    // 1. The same logic in wasm and natively, per delivered event.
    const N: u64 = 20_000;
    let mut probe = load("test-detectors/probe.wasm", &[("detections", "1")]);
    let wasm = ns_per(N, || {
        for _ in 0..N {
            black_box(probe.on_event(&rt, &trivial_ev).unwrap());
        }
    });
    let native = ns_per(N, || {
        for _ in 0..N {
            black_box(vec![Detection {
                fields: vec![Arg::new("n", 1u64)],
                severity: None,
            }]);
        }
    });
    r.add(
        "wasm vs native",
        "trivial detector (one detection), wasm",
        wasm,
        "ns/event",
        None,
    );
    r.add(
        "wasm vs native",
        "trivial detector, native",
        native,
        "ns/event",
        None,
    );

    let mut fileless = load("detectors/fileless_exec.wasm", &[]);
    assert_eq!(fileless.on_event(&rt, &memfd_ev).unwrap().len(), 1);
    assert_eq!(native_fileless(&stores, &memfd_ev).len(), 1);
    let wasm_f = ns_per(N, || {
        for _ in 0..N {
            black_box(fileless.on_event(&rt, &memfd_ev).unwrap());
        }
    });
    let native_f = ns_per(N, || {
        for _ in 0..N {
            black_box(native_fileless(&stores, &memfd_ev));
        }
    });
    r.add(
        "wasm vs native",
        "fileless-exec with 5-deep ancestry, wasm",
        wasm_f,
        "ns/event",
        None,
    );
    r.add(
        "wasm vs native",
        "fileless-exec, native",
        native_f,
        "ns/event",
        None,
    );
    r.add(
        "wasm vs native",
        "fileless-exec wasm/native",
        wasm_f / native_f,
        "×",
        Some("≤ 1.5×"),
    );

    let mut denied = load("detectors/denied_connect.wasm", &[]);
    assert_eq!(denied.on_event(&rt, &connect_ev).unwrap().len(), 1);
    let reputation = stores.registry().writable().open("ip-reputation").unwrap();
    assert_eq!(native_denied(&stores, &reputation, &connect_ev).len(), 1);
    let wasm_d = ns_per(N, || {
        for _ in 0..N {
            black_box(denied.on_event(&rt, &connect_ev).unwrap());
        }
    });
    let native_d = ns_per(N, || {
        for _ in 0..N {
            black_box(native_denied(&stores, &reputation, &connect_ev));
        }
    });
    r.add(
        "wasm vs native",
        "denied-connect (reputation + DNS), wasm",
        wasm_d,
        "ns/event",
        None,
    );
    r.add(
        "wasm vs native",
        "denied-connect, native",
        native_d,
        "ns/event",
        None,
    );
    r.add(
        "wasm vs native",
        "denied-connect wasm/native",
        wasm_d / native_d,
        "×",
        Some("≤ 1.5×"),
    );

    // 2. The boundary: an event that does nothing, alone and in batches.
    let mut idle = load("test-detectors/probe.wasm", &[]);
    let single = ns_per(N, || {
        for _ in 0..N {
            black_box(idle.on_event(&rt, &trivial_ev).unwrap());
        }
    });
    r.add(
        "boundary",
        "single call (on-events with one event, encoding included)",
        single,
        "ns/event",
        None,
    );
    // The same call with a bare event: no arguments, short strings. The
    // difference is what the size of the event costs (encoding, one copy).
    let bare_ns = ns_per(N, || {
        for _ in 0..N {
            black_box(idle.on_event(&rt, &bare).unwrap());
        }
    });
    r.add(
        "boundary",
        "single call, event with no arguments",
        bare_ns,
        "ns/event",
        None,
    );
    // The pipeline encodes an event once, whatever the number of
    // detectors that receive it; batches then cost a copy per event.
    let mut wire = Vec::new();
    let encode_ns = ns_per(N, || {
        for _ in 0..N {
            wire.clear();
            trivial_ev.encode(&mut wire).unwrap();
            black_box(&wire);
        }
    });
    r.add(
        "boundary",
        "encoding an event (once per event, shared by all detectors)",
        encode_ns,
        "ns/event",
        None,
    );
    for size in [16usize, 64, 256] {
        let batch: Vec<&[u8]> = (0..size).map(|_| wire.as_slice()).collect();
        let calls = (N as usize / size).max(1);
        let per = ns_per((calls * size) as u64, || {
            for _ in 0..calls {
                black_box(idle.on_encoded(&rt, &batch).unwrap());
            }
        });
        r.add(
            "boundary",
            &format!("batch of {size} (on-events)"),
            per,
            "ns/event",
            Some("< 10 ns"),
        );
    }

    // The fixed cost per event, without the bytes of a typical event: a
    // bare event (no arguments, one-letter name) in batches of 256.
    let mut bare_wire = Vec::new();
    bare.encode(&mut bare_wire).unwrap();
    let batch: Vec<&[u8]> = (0..256).map(|_| bare_wire.as_slice()).collect();
    let calls = (N as usize / 256).max(1);
    let per = ns_per((calls * 256) as u64, || {
        for _ in 0..calls {
            black_box(idle.on_encoded(&rt, &batch).unwrap());
        }
    });
    r.add(
        "boundary",
        &format!(
            "batch of 256 bare events ({} bytes each; the typical one is {})",
            bare_wire.len(),
            wire.len()
        ),
        per,
        "ns/event",
        Some("< 10 ns"),
    );

    // 3. Store calls: from wasm ((with − without) / calls) and natively.
    const CALLS: u64 = 100;
    const EVENTS: u64 = 200;
    let hex: Vec<String> = addresses.iter().map(|a| format!("{a:x}")).collect();
    let hex = hex.join(",");
    let registry = stores.registry();
    let ops: [(&str, &str); 4] = [
        ("get-process", "get-process"),
        ("get-ancestry (depth 5)", "ancestry5"),
        ("dns get-response", "dns"),
        ("resolve-symbols-batch (64)", "resolve64"),
    ];
    let n = CALLS.to_string();
    let mut baseline = load("test-detectors/probe.wasm", &[("op", "none"), ("n", &n)]);
    let base = ns_per(EVENTS, || {
        for _ in 0..EVENTS {
            black_box(baseline.on_event(&rt, &trivial_ev).unwrap());
        }
    });
    for (label, op) in ops {
        let mut d = load(
            "test-detectors/probe.wasm",
            &[("op", op), ("n", &n), ("addresses", &hex)],
        );
        let with = ns_per(EVENTS, || {
            for _ in 0..EVENTS {
                black_box(d.on_event(&rt, &trivial_ev).unwrap());
            }
        });
        let from_wasm = (with - base) / CALLS as f64;
        let native = ns_per(EVENTS * CALLS, || {
            for _ in 0..EVENTS * CALLS {
                match op {
                    "get-process" => {
                        black_box(registry.processes().get_process(leaf).ok());
                    }
                    "ancestry5" => {
                        black_box(registry.processes().get_ancestry(leaf, 5).ok());
                    }
                    "dns" => {
                        black_box(registry.dns().get_dns_response("www.example.com").ok());
                    }
                    _ => {
                        black_box(
                            registry
                                .kernel_symbols()
                                .resolve_symbols_batch(&addresses)
                                .ok(),
                        );
                    }
                }
            }
        });
        r.add(
            "store calls",
            &format!("{label}, from wasm"),
            from_wasm,
            "ns/call",
            None,
        );
        r.add(
            "store calls",
            &format!("{label}, native"),
            native,
            "ns/call",
            None,
        );
    }

    // 4. The whole pipeline per event (stores, selection, the detectors,
    // enrichment of every finding) with 1, 8 and 32 copies of fileless-exec,
    // against the same pipeline with the logic compiled in.
    let fileless_component =
        DetectorComponent::load(&rt, "fileless", &component("detectors/fileless_exec.wasm"))
            .unwrap();
    let info = fileless_component.info().clone();
    for copies in [1usize, 8, 32] {
        let mut pipeline = Dispatcher::new(rt.clone());
        for i in 0..copies {
            let d = Detector::start(&rt, fileless_component.clone(), vec![], unlimited())
                .unwrap()
                .renamed(&rt, format!("fileless-{i}"))
                .unwrap();
            pipeline.add(d).unwrap();
        }
        let events = (N / copies as u64).max(200);
        let wasm = ns_per(events, || {
            for _ in 0..events {
                let out = pipeline.process(memfd_ev.clone());
                debug_assert_eq!(out.findings.len(), copies);
                black_box(out);
            }
        });
        let native = ns_per(events, || {
            for _ in 0..events {
                let mut ev = memfd_ev.clone();
                stores.apply(&mut ev);
                let mut findings = Vec::new();
                for i in 0..copies {
                    if !info
                        .selectors
                        .iter()
                        .any(|s| s.matches(&ev, stores.as_ref()))
                    {
                        continue;
                    }
                    for det in native_fileless(&stores, &ev) {
                        findings.push(native_enrich(
                            &stores,
                            &info,
                            format!("fileless-{i}"),
                            &ev,
                            det,
                        ));
                    }
                }
                black_box(findings);
            }
        });
        let _ = pipeline.close();
        r.add(
            "pipeline",
            &format!("{copies} × fileless-exec, wasm (stores, selection, calls, enrichment)"),
            wasm,
            "ns/event",
            None,
        );
        r.add(
            "pipeline",
            &format!("{copies} × fileless-exec, native"),
            native,
            "ns/event",
            None,
        );
        r.add(
            "pipeline",
            &format!("{copies} × fileless-exec wasm/native"),
            wasm / native,
            "×",
            Some("≤ 1.5×"),
        );
    }

    dispatch(&mut r, "");
    replay(&mut r);

    r.write("sandbox", "cargo bench -p sandtrap-runtime --bench sandbox");
}

/// Replay end to end: JSON lines parsed, stores applied, host-side
/// selection, one filtering detector (fileless-exec).
fn replay(r: &mut Results) {
    let lines = generate_trace(1_000_000);
    let stores = Arc::new(Stores::builder().build());
    let rt = Arc::new(Runtime::builder().build(stores).unwrap());
    let bytes = component("detectors/fileless_exec.wasm");
    let c = DetectorComponent::load(&rt, "fileless", &bytes).unwrap();
    let mut pipeline = Dispatcher::new(rt.clone());
    pipeline
        .add(Detector::start(&rt, c, vec![], unlimited()).unwrap())
        .unwrap();
    let rss_before = rss_kib("VmRSS:");
    let t = Instant::now();
    let mut findings = 0usize;
    for line in &lines {
        let ev: Event = serde_json::from_str(line).unwrap();
        findings += pipeline.process(ev).findings.len();
    }
    let elapsed = t.elapsed();
    assert_eq!(
        findings,
        lines.len() / 10_000 * 10,
        "one memfd exec per thousand"
    );
    let eps = lines.len() as f64 / elapsed.as_secs_f64();
    r.add(
        "replay",
        &format!(
            "{} events (parse, stores, selection, fileless-exec)",
            lines.len()
        ),
        eps,
        "events/s",
        Some("≥ 1,000,000/s/core"),
    );
    r.add(
        "replay",
        "peak resident memory (process, incl. the trace held in memory)",
        rss_kib("VmHWM:") as f64 / 1024.0,
        "MiB",
        None,
    );
    r.add(
        "replay",
        "resident growth during the replay (stores at their bounds)",
        rss_kib("VmRSS:").saturating_sub(rss_before) as f64 / 1024.0,
        "MiB",
        None,
    );
    let _ = pipeline.close();
}

/// The logic of one detector in a dispatch configuration.
#[derive(Clone, Copy, PartialEq)]
enum Logic {
    Trivial,
    Fileless,
    Feed,
    Denied,
}

/// Events per second through the host (stores, selection, the detectors'
/// calls, enrichment of their findings) on the replay's stream of process
/// churn, into 1, 8 and 32 detectors in wasm, against the same pipeline
/// with their logic compiled in. Each side has its own stores, fed the
/// same events, and both must report the same number of findings.
fn dispatch(r: &mut Results, only: &str) {
    let stream: Vec<Event> = generate_trace(20_000)
        .iter()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let feed_config = [
        ("blacklist", "93.184.216.0/24"),
        ("deny_domains", "evil.example"),
    ];
    let setups: [(&str, Logic); 3] = [
        ("trivial detector (every event)", Logic::Trivial),
        ("fileless-exec", Logic::Fileless),
        ("ip-reputation-feed + denied-connect", Logic::Denied),
    ];
    // Sequential: each event goes to each detector in turn, one call per
    // event (replays, the mock host). Threaded: each detector drains its
    // own queue on its own thread, in batches (`sandtrap run`).
    let modes = [false, true];
    for (label, kind) in setups {
        for (threaded, copies) in modes
            .into_iter()
            .flat_map(|t| [1usize, 8, 32].map(|c| (t, c)))
        {
            let label = if threaded {
                format!("{label}, threaded")
            } else {
                label.to_owned()
            };
            if !label.contains(only) {
                continue;
            }
            // The reputation pair: one feed owns the store, the other
            // detectors read it.
            let logic: Vec<Logic> = if kind == Logic::Denied {
                std::iter::once(Logic::Feed)
                    .chain(std::iter::repeat_n(Logic::Denied, copies.max(2) - 1))
                    .collect()
            } else {
                vec![kind; copies]
            };
            let stores = Arc::new(Stores::builder().build());
            let rt = Arc::new(Runtime::builder().build(stores.clone()).unwrap());
            let mut pipeline = if threaded {
                // Room for the whole stream: nothing is shed.
                Dispatcher::threaded(rt.clone(), stream.len())
            } else {
                Dispatcher::new(rt.clone())
            };
            let mut infos = Vec::new();
            let mut compiled = std::collections::HashMap::new();
            for (i, kind) in logic.iter().enumerate() {
                let (rel, cfg): (&str, &[(&str, &str)]) = match kind {
                    Logic::Trivial => ("test-detectors/probe.wasm", &[]),
                    Logic::Fileless => ("detectors/fileless_exec.wasm", &[]),
                    Logic::Feed => ("detectors/ip_reputation_feed.wasm", &feed_config),
                    Logic::Denied => ("detectors/denied_connect.wasm", &[]),
                };
                let c = compiled
                    .entry(rel)
                    .or_insert_with(|| DetectorComponent::load(&rt, rel, &component(rel)).unwrap())
                    .clone();
                // The native side selects as the host does: with the lists
                // the configuration names read in.
                let cfg = config(cfg);
                let mut info = c.info().clone();
                info.selectors = info.selectors.iter().map(|s| s.with_config(&cfg)).collect();
                infos.push(info);
                let mut d = Detector::start(&rt, c, cfg, unlimited()).unwrap();
                if *kind != Logic::Feed {
                    d = d.renamed(&rt, format!("d-{i}")).unwrap();
                }
                pipeline.add(d).unwrap();
            }
            let mut wasm_findings = 0;
            let run_wasm = || {
                wasm_findings = 0;
                for ev in &stream {
                    wasm_findings += black_box(pipeline.process(ev.clone())).findings.len();
                }
                wasm_findings += pipeline.drain().findings.len();
            };

            let stores = Stores::builder().build();
            let store = stores
                .registry()
                .writable()
                .register(
                    "ip-reputation",
                    "ip-reputation-feed",
                    ConflictPolicy::MaxSeverity,
                    &[],
                )
                .unwrap();
            store
                .write(
                    "config",
                    Reputation {
                        ip: "93.184.216.0/24".into(),
                        status: ReputationStatus::Blacklisted,
                        severity: 8,
                        tags: Vec::new(),
                        last_updated: 1,
                    },
                )
                .unwrap();
            let deny = vec!["evil.example".to_owned()];
            let mut by_event: std::collections::HashMap<&str, Vec<usize>> = Default::default();
            for (i, info) in infos.iter().enumerate() {
                for s in &info.selectors {
                    let ids = by_event.entry(s.event.as_str()).or_default();
                    if ids.last() != Some(&i) {
                        ids.push(i);
                    }
                }
            }
            let wildcard = by_event.remove("*").unwrap_or_default();
            let mut native_findings = 0;
            let run_native = || {
                native_findings = 0;
                for ev in &stream {
                    let mut ev = ev.clone();
                    stores.apply(&mut ev);
                    let mut findings = Vec::new();
                    let named = by_event
                        .get(ev.name.as_str())
                        .map_or(&[][..], Vec::as_slice);
                    for &i in named.iter().chain(&wildcard) {
                        let info = &infos[i];
                        if !info.selectors.iter().any(|s| s.matches(&ev, &stores)) {
                            continue;
                        }
                        let found = match logic[i] {
                            Logic::Trivial => {
                                black_box(ev.process.entity_id);
                                Vec::new()
                            }
                            Logic::Fileless => native_fileless(&stores, &ev),
                            Logic::Feed => native_feed(&stores, &store, &deny, &ev),
                            Logic::Denied => native_denied(&stores, &store, &ev),
                        };
                        for det in found {
                            findings.push(native_enrich(&stores, info, format!("d-{i}"), &ev, det));
                        }
                    }
                    native_findings += black_box(findings).len();
                }
            };
            let [wasm, wasm_cpu, native, native_cpu] =
                ns_per_pair(stream.len() as u64, run_wasm, run_native);
            let shed: u64 = pipeline.detectors().iter().map(|d| d.stats().shed).sum();
            let _ = pipeline.close();
            assert_eq!(wasm_findings, native_findings, "{label} × {copies}");
            assert_eq!(shed, 0, "{label} × {copies}: events shed");
            let n = logic.len();
            // The 1.5× target is a realistic detector's. The trivial one's
            // native side does nothing at all, so its ratio is the cost of
            // the boundary per event, shown without a target.
            let target = (kind != Logic::Trivial).then_some("≤ 1.5×");
            if threaded {
                // The workers run beside the dispatcher on two cores, so
                // wall time flatters them; CPU time is the cost.
                r.add(
                    "dispatch",
                    &format!("{label}, {n} detectors, wasm/native CPU time"),
                    wasm_cpu / native_cpu,
                    "×",
                    target,
                );
            }
            r.add(
                "dispatch",
                &format!("{label}, {n} detectors, wasm"),
                1e9 / wasm,
                "events/s",
                None,
            );
            r.add(
                "dispatch",
                &format!("{label}, {n} detectors, native"),
                1e9 / native,
                "events/s",
                None,
            );
            r.add(
                "dispatch",
                &format!("{label}, {n} detectors, wasm/native time"),
                wasm / native,
                "×",
                target,
            );
        }
    }
}
