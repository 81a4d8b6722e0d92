//! Fileless execution: a program executed from memory rather than from a
//! file on disk — `memfd_create` files (`memfd:`), or tmpfs scratch space
//! (`/dev/shm`, `/run/shm`) that attackers use to avoid leaving binaries
//! behind. Reports the process ancestry so the dropper is visible.

use sandtrap_sdk::prelude::*;

const MEMORY_PREFIXES: [&str; 3] = ["memfd:", "/dev/shm/", "/run/shm/"];

struct FilelessExec;

impl Detector for FilelessExec {
    fn describe() -> Description {
        let mut d = describe("fileless-exec", "Fileless execution", "0.1.0")
            .description("A process was executed from a memory-backed file.")
            .requires("process")
            .finding(
                finding("fileless_execution", Severity::High)
                    .description("Execution of a binary that does not live on persistent storage")
                    .mitre("Defense Evasion", "T1620")
                    .fields(&["pathname", "argv", "ancestry"]),
            );
        // One selector per prefix: the host drops every other exec without
        // calling into the sandbox.
        for prefix in MEMORY_PREFIXES {
            d = d.selector(select("sched_process_exec").filter(
                "pathname",
                FilterOp::Prefix,
                prefix,
            ));
        }
        d.build()
    }

    fn init(_: &Config) -> Result<Self, String> {
        Ok(FilelessExec)
    }

    fn on_event(&mut self, ev: &Event) -> Result<Vec<Detection>, String> {
        let pathname = ev.arg_str("pathname").unwrap_or(ev.process().exe());
        if !MEMORY_PREFIXES.iter().any(|p| pathname.starts_with(p)) {
            return Ok(vec![]);
        }
        let ancestry = match stores::get_ancestry(ev.process().entity_id(), 6) {
            Ok(chain) => chain
                .iter()
                .skip(1)
                .map(|p| format!("{}({})", p.name(), p.pid()))
                .collect::<Vec<_>>(),
            Err(StoreError::NotFound) => Vec::new(),
            Err(e) => return Err(format!("process store: {e:?}")),
        };
        let argv = ev.arg_list("argv").map(|l| l.to_vec()).unwrap_or_default();
        Ok(vec![
            Detection::new()
                .field("pathname", pathname)
                .field("argv", argv)
                .field("ancestry", ancestry),
        ])
    }
}

export_detector!(FilelessExec);
