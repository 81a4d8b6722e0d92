//! Dynamic linker hijacking through `/etc/ld.so.preload`. Every library
//! listed there is loaded by the dynamic linker into every dynamically
//! linked program started afterwards, before the program's own libraries:
//! userland rootkits (Jynx, Azazel, libprocesshider) install themselves
//! this way to hide files and processes or to steal credentials (Tracee
//! TRC-107).
//!
//! The dynamic linker reads the file at every exec, so the host selects
//! only opens of that path with flags other than the loader's own
//! read-only ones, and the detector reports those that can write:
//! `O_WRONLY`/`O_RDWR`, `O_CREAT` or `O_TRUNC`. The `LD_PRELOAD`
//! environment variable is the other route; exec events carry no
//! environment, so it is out of reach here.

use sandtrap_sdk::prelude::*;

const PRELOAD: &str = "/etc/ld.so.preload";
/// O_WRONLY | O_RDWR, O_CREAT, O_TRUNC.
const WRITE_FLAGS: u64 = 0x3 | 0x40 | 0x200;

struct LdPreload;

impl Detector for LdPreload {
    fn describe() -> Description {
        let mut d = describe("ld-preload", "Dynamic linker preload modification", "0.1.0")
            .description("A process opened /etc/ld.so.preload for writing.")
            .uses("process")
            .finding(
                finding("ld_preload_modified", Severity::High)
                    .description("The list of libraries preloaded into every program was modified")
                    .mitre("Persistence", "T1574.006")
                    .fields(&["pathname", "flags", "writer"]),
            );
        // 0 and O_CLOEXEC (524288) are the loader's reads, at every exec.
        for name in ["openat", "openat2"] {
            d = d.selector(
                select(name)
                    .filter("pathname", FilterOp::Equal, PRELOAD)
                    .filter("flags", FilterOp::NotEqual, "0")
                    .filter("flags", FilterOp::NotEqual, "524288"),
            );
        }
        d.build()
    }

    fn init(_: &Config) -> Result<Self, String> {
        Ok(LdPreload)
    }

    fn on_event(&mut self, ev: &Event) -> Result<Vec<Detection>, String> {
        let flags = ev.arg_u64("flags").unwrap_or(0);
        if ev.arg_str("pathname") != Some(PRELOAD) || flags & WRITE_FLAGS == 0 {
            return Ok(vec![]);
        }
        // Live syscall events carry no executable; the process tree does.
        let exe = stores::get_process(ev.process().entity_id())
            .map(|p| p.exe().to_owned())
            .unwrap_or_else(|_| ev.process().exe().to_owned());
        let writer = if exe.is_empty() {
            ev.process().comm().to_owned()
        } else {
            exe
        };
        Ok(vec![
            Detection::new()
                .field("pathname", PRELOAD)
                .field("flags", flags)
                .field("writer", writer),
        ])
    }
}

export_detector!(LdPreload);
