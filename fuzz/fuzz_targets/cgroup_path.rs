//! cgroup paths, as read from /proc or cgroupfs.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(text) = std::str::from_utf8(data) {
        let _ = sandtrap_stores::parse_cgroup_path(text);
        let _ = sandtrap_collector::procfs::pick_cgroup(text);
    }
});
