//! Ring-buffer records: any bytes decode to an event or an error.
#![no_main]
use libfuzzer_sys::fuzz_target;
use sandtrap_collector::decode::{Clock, decode};

fuzz_target!(|data: &[u8]| {
    let _ = decode(data, Clock { boot_time_ns: 1 << 60 });
});
