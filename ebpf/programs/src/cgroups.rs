//! cgroup creation and removal, so containers come and go with their cgroups.

use aya_ebpf::helpers::bpf_probe_read_kernel_str_bytes;
use aya_ebpf::macros::raw_tracepoint;
use aya_ebpf::programs::RawTracePointContext;
use sandtrap_ebpf_common::{Cgroup, kind};

use crate::kernel::fill_header;
use crate::{EVENTS, count_drop};

/// `cgroup_mkdir(struct cgroup *cgrp, const char *path)`.
#[raw_tracepoint(tracepoint = "cgroup_mkdir")]
pub fn cgroup_mkdir(ctx: RawTracePointContext) -> i32 {
    emit(&ctx, kind::CGROUP_MKDIR)
}

/// `cgroup_rmdir(struct cgroup *cgrp, const char *path)`.
#[raw_tracepoint(tracepoint = "cgroup_rmdir")]
pub fn cgroup_rmdir(ctx: RawTracePointContext) -> i32 {
    emit(&ctx, kind::CGROUP_RMDIR)
}

#[inline(always)]
fn emit(ctx: &RawTracePointContext, k: u32) -> i32 {
    let path: *const u8 = ctx.arg(1);
    let Some(mut entry) = EVENTS.reserve::<Cgroup>(0) else {
        count_drop();
        return 0;
    };
    let r = entry.as_mut_ptr();
    // SAFETY: `r` is a fresh reservation of the right size; probe reads
    // tolerate bad addresses.
    unsafe {
        fill_header(&raw mut (*r).header, k);
        (*r).hierarchy = 0;
        (*r)._pad = 0;
        (*r).path[0] = 0;
        let _ = bpf_probe_read_kernel_str_bytes(path, &mut (*r).path);
    }
    crate::submit(entry);
    0
}
