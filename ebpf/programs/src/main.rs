//! sandtrap's kernel side: raw tracepoints for the process lifecycle and
//! the traced syscalls, and a cgroup_skb program for DNS responses.
//!
//! There are no CO-RE relocations in Rust eBPF, so every kernel struct
//! field is read at an offset the collector resolved from the running
//! kernel's BTF and wrote into the globals below before loading.
#![no_std]
#![no_main]

mod cgroups;
mod dns;
mod kernel;
mod lifecycle;
mod syscalls;

use aya_ebpf::macros::map;
use aya_ebpf::maps::{HashMap, PerCpuArray, RingBuf};

/// Every record goes through this one ring buffer.
#[map]
static EVENTS: RingBuf = RingBuf::with_byte_size(8 << 20, 0);

/// Records that did not fit in the ring buffer, per CPU.
#[map]
static DROPPED: PerCpuArray<u64> = PerCpuArray::with_max_entries(1, 0);

/// Thread groups to follow when [`kernel::FOLLOW_ONLY`] is set; forks of a
/// followed process are followed too.
#[map]
static FOLLOW: HashMap<u32, u8> = HashMap::with_max_entries(16_384, 0);

#[cfg(not(test))]
#[panic_handler]
fn panic(_info: &core::panic::PanicInfo) -> ! {
    loop {}
}

/// Unread bytes past which the reader is woken at once; below it the
/// reader drains on its own short poll interval. Waking it for every record
/// costs more than the probe itself.
const WAKEUP_BYTES: u64 = 256 << 10;

/// Submits a record, waking the reader only when data piles up.
#[inline(always)]
fn submit<T>(entry: aya_ebpf::maps::ring_buf::RingBufEntry<T>) {
    const BPF_RB_NO_WAKEUP: u64 = 1;
    const BPF_RB_FORCE_WAKEUP: u64 = 2;
    const BPF_RB_AVAIL_DATA: u64 = 0;
    let pending = EVENTS.query(BPF_RB_AVAIL_DATA);
    entry.submit(if pending > WAKEUP_BYTES {
        BPF_RB_FORCE_WAKEUP
    } else {
        BPF_RB_NO_WAKEUP
    });
}

/// Counts a record the ring buffer had no room for.
#[inline(always)]
fn count_drop() {
    if let Some(p) = DROPPED.get_ptr_mut(0) {
        // SAFETY: the per-CPU slot is only touched by this CPU.
        unsafe { *p += 1 };
    }
}

#[unsafe(no_mangle)]
#[unsafe(link_section = "license")]
static LICENSE: [u8; 4] = *b"GPL\0";
