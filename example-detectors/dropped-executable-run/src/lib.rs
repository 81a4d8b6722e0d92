//! A dropped executable run: a program started from a world-writable
//! temporary directory (`/tmp`, `/var/tmp`) by a shell or a script
//! interpreter — the `curl -o /tmp/x …; chmod +x /tmp/x; /tmp/x` of
//! droppers, miners and exploit chains (Tracee TRC-1022 watches the ELF
//! being written; writes are not collected here, the exec is). Memory-backed
//! `/dev/shm` is left to `fileless-exec`.
//!
//! The process tree decides: the parent must be a shell or an interpreter
//! (`python*`, `perl`, `ruby`, `php`, `node`, …), or a downloader (`curl`,
//! `wget`) must be among the ancestors. A downloader in the chain, as a
//! process or named in an ancestor's command line (`sh -c "wget … && /tmp/x"`),
//! raises the severity to high.

use sandtrap_sdk::prelude::*;

const TEMP_DIRS: [&str; 2] = ["/tmp/", "/var/tmp/"];
const SHELLS: [&str; 8] = ["sh", "bash", "dash", "zsh", "ksh", "ash", "busybox", "fish"];
/// Interpreter name prefixes: `python3.12`, `perl5.36`, `php8.2`.
const INTERPRETERS: [&str; 6] = ["python", "perl", "ruby", "php", "node", "lua"];
const DOWNLOADERS: [&str; 2] = ["curl", "wget"];
const MAX_DEPTH: u32 = 6;

struct DroppedExecutableRun;

fn basename(path: &str) -> &str {
    path.rsplit('/').next().unwrap_or(path)
}

fn is_interpreter(p: ProcessRecord<'_>) -> bool {
    SHELLS.iter().any(|s| p.is(s))
        || [p.name(), basename(p.exe())]
            .iter()
            .any(|n| INTERPRETERS.iter().any(|i| n.starts_with(i)))
}

/// The downloader an ancestor is, or names in its command line.
fn downloader(p: ProcessRecord<'_>) -> Option<&'static str> {
    DOWNLOADERS
        .into_iter()
        .find(|d| p.is(d) || p.argv().iter().any(|a| a.contains(d)))
}

impl Detector for DroppedExecutableRun {
    fn describe() -> Description {
        let mut d = describe("dropped-executable-run", "Dropped executable run", "0.1.0")
            .description("A shell or interpreter ran a program from a temporary directory.")
            .requires("process")
            .finding(
                finding("dropped_executable_run", Severity::Medium)
                    .description("A program written to a temporary directory was executed")
                    .mitre("Execution", "T1204.002")
                    .fields(&["pathname", "argv", "parent", "downloader", "ancestry"]),
            );
        for dir in TEMP_DIRS {
            d = d.selector(select("sched_process_exec").filter("pathname", FilterOp::Prefix, dir));
        }
        d.build()
    }

    fn init(_: &Config) -> Result<Self, String> {
        Ok(DroppedExecutableRun)
    }

    fn on_event(&mut self, ev: &Event) -> Result<Vec<Detection>, String> {
        let pathname = ev.arg_str("pathname").unwrap_or(ev.process().exe());
        if !TEMP_DIRS.iter().any(|d| pathname.starts_with(d)) {
            return Ok(vec![]);
        }
        let chain = match stores::get_ancestry(ev.process().entity_id(), MAX_DEPTH) {
            Ok(chain) => chain,
            Err(StoreError::NotFound) => return Ok(vec![]),
            Err(e) => return Err(format!("process store: {e:?}")),
        };
        // [0] is the new program itself.
        let Some(parent) = chain.get(1) else {
            return Ok(vec![]);
        };
        let fetched_by = chain.iter().skip(1).find_map(downloader);
        if !is_interpreter(parent) && fetched_by.is_none() {
            return Ok(vec![]);
        }
        let argv = ev.arg_list("argv").map(|l| l.to_vec()).unwrap_or_default();
        let ancestry: Vec<String> = chain
            .iter()
            .skip(1)
            .map(|p| format!("{}({})", p.name(), p.pid()))
            .collect();
        Ok(vec![
            Detection::new()
                .field("pathname", pathname)
                .field("argv", argv)
                .field("parent", parent.name())
                .field("downloader", fetched_by.unwrap_or(""))
                .field("ancestry", ancestry)
                .severity(if fetched_by.is_some() {
                    Severity::High
                } else {
                    Severity::Medium
                }),
        ])
    }
}

export_detector!(DroppedExecutableRun);
