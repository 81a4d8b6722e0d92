//! /proc/PID/stat and status text of processes that change under us.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(text) = std::str::from_utf8(data) {
        let _ = sandtrap_collector::procfs::parse_stat(text);
        let _ = sandtrap_collector::procfs::parse_status_ids(text);
        let _ = sandtrap_collector::cgroups::v2_mount(text);
    }
});
