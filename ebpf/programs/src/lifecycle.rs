//! Process lifecycle: fork, exec and exit, from raw tracepoints.

use aya_ebpf::helpers::{bpf_probe_read_kernel_str_bytes, bpf_probe_read_user_buf};
use aya_ebpf::macros::raw_tracepoint;
use aya_ebpf::programs::RawTracePointContext;
use sandtrap_ebpf_common::{ARGV_LEN, Exec, Exit, Fork, kind};

use crate::kernel::*;
use crate::{EVENTS, FOLLOW, count_drop};

/// `sched_process_fork(struct task_struct *parent, struct task_struct *child)`.
#[raw_tracepoint(tracepoint = "sched_process_fork")]
pub fn sched_process_fork(ctx: RawTracePointContext) -> i32 {
    let child: *const u8 = ctx.arg(1);
    let child_pid = read_u32(child, global(&OFF_TASK_PID));
    let child_tgid = read_u32(child, global(&OFF_TASK_TGID));
    if child_pid != child_tgid {
        return 0; // a thread, not a process
    }
    let Some(parent) = traced() else { return 0 };
    if global(&FOLLOW_ONLY) != 0 {
        let _ = FOLLOW.insert(child_tgid, 1, 0);
    }
    let _ = parent;
    let Some(mut entry) = EVENTS.reserve::<Fork>(0) else {
        count_drop();
        return 0;
    };
    let r = entry.as_mut_ptr();
    // SAFETY: `r` is a fresh reservation of the right size.
    unsafe {
        fill_header(&raw mut (*r).header, kind::FORK);
        (*r).child_pid = child_tgid;
        (*r).child_tid = child_pid;
        (*r).child_start_ns = read_u64(child, global(&OFF_TASK_START_BOOTTIME));
    }
    crate::submit(entry);
    0
}

/// `sched_process_exec(struct task_struct *p, pid_t old_pid, struct linux_binprm *bprm)`.
#[raw_tracepoint(tracepoint = "sched_process_exec")]
pub fn sched_process_exec(ctx: RawTracePointContext) -> i32 {
    if traced().is_none() {
        return 0;
    }
    let old_pid: u64 = ctx.arg(1);
    let bprm: *const u8 = ctx.arg(2);
    let Some(mut entry) = EVENTS.reserve::<Exec>(0) else {
        count_drop();
        return 0;
    };
    let r = entry.as_mut_ptr();
    // SAFETY: `r` is a fresh reservation of the right size; probe reads
    // tolerate bad addresses.
    unsafe {
        fill_header(&raw mut (*r).header, kind::EXEC);
        (*r).old_pid = old_pid as u32;
        (*r).filename[0] = 0;
        (*r).dentry[0] = 0;
        let filename = read_ptr(bprm, global(&OFF_BPRM_FILENAME));
        let _ = bpf_probe_read_kernel_str_bytes(filename, &mut (*r).filename);
        let file = read_ptr(bprm, global(&OFF_BPRM_FILE));
        let dentry = read_ptr(file, global(&OFF_FILE_DENTRY));
        let name = read_ptr(dentry, global(&OFF_DENTRY_NAME));
        let _ = bpf_probe_read_kernel_str_bytes(name, &mut (*r).dentry);
        // The new image's arguments live in its user memory.
        let mm = read_ptr(current_task(), global(&OFF_TASK_MM));
        let start = read_u64(mm, global(&OFF_MM_ARG_START));
        let end = read_u64(mm, global(&OFF_MM_ARG_END));
        let len = end.saturating_sub(start) as usize;
        let len = if len > ARGV_LEN { ARGV_LEN } else { len };
        (*r).argv_len = 0;
        if len > 0
            && bpf_probe_read_user_buf(start as *const u8, &mut (&mut (*r).argv)[..len]).is_ok()
        {
            (*r).argv_len = len as u32;
        }
    }
    crate::submit(entry);
    0
}

/// `sched_process_exit(struct task_struct *p, …)`: only the group leader
/// ends the process.
#[raw_tracepoint(tracepoint = "sched_process_exit")]
pub fn sched_process_exit(ctx: RawTracePointContext) -> i32 {
    let task: *const u8 = ctx.arg(0);
    let pid = read_u32(task, global(&OFF_TASK_PID));
    let tgid = read_u32(task, global(&OFF_TASK_TGID));
    if pid != tgid {
        return 0;
    }
    if traced().is_none() {
        return 0;
    }
    let Some(mut entry) = EVENTS.reserve::<Exit>(0) else {
        count_drop();
        return 0;
    };
    let r = entry.as_mut_ptr();
    // SAFETY: `r` is a fresh reservation of the right size.
    unsafe {
        fill_header(&raw mut (*r).header, kind::EXIT);
        (*r).exit_code = read_u32(task, global(&OFF_TASK_EXIT_CODE));
        (*r)._pad = 0;
    }
    crate::submit(entry);
    if global(&FOLLOW_ONLY) != 0 {
        let _ = FOLLOW.remove(tgid);
    }
    0
}
