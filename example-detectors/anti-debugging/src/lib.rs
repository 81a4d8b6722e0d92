//! Anti-debugging: `ptrace(PTRACE_TRACEME)` called by a program on itself.
//!
//! A process can have only one tracer. Malware asks to be traced by its own
//! parent early on: when the call fails a debugger is already attached and
//! the sample changes course or exits; when it succeeds, no debugger can
//! attach any more. Debuggers use the same request legitimately, in the
//! child they fork before executing the program under test, so a caller
//! whose parent is a debugger (by name or executable) is not reported. The
//! caller's own name proves nothing: before its exec, that child still
//! carries the debugger's name, and a sample can rename itself to `gdb`
//! (Tracee TRC-102).

use sandtrap_sdk::prelude::*;

const PTRACE_TRACEME: i64 = 0;
/// Programs that fork a child which then asks to be traced.
const DEBUGGERS: [&str; 7] = [
    "gdb",
    "lldb",
    "lldb-server",
    "gdbserver",
    "strace",
    "ltrace",
    "rr",
];

struct AntiDebugging;

impl Detector for AntiDebugging {
    fn describe() -> Description {
        describe("anti-debugging", "Anti-debugging", "0.1.0")
            .description("A process called ptrace(PTRACE_TRACEME) outside a debugger.")
            .selector(select("ptrace").filter("request", FilterOp::Equal, "0"))
            .uses("process")
            .finding(
                finding("ptrace_traceme", Severity::Medium)
                    .description(
                        "A process asked to be traced by its parent, a common anti-debugging check",
                    )
                    .mitre("Defense Evasion", "T1622")
                    .fields(&["request", "comm", "exe", "parent", "parent_pid"]),
            )
            .build()
    }

    fn init(_: &Config) -> Result<Self, String> {
        Ok(AntiDebugging)
    }

    fn on_event(&mut self, ev: &Event) -> Result<Vec<Detection>, String> {
        if ev.arg_i64("request") != Some(PTRACE_TRACEME) {
            return Ok(vec![]);
        }
        // [0] is the process itself, [1] its parent; an unknown parent is
        // not a debugger.
        let chain = stores::get_ancestry(ev.process().entity_id(), 2).unwrap_or_default();
        let parent = chain.get(1);
        // Live syscall events carry no executable; the process tree does.
        let exe = chain.first().map_or(ev.process().exe(), |p| p.exe());
        if parent.is_some_and(|p| DEBUGGERS.iter().any(|d| p.is(d))) {
            return Ok(vec![]);
        }
        Ok(vec![
            Detection::new()
                .field("request", "PTRACE_TRACEME")
                .field("comm", ev.process().comm())
                .field("exe", exe)
                .field("parent", parent.map_or("", |p| p.name()))
                .field("parent_pid", ev.process().ppid()),
        ])
    }
}

export_detector!(AntiDebugging);
