//! Trace lines: parse, then through every store.
#![no_main]
use libfuzzer_sys::fuzz_target;
use sandtrap_model::Event;

fuzz_target!(|data: &[u8]| {
    if let Ok(mut ev) = serde_json::from_slice::<Event>(data) {
        let stores = sandtrap_stores::Stores::builder().build();
        stores.apply(&mut ev);
    }
});
