//! Shared helpers of sandtrap's end-to-end tests: where the built binary
//! and components are, and small event constructors.
//!
//! The components are built by `./dev guests` (which `./dev test` runs
//! first); a missing one fails the test with that instruction.

use std::path::{Path, PathBuf};

use sandtrap_model::{Arg, Event, ProcessContext};

/// The workspace root.
pub fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("tests/ has a parent")
        .to_owned()
}

fn target_dir() -> PathBuf {
    std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| root().join("target"))
}

fn must_exist(p: PathBuf) -> PathBuf {
    assert!(
        p.exists(),
        "{} is missing: run `./dev guests` (or `./dev test`) first",
        p.display()
    );
    p
}

/// An example detector component, by file stem (`fileless_exec`).
pub fn example(name: &str) -> PathBuf {
    must_exist(target_dir().join("detectors").join(format!("{name}.wasm")))
}

/// The directory of example detector components.
pub fn examples_dir() -> PathBuf {
    must_exist(target_dir().join("detectors"))
}

/// The misbehaving test detector.
pub fn misbehave() -> PathBuf {
    must_exist(target_dir().join("test-detectors").join("misbehave.wasm"))
}

/// The benchmarks' probe detector (`tests/guests/probe`).
pub fn probe() -> PathBuf {
    must_exist(target_dir().join("test-detectors").join("probe.wasm"))
}

/// The `sandtrap` binary of this build.
pub fn sandtrap_bin() -> PathBuf {
    must_exist(target_dir().join("debug").join("sandtrap"))
}

/// A process context with the given pid and start.
pub fn proc(pid: u32, ppid: u32, start_ticks: u64, comm: &str) -> ProcessContext {
    ProcessContext {
        pid,
        tid: pid,
        ppid,
        start_ticks,
        comm: comm.into(),
        ..Default::default()
    }
}

/// An event with arguments.
pub fn event(name: &str, process: ProcessContext, args: Vec<Arg>) -> Event {
    Event {
        seq: 0,
        timestamp: 0,
        name: name.into(),
        process,
        args,
    }
}

/// Configuration pairs.
pub fn config(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
    pairs
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect()
}
