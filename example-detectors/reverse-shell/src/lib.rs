//! Reverse shell: a process connects out over TCP/UDP and, moments later,
//! an interactive shell starts in that process or in a child of it, its
//! standard streams on the socket. This covers `bash -i >& /dev/tcp/…`
//! (the same process connects, then execs the shell), `nc -e /bin/sh`,
//! `socat exec:'bash -li'`, and the Python, Perl, PHP, Ruby and awk
//! one-liners (`pty.spawn("/bin/sh")`).
//!
//! Connects are selected in the host only for the usual carriers, by
//! `comm`: shells, script interpreters, netcat and socat (not `node`, whose
//! IDE servers open terminals). The shell must be interactive — no `-c`
//! command and no script operand — so a service that talks to its database
//! and runs `sh -c …` is not reported, nor are `/dev/tcp` port probes
//! (`wait-for-it`). DNS (port 53) and loopback (Jupyter kernels) are
//! ignored. State is per instance: connects older than `window_seconds`
//! (default 10) are forgotten.

use std::collections::HashMap;
use std::net::IpAddr;

use sandtrap_sdk::prelude::*;

const SHELLS: [&str; 7] = ["/sh", "/bash", "/dash", "/zsh", "/ksh", "/ash", "/busybox"];
/// Connecting processes worth watching, by exact `comm` and by prefix.
const CARRIERS: [&str; 10] = [
    "sh", "bash", "dash", "zsh", "ksh", "netcat", "socat", "awk", "gawk", "mawk",
];
const CARRIER_PREFIXES: [&str; 6] = ["python", "perl", "php", "ruby", "nc", "lua"];
/// Most remembered connects; beyond it, expired ones are dropped first.
const MAX_TRACKED: usize = 4096;

struct Connect {
    addr: String,
    port: u64,
    at: u64,
    comm: String,
    pid: u32,
}

struct ReverseShell {
    window_ns: u64,
    recent: HashMap<u64, Connect>,
}

/// Interactive: every argument after the name is an option, none is `-c`.
fn interactive(argv: StrList<'_>) -> bool {
    argv.iter()
        .skip(1)
        .all(|a| a.starts_with("--") || (a.starts_with('-') && a.len() > 1 && !a.contains('c')))
}

impl Detector for ReverseShell {
    fn describe() -> Description {
        let mut d = describe("reverse-shell", "Reverse shell", "0.1.0")
            .description(
                "An interactive shell started right after its process or parent connected out.",
            )
            .finding(
                finding("reverse_shell", Severity::High)
                    .description("An interactive shell is likely attached to a network connection")
                    .mitre("Execution", "T1059.004")
                    .fields(&[
                        "shell",
                        "argv",
                        "remote_addr",
                        "remote_port",
                        "connector",
                        "connector_pid",
                    ]),
            );
        let carriers = CARRIERS.map(|c| (FilterOp::Equal, c));
        let prefixes = CARRIER_PREFIXES.map(|c| (FilterOp::Prefix, c));
        for (op, comm) in carriers.into_iter().chain(prefixes) {
            d = d.selector(
                select("security_socket_connect")
                    .filter("family", FilterOp::NotEqual, "AF_UNIX")
                    .filter("remote_port", FilterOp::NotEqual, "53")
                    .filter("process.comm", op, comm),
            );
        }
        for shell in SHELLS {
            d = d.selector(select("sched_process_exec").filter(
                "pathname",
                FilterOp::Suffix,
                shell,
            ));
        }
        d.build()
    }

    fn init(config: &Config) -> Result<Self, String> {
        let window = config.u64_or("window_seconds", 10)?;
        Ok(ReverseShell {
            window_ns: window.saturating_mul(1_000_000_000),
            recent: HashMap::new(),
        })
    }

    fn on_event(&mut self, ev: &Event) -> Result<Vec<Detection>, String> {
        let now = ev.timestamp();
        if ev.name() == "security_socket_connect" {
            let inet = matches!(ev.arg_str("family"), Some("AF_INET" | "AF_INET6"));
            let port = ev.arg_u64("remote_port").unwrap_or(0);
            let loopback = |a: &str| a.parse::<IpAddr>().is_ok_and(|ip| ip.is_loopback());
            let wanted = |a: &&str| inet && port != 53 && !loopback(a);
            let Some(addr) = ev.arg_str("remote_addr").filter(wanted) else {
                return Ok(vec![]);
            };
            if self.recent.len() >= MAX_TRACKED {
                let window = self.window_ns;
                self.recent
                    .retain(|_, c| now.saturating_sub(c.at) <= window);
                if self.recent.len() >= MAX_TRACKED {
                    self.recent.clear();
                }
            }
            let conn = Connect {
                addr: addr.to_owned(),
                port,
                at: now,
                comm: ev.process().comm().to_owned(),
                pid: ev.process().pid(),
            };
            self.recent.insert(ev.process().entity_id(), conn);
            return Ok(vec![]);
        }
        let shell = ev.arg_str("pathname").unwrap_or(ev.process().exe());
        let argv = ev.arg_list("argv").unwrap_or_default();
        if ev.name() != "sched_process_exec"
            || !SHELLS.iter().any(|s| shell.ends_with(s))
            || !interactive(argv)
        {
            return Ok(vec![]);
        }
        // The shell itself connected before its exec, or its parent did.
        let conn = [ev.process().entity_id(), ev.process().parent_entity_id()]
            .iter()
            .filter_map(|id| self.recent.get(id))
            .find(|c| now.saturating_sub(c.at) <= self.window_ns);
        let Some(conn) = conn else {
            return Ok(vec![]);
        };
        Ok(vec![
            Detection::new()
                .field("shell", shell)
                .field("argv", argv.to_vec())
                .field("remote_addr", conn.addr.as_str())
                .field("remote_port", conn.port)
                .field("connector", conn.comm.as_str())
                .field("connector_pid", conn.pid),
        ])
    }
}

export_detector!(ReverseShell);
