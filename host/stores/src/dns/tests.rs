//! Tests of the DNS cache: CNAME chains, reverse lookups, expiry, bounds.

use std::sync::Arc;

use sandtrap_model::StoreError;

use super::{DnsCache, MAX_ANSWERS_PER_NAME, MAX_NAMES_PER_IP};
use crate::clock::FixedClock;
use crate::traits::{DataStore, DnsStore};

const S: u64 = 1_000_000_000;
const T0: u64 = 1_700_000_000 * S;

fn cache(cap: usize) -> DnsCache {
    DnsCache::new(cap, Arc::new(FixedClock::new(5)))
}

fn lines(v: &[&str]) -> Vec<String> {
    v.iter().map(|s| (*s).to_owned()).collect()
}

#[test]
fn follows_cname_chain_to_addresses() {
    let c = cache(64);
    let bad = c.record_response(
        T0,
        &lines(&[
            "www.example.com. 300 IN CNAME edge.example.net.",
            "edge.example.net. 300 IN CNAME cdn.example.org.",
            "cdn.example.org 60 A 93.184.216.34",
            "cdn.example.org 60 IN AAAA 2606:2800:220:1::248",
            "example.com 300 IN MX 10 mail.example.com.",
        ]),
    );
    assert_eq!(bad, 0);
    let r = c.get_dns_response("WWW.example.com.").unwrap();
    assert_eq!(r.query, "www.example.com");
    assert_eq!(r.domains, ["edge.example.net", "cdn.example.org"]);
    assert_eq!(r.ips, ["93.184.216.34", "2606:2800:220:1::248"]);
    let leaf = c.get_dns_response("cdn.example.org").unwrap();
    assert!(leaf.domains.is_empty());
    assert_eq!(
        c.get_dns_response("example.com"),
        Err(StoreError::NotFound),
        "MX is not cached"
    );
}

#[test]
fn reverse_lookup_by_address() {
    let c = cache(64);
    c.record_response(
        T0,
        &lines(&[
            "a.example 60 A 10.0.0.1",
            "b.example 60 A 10.0.0.1",
            "v6.example 60 AAAA 2001:db8::1",
        ]),
    );
    let r = c.get_dns_response("10.0.0.1").unwrap();
    assert_eq!(r.domains, ["a.example", "b.example"]);
    assert!(r.ips.is_empty());
    let r6 = c.get_dns_response("2001:0db8:0:0::1").unwrap();
    assert_eq!(
        (r6.query.as_str(), r6.domains.as_slice()),
        ("2001:db8::1", ["v6.example".to_owned()].as_slice())
    );
    assert_eq!(c.get_dns_response("10.9.9.9"), Err(StoreError::NotFound));
}

#[test]
fn answers_expire_by_event_time_not_wall_time() {
    let c = cache(64);
    c.record_response(
        T0,
        &lines(&[
            "short.example 10 A 1.1.1.1",
            "long.example 100 A 2.2.2.2",
            "zero.example 0 A 3.3.3.3",
        ]),
    );
    assert!(c.get_dns_response("short.example").is_ok());
    assert_eq!(
        c.get_dns_response("zero.example"),
        Err(StoreError::NotFound)
    );
    // A later event moves the cache's clock; the wall clock never does.
    c.record_response(T0 + 11 * S, &[]);
    assert_eq!(
        c.get_dns_response("short.example"),
        Err(StoreError::NotFound)
    );
    assert_eq!(c.get_dns_response("1.1.1.1"), Err(StoreError::NotFound));
    assert!(c.get_dns_response("long.example").is_ok());
    // An older event does not move it back.
    c.record_response(T0, &[]);
    assert_eq!(c.now(), T0 + 11 * S);
}

#[test]
fn cname_loop_and_depth_are_bounded() {
    let c = cache(256);
    c.record_response(
        T0,
        &lines(&["a.x 60 CNAME b.x", "b.x 60 CNAME a.x", "b.x 60 A 9.9.9.9"]),
    );
    let r = c.get_dns_response("a.x").unwrap();
    assert_eq!(r.domains, ["b.x"], "the loop back to a.x is not followed");
    assert_eq!(r.ips, ["9.9.9.9"]);
    let chain: Vec<String> = (0..40)
        .map(|i| format!("n{i}.x 60 CNAME n{}.x", i + 1))
        .collect();
    c.record_response(T0, &chain);
    let r = c.get_dns_response("n0.x").unwrap();
    assert_eq!(r.domains.len(), super::MAX_CHAIN);
}

#[test]
fn malformed_lines_are_counted_and_skipped() {
    let c = cache(8);
    let bad = c.record_response(
        T0,
        &lines(&[
            "garbage",
            "x.example 60 A 300.1.1.1",
            "ok.example 60 A 4.4.4.4",
            "é 1 A 1.1.1.1",
        ]),
    );
    assert_eq!((bad, c.malformed()), (3, 3));
    assert!(c.get_dns_response("ok.example").is_ok());
    assert!(matches!(
        c.get_dns_response("bad name!"),
        Err(StoreError::InvalidArgument(_))
    ));
    assert!(matches!(
        c.get_dns_response(""),
        Err(StoreError::InvalidArgument(_))
    ));
    let flood: Vec<String> = (0..600)
        .map(|i| format!("f{i}.example 60 A 5.5.5.5"))
        .collect();
    assert_eq!(
        c.record_response(T0, &flood),
        600 - super::MAX_RECORDS_PER_RESPONSE
    );
    let m = c.metrics();
    assert_eq!((m.error_count, m.cache_hits), (2, 1));
}

#[test]
fn eviction_keeps_reverse_index_consistent() {
    let c = cache(2);
    c.record_response(T0, &lines(&["a.example 60 A 10.0.0.1"]));
    c.record_response(T0, &lines(&["b.example 60 A 10.0.0.2"]));
    c.record_response(T0, &lines(&["c.example 60 A 10.0.0.3"]));
    assert_eq!(c.len(), 2);
    assert_eq!(c.get_dns_response("a.example"), Err(StoreError::NotFound));
    assert_eq!(c.get_dns_response("10.0.0.1"), Err(StoreError::NotFound));
    let inner = c.inner.read();
    assert!(!inner.reverse.contains_key(&"10.0.0.1".parse().unwrap()));
    assert_eq!(inner.reverse.len(), 2);
}

#[test]
fn answers_per_name_and_names_per_ip_are_bounded() {
    let c = cache(4096);
    let many: Vec<String> = (0..MAX_ANSWERS_PER_NAME + 10)
        .map(|i| format!("big.example {} A 10.1.{}.{}", 100 + i, i / 256, i % 256))
        .collect();
    c.record_response(T0, &many);
    let r = c.get_dns_response("big.example").unwrap();
    assert_eq!(r.ips.len(), MAX_ANSWERS_PER_NAME);
    assert!(
        !r.ips.contains(&"10.1.0.0".to_owned()),
        "the soonest-expiring answers were dropped"
    );
    assert_eq!(c.get_dns_response("10.1.0.0"), Err(StoreError::NotFound));

    let shared: Vec<String> = (0..MAX_NAMES_PER_IP + 5)
        .map(|i| format!("s{i}.example 60 A 7.7.7.7"))
        .collect();
    c.record_response(T0, &shared);
    assert_eq!(
        c.get_dns_response("7.7.7.7").unwrap().domains.len(),
        MAX_NAMES_PER_IP
    );
    assert_eq!(c.reverse_dropped(), 5);
    // Once the old answers expire, new names take their place.
    c.record_response(T0 + 61 * S, &lines(&["fresh.example 60 A 7.7.7.7"]));
    assert_eq!(
        c.get_dns_response("7.7.7.7").unwrap().domains,
        ["fresh.example"]
    );
}

#[test]
fn repeated_answer_refreshes_expiry() {
    let c = cache(8);
    c.record_response(T0, &lines(&["r.example 10 A 1.2.3.4"]));
    c.record_response(T0 + 5 * S, &lines(&["r.example 10 A 1.2.3.4"]));
    c.record_response(T0 + 12 * S, &[]);
    assert_eq!(c.get_dns_response("r.example").unwrap().ips, ["1.2.3.4"]);
    assert_eq!(c.name(), "dns");
}

#[test]
fn reverse_lookup_includes_the_aliases_that_led_to_the_address() {
    let c = cache(64);
    c.record_response(
        T0,
        &lines(&[
            "c2.evil.example. 30 IN CNAME edge.cdn.example.",
            "www.evil.example. 300 IN CNAME c2.evil.example.",
            "edge.cdn.example. 300 IN A 203.0.113.50",
        ]),
    );
    let r = c.get_dns_response("203.0.113.50").unwrap();
    assert_eq!(
        r.domains,
        ["c2.evil.example", "edge.cdn.example", "www.evil.example"]
    );
    // Once the first alias expires, the chain through it is broken too.
    c.record_response(T0 + 31 * S, &lines(&["other.example 60 A 10.1.1.1"]));
    let r = c.get_dns_response("203.0.113.50").unwrap();
    assert_eq!(r.domains, ["edge.cdn.example"]);
}
