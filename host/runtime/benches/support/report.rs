//! Results of a benchmark program: printed as a markdown table while it
//! runs, then merged into `docs/benchmarks.json` (one entry per program)
//! and rendered, with the other programs' results, as
//! `docs/benchmark-results.md`.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// The rows of one benchmark program.
pub struct Results {
    rows: Vec<serde_json::Value>,
}

impl Results {
    /// Starts the table on stdout.
    pub fn new() -> Self {
        println!("| group | measurement | value | target |\n|---|---|---|---|");
        Results { rows: Vec::new() }
    }

    /// Adds and prints one figure.
    pub fn add(&mut self, group: &str, name: &str, value: f64, unit: &str, target: Option<&str>) {
        println!(
            "| {group} | {name} | {} {unit} | {} |",
            shown(value),
            target.unwrap_or("")
        );
        self.rows.push(serde_json::json!({
            "group": group, "name": name, "value": value, "unit": unit, "target": target,
        }));
    }

    /// Replaces this program's entry in `docs/benchmarks.json`, keeping
    /// the other programs', and renders them all in
    /// `docs/benchmark-results.md`.
    pub fn write(self, bench: &str, command: &str) {
        let docs = docs();
        let json = docs.join("benchmarks.json");
        // An old or unreadable file is replaced rather than failing a run.
        let mut benches: BTreeMap<String, serde_json::Value> = std::fs::read_to_string(&json)
            .ok()
            .and_then(|t| serde_json::from_str::<serde_json::Value>(&t).ok())
            .and_then(|v| serde_json::from_value(v.get("benches")?.clone()).ok())
            .unwrap_or_default();
        benches.insert(
            bench.to_owned(),
            serde_json::json!({ "command": command, "results": self.rows }),
        );
        let doc = serde_json::json!({ "machine": machine(), "benches": benches });
        write(&json, &(pretty(&doc) + "\n"));
        write(&docs.join("benchmark-results.md"), &markdown(&doc));
    }
}

/// `docs/` of the workspace, whichever of its crates the benchmark is in.
fn docs() -> PathBuf {
    let crate_dir = Path::new(env!("CARGO_MANIFEST_DIR"));
    crate_dir
        .ancestors()
        .find(|d| d.join("Cargo.lock").is_file())
        .unwrap_or(crate_dir)
        .join("docs")
}

fn shown(value: f64) -> String {
    if value >= 100.0 {
        format!("{value:.0}")
    } else {
        format!("{value:.2}")
    }
}

fn pretty(v: &serde_json::Value) -> String {
    serde_json::to_string_pretty(v).unwrap_or_default()
}

fn write(path: &Path, text: &str) {
    match std::fs::write(path, text) {
        Ok(()) => println!("written: {}", path.display()),
        Err(e) => eprintln!("{}: {e}", path.display()),
    }
}

/// The results file: one table per program, in the order of its groups.
fn markdown(doc: &serde_json::Value) -> String {
    let m = &doc["machine"];
    let mut out = format!(
        "# Benchmark results\n\n\
         Written by `./dev bench`; [benchmarks.md](benchmarks.md) says what each \
         figure measures and what the numbers called for. Machine: {} cores, {}, \
         kernel {}.\n",
        m["cores"],
        m["cpu"].as_str().unwrap_or("?"),
        m["kernel"].as_str().unwrap_or("?")
    );
    let empty = serde_json::Map::new();
    for (bench, entry) in doc["benches"].as_object().unwrap_or(&empty) {
        out += &format!(
            "\n## {bench}\n\n`{}`\n\n| group | measurement | value | target |\n|---|---|---|---|\n",
            entry["command"].as_str().unwrap_or("")
        );
        for row in entry["results"].as_array().into_iter().flatten() {
            out += &format!(
                "| {} | {} | {} {} | {} |\n",
                row["group"].as_str().unwrap_or(""),
                row["name"].as_str().unwrap_or(""),
                row["value"].as_f64().map(shown).unwrap_or_default(),
                row["unit"].as_str().unwrap_or(""),
                row["target"].as_str().unwrap_or("")
            );
        }
    }
    out
}

/// What the figures were measured on.
pub fn machine() -> serde_json::Value {
    let cpu = std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("model name"))
                .and_then(|l| l.split(':').nth(1))
                .map(|m| m.trim().to_owned())
        })
        .unwrap_or_default();
    let cores = std::thread::available_parallelism().map_or(0, usize::from);
    let kernel = std::fs::read_to_string("/proc/sys/kernel/osrelease")
        .unwrap_or_default()
        .trim()
        .to_owned();
    serde_json::json!({ "cpu": cpu, "cores": cores, "kernel": kernel })
}

/// Resident memory of this process from `/proc/self/status`, KiB;
/// `field` is `VmRSS:` or `VmHWM:` (the peak).
pub fn rss_kib(field: &str) -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with(field))
                .and_then(|l| l.split_whitespace().nth(1)?.parse().ok())
        })
        .unwrap_or(0)
}
