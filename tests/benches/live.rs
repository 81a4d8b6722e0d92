//! Live-path benchmark (needs root and kernel BTF): a syscall or exec storm
//! in a child process, traced by the real eBPF programs and drained end to
//! end.
//!
//! `cargo bench -p sandtrap-e2e --bench live` measures the cost the
//! probes add to a traced `openat`, and the events per second delivered,
//! with the records lost in the kernel and the events shed by detectors,
//! for two paths: collection alone (decoding, /proc fill-in, stores) and
//! the whole pipeline as `sandtrap run` drives it (the same, then host-side
//! selection and the threaded dispatcher, with a detector that receives
//! every event and looks up its process, and fileless-exec). It prints a
//! markdown table and writes its section of `docs/benchmarks.json` and
//! `docs/benchmark-results.md`.

use std::process::Command;
use std::sync::Arc;
use std::time::{Duration, Instant};

use sandtrap_collector::live::{Live, LiveOptions, boot_time_ns};
use sandtrap_collector::procfs::{ProcFs, fill_from_proc, seed_stores};
use sandtrap_e2e::{config, example, probe};
use sandtrap_runtime::{
    DEFAULT_QUEUE_CAPACITY, Detector, DetectorComponent, Dispatcher, Limits, Runtime,
};
use sandtrap_stores::Stores;

#[path = "../../host/runtime/benches/support/report.rs"]
mod report;
use report::{Results, rss_kib};

// The allocator `sandtrap run` uses.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

const OPENS: u64 = 300_000;
const EXECS: u64 = 2_000;

/// Child mode: `storm open N` opens/closes /dev/null N times after a go
/// byte on stdin and prints the ns it took; `storm exec N` forks and
/// execs /bin/true N times.
fn storm(kind: &str, n: u64) {
    let mut go = [0u8; 1];
    let _ = std::io::Read::read(&mut std::io::stdin(), &mut go);
    let start = Instant::now();
    match kind {
        "open" => {
            for _ in 0..n {
                drop(std::fs::File::open("/dev/null").expect("open /dev/null"));
            }
        }
        _ => {
            for _ in 0..n {
                // A clean environment: under `cargo bench` the inherited
                // LD_LIBRARY_PATH sends the loader through dozens of
                // directories, so each exec's event count would depend
                // on how the benchmark was started.
                let _ = Command::new("/bin/true").env_clear().status();
            }
        }
    }
    println!("{}", start.elapsed().as_nanos());
}

/// What a storm is traced by.
#[derive(Clone, Copy, PartialEq)]
enum Path {
    /// Not traced: the child's own cost.
    Untraced,
    /// Decoding, /proc fill-in and the stores.
    Collection,
    /// Collection, then the threaded dispatcher and two detectors.
    Pipeline,
}

impl Path {
    /// The group of its rows in the results table.
    fn group(self) -> &'static str {
        match self {
            Path::Untraced => "untraced",
            Path::Collection => "collection only",
            Path::Pipeline => "whole pipeline",
        }
    }
}

struct Run {
    path: Path,
    child_ns: u64,
    events: u64,
    lost: u64,
    /// Events a detector's queue had no room for, over all detectors.
    shed: u64,
    /// Events delivered to the detector that selects every event.
    delivered: u64,
    wall: Duration,
}

/// The dispatcher of `sandtrap run`, with the probe (every event, one
/// get-process each) and fileless-exec, which the host's selection spares
/// every exec but the memory-backed ones.
fn pipeline(stores: Arc<Stores>) -> Dispatcher {
    let rt = Arc::new(Runtime::builder().build(stores).expect("runtime"));
    let mut d = Dispatcher::threaded(rt.clone(), DEFAULT_QUEUE_CAPACITY);
    let limits = Limits {
        events_per_second: u32::MAX,
        ..Limits::default()
    };
    for (id, path, cfg) in [
        ("probe", probe(), config(&[("op", "get-process")])),
        ("fileless", example("fileless_exec"), Vec::new()),
    ] {
        let bytes = std::fs::read(&path).expect("component");
        let c = DetectorComponent::load(&rt, id, &bytes).expect("component");
        d.add(Detector::start(&rt, c, cfg, limits.clone()).expect("start"))
            .expect("add");
    }
    d
}

/// Where a traced event goes.
struct Sink {
    stores: Arc<Stores>,
    procfs: ProcFs,
    boot: u64,
    dispatcher: Option<Dispatcher>,
    events: u64,
}

impl Sink {
    fn take(&mut self, mut ev: sandtrap_model::Event, fill: bool) {
        if fill {
            fill_from_proc(&self.stores, &self.procfs, self.boot, &mut ev);
        }
        match &mut self.dispatcher {
            // The dispatcher applies the event to the stores itself.
            Some(d) => drop(d.process(ev)),
            None => self.stores.apply(&mut ev),
        }
        self.events += 1;
    }
}

/// Runs a storm child and drains what the programs record of it.
fn run(kind: &str, n: u64, path: Path) -> Run {
    use std::io::{Read, Write};
    let exe = std::env::current_exe().unwrap();
    let mut child = Command::new(exe)
        .args(["storm", kind, &n.to_string()])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let boot = boot_time_ns();
    let stores = Arc::new(Stores::builder().build());
    let procfs = ProcFs::default();
    seed_stores(&stores, &procfs, boot);
    let mut sink = Sink {
        dispatcher: (path == Path::Pipeline).then(|| pipeline(stores.clone())),
        stores,
        procfs,
        boot,
        events: 0,
    };
    let mut live = (path != Path::Untraced).then(|| {
        Live::start(&LiveOptions {
            follow: Some(vec![child.id()]),
            dns: false,
        })
        .expect("the eBPF programs loaded a moment ago")
    });
    let start = Instant::now();
    child.stdin.as_mut().unwrap().write_all(b"g").unwrap();
    let mut done = false;
    while !done {
        if let Some(l) = &mut live {
            l.poll(Duration::from_millis(10), &mut |ev| sink.take(ev, true));
        } else {
            std::thread::sleep(Duration::from_millis(5));
        }
        if let Some(d) = &mut sink.dispatcher {
            drop(d.poll());
        }
        done = child.try_wait().unwrap().is_some();
    }
    if let Some(l) = &mut live {
        // What is left: the child has exited, so /proc has nothing to add.
        while l.poll(Duration::from_millis(50), &mut |ev| sink.take(ev, false)) > 0 {}
    }
    let (mut shed, mut delivered) = (0, 0);
    if let Some(d) = &mut sink.dispatcher {
        drop(d.drain());
        for det in d.detectors() {
            let s = det.stats();
            shed += s.shed;
            if det.id() == "probe" {
                delivered = s.events;
            }
        }
    }
    let wall = start.elapsed();
    if let Some(d) = &mut sink.dispatcher {
        drop(d.close());
    }
    let _ = child.wait();
    let mut out = String::new();
    child
        .stdout
        .take()
        .unwrap()
        .read_to_string(&mut out)
        .unwrap();
    Run {
        path,
        child_ns: out.trim().parse().unwrap_or(0),
        events: sink.events,
        lost: live.as_ref().map_or(0, Live::kernel_dropped),
        shed,
        delivered,
        wall,
    }
}

/// The rows of one traced storm.
fn rows(r: &mut Results, what: &str, run: &Run) {
    let group = run.path.group();
    r.add(
        group,
        &format!(
            "{what}: events delivered per second ({} events)",
            run.events
        ),
        run.events as f64 / run.wall.as_secs_f64(),
        "events/s",
        None,
    );
    r.add(
        group,
        &format!("{what}: records lost in the kernel"),
        run.lost as f64,
        "records",
        Some("0"),
    );
    if run.path == Path::Pipeline {
        r.add(
            group,
            &format!("{what}: events shed by a detector's full queue"),
            run.shed as f64,
            "events",
            Some("0"),
        );
        r.add(
            group,
            &format!("{what}: events the every-event detector did not receive"),
            run.events.saturating_sub(run.delivered) as f64,
            "events",
            Some("0"),
        );
    }
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if args.get(1).map(String::as_str) == Some("storm") {
        storm(&args[2], args[3].parse().unwrap());
        return;
    }
    if !std::fs::read_to_string("/proc/self/status").is_ok_and(|s| s.contains("Uid:\t0\t")) {
        eprintln!("live benchmark skipped: it needs root");
        return;
    }
    // The programs load once here, so a kernel that refuses them ends the
    // benchmark with the reason instead of a panic in the first storm.
    if let Err(e) = Live::start(&LiveOptions {
        follow: Some(vec![std::process::id()]),
        dns: false,
    }) {
        eprintln!("live benchmark skipped: the eBPF programs do not run here: {e}");
        return;
    }
    let mut r = Results::new();
    let base = run("open", OPENS, Path::Untraced);
    let collected = run("open", OPENS, Path::Collection);
    let per_open = |run: &Run| run.child_ns as f64 / OPENS as f64;
    r.add(
        "probe cost",
        "`openat`+`close` in the child, untraced",
        per_open(&base),
        "ns",
        None,
    );
    r.add(
        "probe cost",
        "`openat`+`close` in the child, traced (one record per `openat`)",
        per_open(&collected),
        "ns",
        None,
    );
    r.add(
        "probe cost",
        "added per traced `openat`",
        per_open(&collected) - per_open(&base),
        "ns",
        None,
    );
    let open = format!("open storm ({OPENS} `openat`s)");
    let exec = format!("exec storm ({EXECS} fork+exec+exit)");
    rows(&mut r, &open, &collected);
    rows(&mut r, &exec, &run("exec", EXECS, Path::Collection));
    rows(&mut r, &open, &run("open", OPENS, Path::Pipeline));
    rows(&mut r, &exec, &run("exec", EXECS, Path::Pipeline));
    r.add(
        Path::Pipeline.group(),
        "peak resident memory of the benchmark (every run above)",
        rss_kib("VmHWM:") as f64 / 1024.0,
        "MiB",
        None,
    );
    r.write("live", "cargo bench -p sandtrap-e2e --bench live (root)");
}
