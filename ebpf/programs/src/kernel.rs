//! Globals set by the collector, and reads of kernel structures at the
//! offsets they carry.

use aya_ebpf::helpers::{
    bpf_get_current_comm, bpf_get_current_pid_tgid, bpf_get_current_uid_gid, bpf_probe_read_kernel,
    generated::{bpf_get_current_cgroup_id, bpf_get_current_task, bpf_ktime_get_boot_ns},
};
use sandtrap_ebpf_common::Header;

macro_rules! globals {
    ($($(#[$doc:meta])* $name:ident),* $(,)?) => {
        $(
            $(#[$doc])*
            #[unsafe(no_mangle)]
            pub static $name: u32 = 0;
        )*
    };
}

globals! {
    /// The collector's own thread group: never traced (no feedback loop).
    HOST_TGID,
    /// Non-zero: only thread groups in `FOLLOW` are traced.
    FOLLOW_ONLY,
    /// `task_struct.pid`.
    OFF_TASK_PID,
    /// `task_struct.tgid`.
    OFF_TASK_TGID,
    /// `task_struct.real_parent`.
    OFF_TASK_REAL_PARENT,
    /// `task_struct.start_boottime`.
    OFF_TASK_START_BOOTTIME,
    /// `task_struct.mm`.
    OFF_TASK_MM,
    /// `task_struct.exit_code`.
    OFF_TASK_EXIT_CODE,
    /// `mm_struct.arg_start`.
    OFF_MM_ARG_START,
    /// `mm_struct.arg_end`.
    OFF_MM_ARG_END,
    /// `linux_binprm.filename`.
    OFF_BPRM_FILENAME,
    /// `linux_binprm.file`.
    OFF_BPRM_FILE,
    /// `file.f_path` + `path.dentry`.
    OFF_FILE_DENTRY,
    /// `dentry.d_name` + `qstr.name`.
    OFF_DENTRY_NAME,
}

/// Reads a global; volatile so the compiler cannot fold the zero it was
/// compiled with.
#[inline(always)]
pub fn global(g: &'static u32) -> u32 {
    // SAFETY: a valid static.
    unsafe { core::ptr::read_volatile(g) }
}

#[inline(always)]
pub fn read_u32(base: *const u8, off: u32) -> u32 {
    if base.is_null() {
        return 0;
    }
    // SAFETY: probe reads tolerate any address.
    unsafe { bpf_probe_read_kernel(base.wrapping_add(off as usize) as *const u32).unwrap_or(0) }
}

#[inline(always)]
pub fn read_u64(base: *const u8, off: u32) -> u64 {
    if base.is_null() {
        return 0;
    }
    // SAFETY: probe reads tolerate any address.
    unsafe { bpf_probe_read_kernel(base.wrapping_add(off as usize) as *const u64).unwrap_or(0) }
}

#[inline(always)]
pub fn read_ptr(base: *const u8, off: u32) -> *const u8 {
    read_u64(base, off) as *const u8
}

/// The current task.
#[inline(always)]
pub fn current_task() -> *const u8 {
    // SAFETY: helper without preconditions.
    unsafe { bpf_get_current_task() as *const u8 }
}

/// The current thread group, and whether it is to be traced.
#[inline(always)]
pub fn traced() -> Option<u32> {
    let tgid = (bpf_get_current_pid_tgid() >> 32) as u32;
    if tgid == global(&HOST_TGID) {
        return None;
    }
    if global(&FOLLOW_ONLY) != 0 && crate::FOLLOW.get_ptr(tgid).is_none() {
        return None;
    }
    Some(tgid)
}

/// Fills the header of a record from the current task.
///
/// # Safety
/// `h` points to writable memory for a `Header` (a ring-buffer reservation).
#[inline(always)]
pub unsafe fn fill_header(h: *mut Header, kind: u32) {
    let task = current_task();
    let pid_tgid = bpf_get_current_pid_tgid();
    let uid_gid = bpf_get_current_uid_gid();
    let parent = read_ptr(task, global(&OFF_TASK_REAL_PARENT));
    // SAFETY: per this function's contract.
    unsafe {
        (*h).kind = kind;
        (*h).pid = (pid_tgid >> 32) as u32;
        (*h).tid = pid_tgid as u32;
        (*h).uid = uid_gid as u32;
        (*h).gid = (uid_gid >> 32) as u32;
        (*h).boot_ns = bpf_ktime_get_boot_ns();
        (*h).cgroup_id = bpf_get_current_cgroup_id();
        (*h).start_ns = read_u64(task, global(&OFF_TASK_START_BOOTTIME));
        (*h).ppid = read_u32(parent, global(&OFF_TASK_TGID));
        (*h).parent_start_ns = read_u64(parent, global(&OFF_TASK_START_BOOTTIME));
        (*h).comm = bpf_get_current_comm().unwrap_or([0; 16]);
    }
}
