//! DNS payloads from the wire, then their answers through the DNS cache.
#![no_main]
use std::sync::Arc;

use libfuzzer_sys::fuzz_target;
use sandtrap_model::Value;
use sandtrap_stores::{DnsCache, DnsStore, SystemClock};

fuzz_target!(|data: &[u8]| {
    if let Ok(ev) = sandtrap_collector::dns::response_event(data, 1) {
        let cache = DnsCache::new(64, Arc::new(SystemClock));
        if let Some(Value::StrList(answers)) = ev.arg("answers") {
            cache.record_response(1, answers);
        }
        if let Some(q) = ev.arg_str("query") {
            let _ = cache.get_dns_response(q);
        }
    }
});
