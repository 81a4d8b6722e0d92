//! Records the eBPF programs write to the ring buffer, shared with the
//! collector that decodes them.
//!
//! `no_std`, `#[repr(C)]`, every padding byte spelled out, sizes pinned by
//! const assertions: the kernel side and the user side must agree byte for
//! byte, and the user side decodes with explicit little-endian reads rather
//! than trusting a cast.
#![no_std]

/// Kinds of record; the first `u32` of every record.
pub mod kind {
    /// A process forked (a thread-group leader was created).
    pub const FORK: u32 = 1;
    /// A process executed a new image.
    pub const EXEC: u32 = 2;
    /// A thread-group leader exited.
    pub const EXIT: u32 = 3;
    /// A traced syscall was entered.
    pub const SYSCALL: u32 = 4;
    /// A DNS response arrived (UDP, source port 53).
    pub const DNS: u32 = 5;
    /// A cgroup was created.
    pub const CGROUP_MKDIR: u32 = 6;
    /// A cgroup was removed.
    pub const CGROUP_RMDIR: u32 = 7;
}

/// Longest string argument copied (paths, names), NUL included.
pub const STR_LEN: usize = 256;
/// Bytes of `argv` copied (NUL-separated arguments).
pub const ARGV_LEN: usize = 512;
/// Bytes of a `sockaddr` or similar small user structure copied.
pub const BLOB_LEN: usize = 32;
/// Bytes of a DNS payload copied.
pub const DNS_LEN: usize = 512;

/// What every record starts with: the task that caused it.
#[repr(C)]
#[derive(Clone, Copy)]
pub struct Header {
    /// One of [`kind`].
    pub kind: u32,
    /// Thread-group id.
    pub pid: u32,
    /// Thread id.
    pub tid: u32,
    /// Parent's thread-group id.
    pub ppid: u32,
    /// Real uid.
    pub uid: u32,
    /// Real gid.
    pub gid: u32,
    /// `bpf_ktime_get_boot_ns()` when the record was made.
    pub boot_ns: u64,
    /// cgroup v2 id.
    pub cgroup_id: u64,
    /// `task->start_boottime` (ns since boot).
    pub start_ns: u64,
    /// `task->real_parent->start_boottime`.
    pub parent_start_ns: u64,
    /// Task command name.
    pub comm: [u8; 16],
}

/// `sched_process_fork`.
#[repr(C)]
#[derive(Clone, Copy)]
pub struct Fork {
    /// The parent.
    pub header: Header,
    /// Child thread-group id.
    pub child_pid: u32,
    /// Child thread id.
    pub child_tid: u32,
    /// Child `start_boottime`.
    pub child_start_ns: u64,
}

/// `sched_process_exec`.
#[repr(C)]
#[derive(Clone, Copy)]
pub struct Exec {
    /// The process after the exec.
    pub header: Header,
    /// Bytes of `argv` copied.
    pub argv_len: u32,
    /// Pid before the exec (differs when a non-leader thread execs).
    pub old_pid: u32,
    /// `bprm->filename`, NUL-terminated.
    pub filename: [u8; STR_LEN],
    /// Name of the executed file's dentry (e.g. `memfd:x`), NUL-terminated.
    pub dentry: [u8; 64],
    /// NUL-separated arguments.
    pub argv: [u8; ARGV_LEN],
}

/// `sched_process_exit` of a thread-group leader.
#[repr(C)]
#[derive(Clone, Copy)]
pub struct Exit {
    /// The exiting process.
    pub header: Header,
    /// `task->exit_code`.
    pub exit_code: u32,
    /// Padding.
    pub _pad: u32,
}

/// A traced syscall at entry, with its raw arguments and up to two
/// strings and one small blob copied from user memory, as the syscall's
/// decoder in the collector expects.
#[repr(C)]
#[derive(Clone, Copy)]
pub struct Syscall {
    /// The caller.
    pub header: Header,
    /// Syscall number of the running architecture.
    pub nr: u32,
    /// Bytes of `blob` copied.
    pub blob_len: u32,
    /// Raw arguments.
    pub args: [u64; 6],
    /// First string argument.
    pub str0: [u8; STR_LEN],
    /// Second string argument.
    pub str1: [u8; STR_LEN],
    /// A small structure (e.g. the `sockaddr` of `connect`).
    pub blob: [u8; BLOB_LEN],
}

/// A DNS response delivered to a local socket.
#[repr(C)]
#[derive(Clone, Copy)]
pub struct Dns {
    /// Kind, and the ids of whoever's softirq context carried it (not
    /// the receiver; DNS answers are not attributed to a process).
    pub header: Header,
    /// Bytes of payload copied.
    pub len: u32,
    /// Full UDP payload length.
    pub full_len: u32,
    /// UDP payload.
    pub payload: [u8; DNS_LEN],
}

/// `cgroup_mkdir` / `cgroup_rmdir`, in any hierarchy.
#[repr(C)]
#[derive(Clone, Copy)]
pub struct Cgroup {
    /// The task that made or removed it.
    pub header: Header,
    /// Hierarchy id (0 is the v2 hierarchy on most hosts).
    pub hierarchy: u32,
    /// Padding.
    pub _pad: u32,
    /// Path inside the hierarchy, NUL-terminated.
    pub path: [u8; STR_LEN],
}

const _: () = assert!(core::mem::size_of::<Header>() == 72);
const _: () = assert!(core::mem::size_of::<Cgroup>() == 72 + 8 + STR_LEN);
const _: () = assert!(core::mem::size_of::<Fork>() == 88);
const _: () = assert!(core::mem::size_of::<Exec>() == 72 + 8 + STR_LEN + 64 + ARGV_LEN);
const _: () = assert!(core::mem::size_of::<Exit>() == 80);
const _: () = assert!(core::mem::size_of::<Syscall>() == 72 + 8 + 48 + 2 * STR_LEN + BLOB_LEN);
const _: () = assert!(core::mem::size_of::<Dns>() == 72 + 8 + DNS_LEN);

/// Byte offsets of the header fields, for decoders that read bytes.
pub mod offsets {
    /// `Header::kind`.
    pub const KIND: usize = 0;
    /// `Header::boot_ns`.
    pub const BOOT_NS: usize = 24;
    /// `Header::comm`.
    pub const COMM: usize = 56;
    /// Size of the header.
    pub const HEADER: usize = 72;
}
