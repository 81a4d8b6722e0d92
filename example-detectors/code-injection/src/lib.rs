//! Code injection: one process writing into the memory of another, the way
//! shellcode or a hook is planted in a running process (Tracee TRC-103,
//! TRC-1024, TRC-1025). Three routes are watched:
//!
//! - `process_vm_writev` whose target pid is not the caller's own;
//! - `ptrace(PTRACE_POKETEXT | PTRACE_POKEDATA)`, a word written into a
//!   tracee;
//! - an open for writing of `/proc/<pid>/mem` (or
//!   `/proc/<pid>/task/<tid>/mem`) of another process.
//!
//! Debuggers do all three to set breakpoints, so a writer whose binary is
//! a known debugger (name or executable basename in the process tree, not
//! the renameable `comm`) is not reported; the `allow` configuration key
//! adds names (e.g. `criu`). Paths are compared as the caller passed them.

use sandtrap_sdk::prelude::*;

const PTRACE_POKETEXT: i64 = 4;
const PTRACE_POKEDATA: i64 = 5;
const DEBUGGERS: [&str; 5] = ["gdb", "gdbserver", "lldb", "lldb-server", "rr"];
/// O_WRONLY | O_RDWR, O_CREAT, O_TRUNC.
const WRITE_FLAGS: u64 = 0x3 | 0x40 | 0x200;

struct CodeInjection {
    allow: Vec<String>,
}

/// The pid of `/proc/<pid>/mem` or `/proc/<pid>/task/<tid>/mem`; `None`
/// for anything else, `/proc/self/mem` included.
fn proc_mem_pid(path: &str) -> Option<i64> {
    let rest = path.strip_prefix("/proc/")?.strip_suffix("/mem")?;
    let mut parts = rest.split('/');
    let pid = parts.next()?.parse::<u32>().ok()?;
    match (parts.next(), parts.next(), parts.next()) {
        (None, _, _) => Some(i64::from(pid)),
        (Some("task"), Some(tid), None) if tid.parse::<u32>().is_ok() => Some(i64::from(pid)),
        _ => None,
    }
}

impl Detector for CodeInjection {
    fn describe() -> Description {
        let mut d = describe("code-injection", "Code injection", "0.1.0")
            .description("A process wrote into the memory of another process.")
            .selector(select("process_vm_writev"))
            .selector(select("ptrace").filter("request", FilterOp::Equal, "4"))
            .selector(select("ptrace").filter("request", FilterOp::Equal, "5"))
            .uses("process")
            .finding(
                finding("process_memory_write", Severity::High)
                    .description("Memory of another process was written outside a debugger")
                    .mitre("Defense Evasion", "T1055")
                    .fields(&["method", "target_pid", "writer", "pathname"]),
            );
        // Plain read-only opens (flags 0, O_CLOEXEC) never reach the sandbox.
        for name in ["openat", "openat2"] {
            d = d.selector(
                select(name)
                    .filter("pathname", FilterOp::Prefix, "/proc/")
                    .filter("pathname", FilterOp::Suffix, "/mem")
                    .filter("flags", FilterOp::NotEqual, "0")
                    .filter("flags", FilterOp::NotEqual, "524288"),
            );
        }
        d.build()
    }

    fn init(config: &Config) -> Result<Self, String> {
        let mut allow: Vec<String> = DEBUGGERS.iter().map(|s| (*s).to_owned()).collect();
        allow.extend(config.list("allow").into_iter().map(str::to_owned));
        Ok(CodeInjection { allow })
    }

    fn on_event(&mut self, ev: &Event) -> Result<Vec<Detection>, String> {
        let mut pathname = None;
        let (method, target) = match ev.name() {
            "process_vm_writev" => ("process_vm_writev", ev.arg_i64("pid")),
            "ptrace" => match ev.arg_i64("request") {
                Some(PTRACE_POKETEXT) => ("ptrace_poketext", ev.arg_i64("pid")),
                Some(PTRACE_POKEDATA) => ("ptrace_pokedata", ev.arg_i64("pid")),
                _ => return Ok(vec![]),
            },
            "openat" | "openat2" => {
                let flags = ev.arg_u64("flags").unwrap_or(0);
                let path = ev.arg_str("pathname").unwrap_or("");
                if flags & WRITE_FLAGS == 0 {
                    return Ok(vec![]);
                }
                pathname = Some(path);
                ("proc_mem_write", proc_mem_pid(path))
            }
            _ => return Ok(vec![]),
        };
        let own = [i64::from(ev.process().pid()), i64::from(ev.process().tid())];
        let Some(target) = target.filter(|t| *t > 0 && !own.contains(t)) else {
            return Ok(vec![]); // the caller's own memory, or no target
        };
        let writer = stores::get_process(ev.process().entity_id()).ok();
        if writer
            .as_ref()
            .is_some_and(|p| self.allow.iter().any(|a| p.is(a)))
        {
            return Ok(vec![]);
        }
        let exe = writer.as_ref().map_or(ev.process().exe(), |p| p.exe());
        let mut det = Detection::new()
            .field("method", method)
            .field("target_pid", target)
            .field(
                "writer",
                if exe.is_empty() {
                    ev.process().comm()
                } else {
                    exe
                },
            );
        if let Some(path) = pathname {
            det = det.field("pathname", path);
        }
        Ok(vec![det])
    }
}

export_detector!(CodeInjection);
