//! Syscalls detectors care about, at entry, with their arguments and the
//! user memory they point to (paths, names, socket addresses).

use aya_ebpf::helpers::{
    bpf_probe_read_kernel, bpf_probe_read_user_buf, bpf_probe_read_user_str_bytes,
};
use aya_ebpf::macros::raw_tracepoint;
use aya_ebpf::programs::RawTracePointContext;
use sandtrap_ebpf_common::{BLOB_LEN, Syscall, kind};

use crate::kernel::*;
use crate::{EVENTS, count_drop};

// x86_64 syscall numbers.
const CONNECT: i64 = 42;
const PTRACE: i64 = 101;
const MOUNT: i64 = 165;
const INIT_MODULE: i64 = 175;
const OPENAT: i64 = 257;
const UNSHARE: i64 = 272;
const SETNS: i64 = 308;
const PROCESS_VM_WRITEV: i64 = 311;
const FINIT_MODULE: i64 = 313;
const MEMFD_CREATE: i64 = 319;
const BPF: i64 = 321;
const OPENAT2: i64 = 437;

// Byte offsets of the argument registers in x86_64 `struct pt_regs`.
const REG_OFFSETS: [usize; 6] = [112, 104, 96, 56, 72, 64]; // di si dx r10 r8 r9

/// `sys_enter(struct pt_regs *regs, long id)`.
#[raw_tracepoint(tracepoint = "sys_enter")]
pub fn sys_enter(ctx: RawTracePointContext) -> i32 {
    let nr: i64 = ctx.arg(1);
    let wanted = matches!(
        nr,
        CONNECT
            | PTRACE
            | MOUNT
            | INIT_MODULE
            | OPENAT
            | UNSHARE
            | SETNS
            | PROCESS_VM_WRITEV
            | FINIT_MODULE
            | MEMFD_CREATE
            | BPF
            | OPENAT2
    );
    if !wanted || traced().is_none() {
        return 0;
    }
    let regs: *const u8 = ctx.arg(0);
    let Some(mut entry) = EVENTS.reserve::<Syscall>(0) else {
        count_drop();
        return 0;
    };
    let r = entry.as_mut_ptr();
    // SAFETY: `r` is a fresh reservation of the right size; probe reads
    // tolerate bad addresses.
    unsafe {
        fill_header(&raw mut (*r).header, kind::SYSCALL);
        (*r).nr = nr as u32;
        (*r).blob_len = 0;
        (*r).str0[0] = 0;
        (*r).str1[0] = 0;
        let mut args = [0u64; 6];
        for (i, off) in REG_OFFSETS.iter().enumerate() {
            args[i] = bpf_probe_read_kernel(regs.wrapping_add(*off) as *const u64).unwrap_or(0);
        }
        (*r).args = args;
        let (s0, s1, blob): (u64, u64, u64) = match nr {
            OPENAT | OPENAT2 => (args[1], 0, if nr == OPENAT2 { args[2] } else { 0 }),
            MEMFD_CREATE => (args[0], 0, 0),
            INIT_MODULE => (args[2], 0, 0),
            FINIT_MODULE => (args[1], 0, 0),
            MOUNT => (args[0], args[1], args[2]),
            CONNECT => (0, 0, args[1]),
            _ => (0, 0, 0),
        };
        if s0 != 0 {
            let _ = bpf_probe_read_user_str_bytes(s0 as *const u8, &mut (*r).str0);
        }
        if s1 != 0 {
            let _ = bpf_probe_read_user_str_bytes(s1 as *const u8, &mut (*r).str1);
        }
        if blob != 0 {
            if nr == MOUNT {
                // fstype is a string; keep it NUL-terminated in the blob.
                if let Ok(s) = bpf_probe_read_user_str_bytes(blob as *const u8, &mut (*r).blob) {
                    (*r).blob_len = s.len() as u32;
                }
            } else if bpf_probe_read_user_buf(blob as *const u8, &mut (&mut (*r).blob)[..28])
                .is_ok()
            {
                (*r).blob_len = 28;
            } else if bpf_probe_read_user_buf(blob as *const u8, &mut (&mut (*r).blob)[..16])
                .is_ok()
            {
                (*r).blob_len = 16;
            }
        }
        let _ = BLOB_LEN;
    }
    crate::submit(entry);
    0
}
