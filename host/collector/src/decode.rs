//! Ring-buffer records to events.
//!
//! Records come from the kernel, but a decoder must still treat them as
//! untrusted bytes: a short record, an unknown kind or a string without a
//! terminator is an error (counted by the caller), never a panic. Fields
//! are read explicitly as little-endian at the offsets of the shared
//! `#[repr(C)]` layouts.

use std::net::{Ipv4Addr, Ipv6Addr};

use sandtrap_ebpf_common::{
    ARGV_LEN, BLOB_LEN, Cgroup, DNS_LEN, Dns, Exec, Exit, Fork, Header, STR_LEN, Syscall, kind,
};
use sandtrap_model::{Arg, Event, ProcessContext, Value, ns_to_ticks};

/// Why a record was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DecodeError {
    /// Shorter than its kind's layout.
    #[error("record of kind {kind} is {len} bytes, expected {want}")]
    Short {
        /// Kind read from the record.
        kind: u32,
        /// Bytes received.
        len: usize,
        /// Bytes of the layout.
        want: usize,
    },
    /// Not a kind this collector knows.
    #[error("unknown record kind {0}")]
    UnknownKind(u32),
    /// A syscall the decoder has no table entry for.
    #[error("unexpected syscall number {0}")]
    UnknownSyscall(u32),
}

/// A decoded record: an event, or a DNS payload still to be parsed.
#[derive(Debug, Clone, PartialEq)]
pub enum Decoded {
    /// Ready for the pipeline (boot-relative timestamp; see [`Clock`]).
    Event(Event),
    /// A DNS response payload, with the boot-relative time it arrived.
    Dns {
        /// ns since boot.
        boot_ns: u64,
        /// The copied UDP payload.
        payload: Vec<u8>,
        /// True when the payload was longer than what was copied.
        truncated: bool,
    },
}

/// Converts kernel boot-time stamps to wall time.
#[derive(Debug, Clone, Copy)]
pub struct Clock {
    /// Wall time (ns since the Unix epoch) of boot.
    pub boot_time_ns: u64,
}

impl Clock {
    fn wall(&self, boot_ns: u64) -> u64 {
        self.boot_time_ns.saturating_add(boot_ns)
    }
}

struct Bytes<'a>(&'a [u8]);

impl Bytes<'_> {
    fn u32(&self, at: usize) -> u32 {
        u32::from_le_bytes(self.0[at..at + 4].try_into().unwrap_or([0; 4]))
    }
    fn u64(&self, at: usize) -> u64 {
        u64::from_le_bytes(self.0[at..at + 8].try_into().unwrap_or([0; 8]))
    }
    /// A NUL-terminated string in a fixed field (unterminated: the field).
    fn cstr(&self, at: usize, len: usize) -> String {
        let field = &self.0[at..at + len];
        let end = field.iter().position(|b| *b == 0).unwrap_or(len);
        String::from_utf8_lossy(&field[..end]).into_owned()
    }
}

fn need(rec: &[u8], k: u32, want: usize) -> Result<Bytes<'_>, DecodeError> {
    if rec.len() < want {
        return Err(DecodeError::Short {
            kind: k,
            len: rec.len(),
            want,
        });
    }
    Ok(Bytes(rec))
}

// Field offsets inside `Header` (see ebpf/common); the header is first in every record.
const H_PID: usize = 4;
const H_TID: usize = 8;
const H_PPID: usize = 12;
const H_UID: usize = 16;
const H_GID: usize = 20;
const H_BOOT: usize = 24;
const H_CGROUP: usize = 32;
const H_START: usize = 40;
const H_PSTART: usize = 48;
const H_COMM: usize = 56;
const H: usize = size_of::<Header>();

fn process(b: &Bytes<'_>) -> ProcessContext {
    ProcessContext {
        pid: b.u32(H_PID),
        tid: b.u32(H_TID),
        ppid: b.u32(H_PPID),
        uid: b.u32(H_UID),
        gid: b.u32(H_GID),
        cgroup_id: b.u64(H_CGROUP),
        start_ticks: ns_to_ticks(b.u64(H_START)),
        parent_start_ticks: ns_to_ticks(b.u64(H_PSTART)),
        comm: b.cstr(H_COMM, 16),
        ..Default::default()
    }
}

fn event(b: &Bytes<'_>, clock: Clock, name: &str, args: Vec<Arg>) -> Event {
    Event {
        seq: 0,
        timestamp: clock.wall(b.u64(H_BOOT)),
        name: name.into(),
        process: process(b),
        args,
    }
}

/// Decodes one ring-buffer record.
pub fn decode(rec: &[u8], clock: Clock) -> Result<Decoded, DecodeError> {
    if rec.len() < 4 {
        return Err(DecodeError::Short {
            kind: 0,
            len: rec.len(),
            want: H,
        });
    }
    let k = u32::from_le_bytes([rec[0], rec[1], rec[2], rec[3]]);
    match k {
        kind::FORK => {
            let b = need(rec, k, size_of::<Fork>())?;
            let args = vec![
                Arg::new("child_pid", b.u32(H)),
                Arg::new("child_tid", b.u32(H + 4)),
                Arg::new("child_start_ticks", ns_to_ticks(b.u64(H + 8))),
            ];
            Ok(Decoded::Event(event(&b, clock, "sched_process_fork", args)))
        }
        kind::EXEC => {
            let b = need(rec, k, size_of::<Exec>())?;
            let argv_len = (b.u32(H) as usize).min(ARGV_LEN);
            let filename = b.cstr(H + 8, STR_LEN);
            let dentry = b.cstr(H + 8 + STR_LEN, 64);
            let argv_at = H + 8 + STR_LEN + 64;
            let argv: Vec<String> = rec[argv_at..argv_at + argv_len]
                .split(|c| *c == 0)
                .filter(|s| !s.is_empty())
                .map(|s| String::from_utf8_lossy(s).into_owned())
                .collect();
            // fexecve of a memfd runs "/dev/fd/N"; the dentry says what it is.
            let pathname = if dentry.starts_with("memfd:") {
                dentry.clone()
            } else {
                filename.clone()
            };
            let mut ev = event(
                &b,
                clock,
                "sched_process_exec",
                vec![
                    Arg::new("pathname", pathname.as_str()),
                    Arg::new("filename", filename),
                    Arg::new("argv", Value::StrList(argv)),
                    Arg::new("old_pid", b.u32(H + 4)),
                ],
            );
            ev.process.exe = pathname;
            Ok(Decoded::Event(ev))
        }
        kind::EXIT => {
            let b = need(rec, k, size_of::<Exit>())?;
            let code = b.u32(H);
            let args = vec![
                Arg::new("exit_code", u64::from(code >> 8 & 0xff)),
                Arg::new("signal", u64::from(code & 0x7f)),
                Arg::new("process_group_exit", true),
            ];
            Ok(Decoded::Event(event(&b, clock, "sched_process_exit", args)))
        }
        kind::SYSCALL => {
            let b = need(rec, k, size_of::<Syscall>())?;
            syscall(&b, clock).map(Decoded::Event)
        }
        kind::DNS => {
            let b = need(rec, k, size_of::<Dns>())?;
            let len = (b.u32(H) as usize).min(DNS_LEN);
            let full = b.u32(H + 4) as usize;
            Ok(Decoded::Dns {
                boot_ns: b.u64(H_BOOT),
                payload: rec[H + 8..H + 8 + len].to_vec(),
                truncated: full > len,
            })
        }
        kind::CGROUP_MKDIR | kind::CGROUP_RMDIR => {
            let b = need(rec, k, size_of::<Cgroup>())?;
            let name = if k == kind::CGROUP_MKDIR {
                "cgroup_mkdir"
            } else {
                "cgroup_rmdir"
            };
            let args = vec![Arg::new("path", b.cstr(H + 8, STR_LEN))];
            Ok(Decoded::Event(event(&b, clock, name, args)))
        }
        other => Err(DecodeError::UnknownKind(other)),
    }
}

/// Decodes a `sockaddr` (family, port, address) copied by `connect`.
pub fn sockaddr(blob: &[u8]) -> Option<(&'static str, String, u16)> {
    if blob.len() < 2 {
        return None;
    }
    let family = u16::from_le_bytes([blob[0], blob[1]]);
    match family {
        2 if blob.len() >= 8 => {
            let port = u16::from_be_bytes([blob[2], blob[3]]);
            Some((
                "AF_INET",
                Ipv4Addr::new(blob[4], blob[5], blob[6], blob[7]).to_string(),
                port,
            ))
        }
        10 if blob.len() >= 24 => {
            let port = u16::from_be_bytes([blob[2], blob[3]]);
            let mut a = [0u8; 16];
            a.copy_from_slice(&blob[8..24]);
            let ip = Ipv6Addr::from(a);
            let text = ip
                .to_ipv4_mapped()
                .map_or_else(|| ip.to_string(), |v4| v4.to_string());
            Some(("AF_INET6", text, port))
        }
        1 => {
            let path = &blob[2..];
            let end = path.iter().position(|b| *b == 0).unwrap_or(path.len());
            Some((
                "AF_UNIX",
                String::from_utf8_lossy(&path[..end]).into_owned(),
                0,
            ))
        }
        _ => None,
    }
}

fn syscall(b: &Bytes<'_>, clock: Clock) -> Result<Event, DecodeError> {
    let nr = b.u32(H);
    let blob_len = (b.u32(H + 4) as usize).min(BLOB_LEN);
    let arg = |i: usize| b.u64(H + 8 + 8 * i);
    let str0 = || b.cstr(H + 56, STR_LEN);
    let str1 = || b.cstr(H + 56 + STR_LEN, STR_LEN);
    let blob_at = H + 56 + 2 * STR_LEN;
    let blob = &b.0[blob_at..blob_at + blob_len];
    // int-typed arguments: only the low 32 bits of the register are defined.
    let int = |i: usize| Value::from(i64::from(arg(i) as i32));
    let (name, args): (&str, Vec<Arg>) = match nr {
        257 => (
            "openat",
            vec![
                Arg::new("dirfd", int(0)),
                Arg::new("pathname", str0()),
                Arg::new("flags", arg(2)),
                Arg::new("mode", arg(3)),
            ],
        ),
        437 => {
            let flags = if blob.len() >= 8 {
                u64::from_le_bytes(blob[..8].try_into().unwrap_or([0; 8]))
            } else {
                0
            };
            (
                "openat2",
                vec![
                    Arg::new("dirfd", int(0)),
                    Arg::new("pathname", str0()),
                    Arg::new("flags", flags),
                ],
            )
        }
        42 => {
            let mut args = vec![Arg::new("fd", int(0))];
            if let Some((family, addr, port)) = sockaddr(blob) {
                args.push(Arg::new("family", family));
                args.push(Arg::new("remote_addr", addr));
                args.push(Arg::new("remote_port", u64::from(port)));
            }
            ("security_socket_connect", args)
        }
        101 => (
            "ptrace",
            vec![
                Arg::new("request", int(0)),
                Arg::new("pid", int(1)),
                Arg::new("addr", arg(2)),
                Arg::new("data", arg(3)),
            ],
        ),
        319 => (
            "memfd_create",
            vec![Arg::new("name", str0()), Arg::new("flags", arg(1))],
        ),
        175 => (
            "init_module",
            vec![Arg::new("len", arg(1)), Arg::new("param_values", str0())],
        ),
        313 => (
            "finit_module",
            vec![
                Arg::new("fd", int(0)),
                Arg::new("param_values", str0()),
                Arg::new("flags", arg(2)),
            ],
        ),
        165 => {
            let fstype =
                String::from_utf8_lossy(blob.split(|c| *c == 0).next().unwrap_or_default())
                    .into_owned();
            (
                "mount",
                vec![
                    Arg::new("source", str0()),
                    Arg::new("target", str1()),
                    Arg::new("fstype", fstype),
                    Arg::new("flags", arg(3)),
                ],
            )
        }
        272 => ("unshare", vec![Arg::new("flags", arg(0))]),
        308 => (
            "setns",
            vec![Arg::new("fd", int(0)), Arg::new("nstype", arg(1))],
        ),
        321 => (
            "bpf",
            vec![Arg::new("cmd", int(0)), Arg::new("size", arg(2))],
        ),
        311 => (
            "process_vm_writev",
            vec![
                Arg::new("pid", int(0)),
                Arg::new("liovcnt", arg(2)),
                Arg::new("riovcnt", arg(4)),
                Arg::new("flags", arg(5)),
            ],
        ),
        other => return Err(DecodeError::UnknownSyscall(other)),
    };
    Ok(event(b, clock, name, args))
}

#[cfg(test)]
mod tests;
