//! Process entity ids: one 64-bit key per process lifetime.
//!
//! A pid is reused; (tgid, start time) is not. The id packs both so that
//! the collector (from kernel events) and the /proc walker (from
//! `/proc/PID/stat`) compute the same key without talking to each other.

/// Clock ticks per second as seen through `/proc` (`USER_HZ`). Fixed at 100
/// by the Linux ABI on every architecture the host supports.
pub const USER_HZ: u64 = 100;

const PID_BITS: u32 = 22; // PID_MAX_LIMIT is 2^22.

/// Entity id of the process with thread-group id `tgid` that started
/// `start_ticks` clock ticks after boot.
///
/// The packing `(ticks << 22) | tgid` is injective; the bijective mix that
/// follows spreads ids over the whole range so nobody mistakes one for a pid
/// and hash maps stay balanced.
pub fn entity_id(tgid: u32, start_ticks: u64) -> u64 {
    let packed = (start_ticks << PID_BITS) | (u64::from(tgid) & ((1 << PID_BITS) - 1));
    mix64(packed)
}

/// Converts a kernel `start_boottime` in nanoseconds to clock ticks, the way
/// `/proc/PID/stat` does (`nsec_to_clock_t`).
pub fn ns_to_ticks(ns: u64) -> u64 {
    ns / (1_000_000_000 / USER_HZ)
}

/// Nanoseconds since boot of a tick count.
pub fn ticks_to_ns(ticks: u64) -> u64 {
    ticks.saturating_mul(1_000_000_000 / USER_HZ)
}

/// The splitmix64 finaliser: a bijection on u64.
fn mix64(mut z: u64) -> u64 {
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kernel_and_proc_views_agree() {
        // start_boottime of 12.345678912 s is 1234 ticks in /proc.
        let from_kernel = entity_id(4321, ns_to_ticks(12_345_678_912));
        let from_proc = entity_id(4321, 1234);
        assert_eq!(from_kernel, from_proc);
    }

    #[test]
    fn reused_pid_gets_new_id() {
        assert_ne!(entity_id(100, 5), entity_id(100, 6));
        assert_ne!(entity_id(100, 5), entity_id(101, 5));
        assert_ne!(entity_id(1, 0), 0);
    }
}
