//! Container escape through a kernel user-mode helper: the kernel runs a
//! program named in a file, as root in the host's namespaces. A process
//! in a (privileged) container that can write one of those files runs its
//! own code on the host (Tracee TRC-1010, TRC-1011, TRC-1018):
//!
//! - cgroup v1 `release_agent`, run when a cgroup with `notify_on_release`
//!   empties: mount a v1 hierarchy (`mount -t cgroup`), set both, then
//!   empty the cgroup — the first step is reported too;
//! - `/proc/sys/kernel/core_pattern` with a `|program` pipe, run on a crash;
//! - `/proc/sys/kernel/modprobe` and `/sys/kernel/uevent_helper` (or
//!   `/proc/sys/kernel/hotplug`), run on a module request or a device event.
//!
//! Only processes in a container are selected; on the host these files are
//! the administrator's business. Paths are compared by suffix, so the
//! host's `/proc` mounted elsewhere (`/host/proc/…`) is covered too.

use sandtrap_sdk::prelude::*;

/// Path suffix, method, severity.
const HELPERS: [(&str, &str, Severity); 6] = [
    ("/release_agent", "release_agent", Severity::Critical),
    ("/notify_on_release", "notify_on_release", Severity::High),
    (
        "/sys/kernel/core_pattern",
        "core_pattern",
        Severity::Critical,
    ),
    ("/sys/kernel/modprobe", "modprobe_path", Severity::Critical),
    (
        "/sys/kernel/uevent_helper",
        "uevent_helper",
        Severity::Critical,
    ),
    ("/sys/kernel/hotplug", "uevent_helper", Severity::Critical),
];
/// O_WRONLY | O_RDWR, O_CREAT, O_TRUNC.
const WRITE_FLAGS: u64 = 0x3 | 0x40 | 0x200;

struct ReleaseAgent;

impl Detector for ReleaseAgent {
    fn describe() -> Description {
        let mut d = describe(
            "container-escape-release-agent",
            "Container escape through a kernel helper",
            "0.1.0",
        )
        .description(
            "A process in a container wrote a file that makes the host kernel run a program.",
        )
        .selector(
            select("mount")
                .filter("fstype", FilterOp::Equal, "cgroup")
                .filter("container.id", FilterOp::NotEqual, ""),
        )
        .finding(
            finding("container_escape_helper", Severity::High)
                .description("A container set up a program for the host kernel to run")
                .mitre("Privilege Escalation", "T1611")
                .fields(&["method", "path", "flags"]),
        );
        // Read-only opens (flags 0, O_CLOEXEC) and the host's own processes
        // never reach the sandbox.
        for name in ["openat", "openat2"] {
            for (suffix, _, _) in HELPERS {
                d = d.selector(
                    select(name)
                        .filter("pathname", FilterOp::Suffix, suffix)
                        .filter("container.id", FilterOp::NotEqual, "")
                        .filter("flags", FilterOp::NotEqual, "0")
                        .filter("flags", FilterOp::NotEqual, "524288"),
                );
            }
        }
        d.build()
    }

    fn init(_: &Config) -> Result<Self, String> {
        Ok(ReleaseAgent)
    }

    fn on_event(&mut self, ev: &Event) -> Result<Vec<Detection>, String> {
        if ev.process().container_id().is_empty() {
            return Ok(vec![]);
        }
        let flags = ev.arg_u64("flags").unwrap_or(0);
        let (method, path, severity) = match ev.name() {
            "mount" if ev.arg_str("fstype") == Some("cgroup") => (
                "cgroup_v1_mount",
                ev.arg_str("target").unwrap_or(""),
                Severity::High,
            ),
            "openat" | "openat2" if flags & WRITE_FLAGS != 0 => {
                let path = ev.arg_str("pathname").unwrap_or("");
                let Some((_, method, severity)) =
                    HELPERS.iter().find(|(suffix, _, _)| path.ends_with(suffix))
                else {
                    return Ok(vec![]);
                };
                (*method, path, *severity)
            }
            _ => return Ok(vec![]),
        };
        Ok(vec![
            Detection::new()
                .field("method", method)
                .field("path", path)
                .field("flags", flags)
                .severity(severity),
        ])
    }
}

export_detector!(ReleaseAgent);
