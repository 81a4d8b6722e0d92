//! Live-path benchmark (needs root): a syscall/exec storm in a child
//! process, traced by the real eBPF programs, drained end to end.
//!
//! `cargo bench -p sandtrap-collector --bench live` prints a markdown table:
//! the cost the probes add to a traced `openat`, events per second
//! delivered through decoding and the stores, and records lost.

use std::process::Command;
use std::time::{Duration, Instant};

use sandtrap_collector::live::{Live, LiveOptions, boot_time_ns};
use sandtrap_collector::procfs::{ProcFs, fill_from_proc, seed_stores};
use sandtrap_stores::Stores;

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
                let _ = Command::new("/bin/true").status();
            }
        }
    }
    println!("{}", start.elapsed().as_nanos());
}

struct Run {
    child_ns: u64,
    events: u64,
    lost: u64,
    wall: Duration,
}

/// Runs a storm child; with `traced`, follows it and drains everything
/// through decoding, /proc fill-in and the stores.
fn run(kind: &str, n: u64, traced: bool) -> Run {
    use std::io::{Read, Write};
    let exe = std::env::current_exe().unwrap();
    let mut child = Command::new(exe)
        .args(["storm", kind, &n.to_string()])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let boot = boot_time_ns();
    let stores = Stores::builder().build();
    let procfs = ProcFs::default();
    seed_stores(&stores, &procfs, boot);
    let mut live = traced.then(|| {
        Live::start(&LiveOptions {
            follow: Some(vec![child.id()]),
            dns: false,
        })
        .unwrap()
    });
    let start = Instant::now();
    child.stdin.as_mut().unwrap().write_all(b"g").unwrap();
    let mut events = 0u64;
    let mut done = false;
    while !done {
        if let Some(l) = &mut live {
            l.poll(Duration::from_millis(10), &mut |mut ev| {
                fill_from_proc(&stores, &procfs, boot, &mut ev);
                stores.apply(&mut ev);
                events += 1;
            });
        } else {
            std::thread::sleep(Duration::from_millis(5));
        }
        done = child.try_wait().unwrap().is_some();
    }
    if let Some(l) = &mut live {
        // Drain what is left.
        while l.poll(Duration::from_millis(50), &mut |mut ev| {
            stores.apply(&mut ev);
            events += 1;
        }) > 0
        {}
    }
    let wall = start.elapsed();
    let _ = child.wait();
    let mut out = String::new();
    child
        .stdout
        .take()
        .unwrap()
        .read_to_string(&mut out)
        .unwrap();
    Run {
        child_ns: out.trim().parse().unwrap_or(0),
        events,
        lost: live.as_ref().map_or(0, Live::kernel_dropped),
        wall,
    }
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if args.get(1).map(String::as_str) == Some("storm") {
        storm(&args[2], args[3].parse().unwrap());
        return;
    }
    if !std::fs::read_to_string("/proc/self/status").is_ok_and(|s| s.contains("Uid:\t0\t")) {
        eprintln!("live benchmark skipped: needs root");
        return;
    }
    let base = run("open", OPENS, false);
    let traced = run("open", OPENS, true);
    let per_open_base = base.child_ns as f64 / OPENS as f64;
    let per_open_traced = traced.child_ns as f64 / OPENS as f64;
    let execs = run("exec", EXECS, true);
    println!("| measurement | value |");
    println!("|---|---|");
    println!("| `openat`+`close` in the child, untraced | {per_open_base:.0} ns |");
    println!(
        "| `openat`+`close` in the child, traced (record per `openat`) | {per_open_traced:.0} ns |"
    );
    println!(
        "| probe cost added per traced `openat` | {:.0} ns |",
        per_open_traced - per_open_base
    );
    println!(
        "| open storm: events delivered end to end (decode, /proc fill-in, stores) | {} in {:.2} s = {:.0} events/s |",
        traced.events,
        traced.wall.as_secs_f64(),
        traced.events as f64 / traced.wall.as_secs_f64()
    );
    println!(
        "| open storm: records lost in the kernel | {} |",
        traced.lost
    );
    println!(
        "| exec storm ({EXECS} fork+exec+exit): events | {} in {:.2} s = {:.0} events/s |",
        execs.events,
        execs.wall.as_secs_f64(),
        execs.events as f64 / execs.wall.as_secs_f64()
    );
    println!(
        "| exec storm: records lost in the kernel | {} |",
        execs.lost
    );
}
