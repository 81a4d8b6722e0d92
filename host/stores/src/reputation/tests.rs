//! Tests of one reputation store: keys, policies, sources, limits.

use std::sync::Arc;

use sandtrap_model::{ConflictPolicy, Reputation, ReputationStatus, StoreError};

use super::{ReputationLimits, ReputationStore, canonical};
use crate::clock::FixedClock;
use crate::traits::DataStore;

fn store(policy: ConflictPolicy, priorities: &[(&str, u32)]) -> ReputationStore {
    let p: Vec<(String, u32)> = priorities
        .iter()
        .map(|(s, n)| ((*s).to_owned(), *n))
        .collect();
    ReputationStore::new(
        "ip_rep",
        "det",
        policy,
        &p,
        ReputationLimits::default(),
        Arc::new(FixedClock::new(500)),
    )
    .unwrap()
}

fn rep(ip: &str, status: ReputationStatus, severity: u8, last_updated: u64) -> Reputation {
    Reputation {
        ip: ip.into(),
        status,
        severity,
        tags: vec!["c2".into()],
        last_updated,
    }
}

use ReputationStatus::{Blacklisted, Clean, Suspicious};

#[test]
fn canonicalises_addresses_and_prefixes() {
    let cases = [
        ("10.1.2.3", "10.1.2.3/32"),
        ("10.1.2.3/8", "10.0.0.0/8"),
        ("::ffff:1.2.3.4", "1.2.3.4/32"),
        ("2001:DB8::1", "2001:db8::1/128"),
        ("2001:db8::1/32", "2001:db8::/32"),
    ];
    for (input, want) in cases {
        assert_eq!(canonical(input).unwrap().to_string(), want, "{input}");
    }
    for bad in [
        "",
        "10.1.2",
        "10.0.0.0/33",
        "host.example",
        "1.2.3.4 ",
        "::/129",
    ] {
        assert!(
            matches!(canonical(bad), Err(StoreError::InvalidArgument(_))),
            "{bad:?}"
        );
    }
}

#[test]
fn exact_then_longest_prefix() {
    let s = store(ConflictPolicy::LastWriteWins, &[]);
    s.write("feed", rep("10.0.0.0/8", Suspicious, 3, 1))
        .unwrap();
    s.write("feed", rep("10.1.0.0/16", Blacklisted, 8, 1))
        .unwrap();
    s.write("feed", rep("10.1.2.3", Clean, 1, 1)).unwrap();
    assert_eq!(s.get("10.1.2.3").unwrap().status, Clean);
    let in16 = s.get("10.1.9.9").unwrap();
    assert_eq!(
        (in16.status, in16.ip.as_str()),
        (Blacklisted, "10.1.0.0/16")
    );
    assert_eq!(s.get("10.200.0.1").unwrap().ip, "10.0.0.0/8");
    assert_eq!(s.get("11.0.0.1"), Err(StoreError::NotFound));
    assert_eq!(
        s.get("10.1.0.0/24").unwrap().ip,
        "10.1.0.0/16",
        "a prefix query matches a covering prefix"
    );
    assert!(s.is_blacklisted("10.1.200.1").unwrap());
    assert!(!s.is_blacklisted("10.1.2.3").unwrap());
    assert!(
        !s.is_blacklisted("192.0.2.1").unwrap(),
        "unknown is not blacklisted"
    );
    assert!(matches!(
        s.is_blacklisted("nope"),
        Err(StoreError::InvalidArgument(_))
    ));
    // IPv6 keys live apart from IPv4 ones.
    s.write("feed", rep("2001:db8::/32", Blacklisted, 9, 1))
        .unwrap();
    assert!(s.is_blacklisted("2001:db8:1::5").unwrap());
    assert!(
        s.is_blacklisted("::ffff:10.1.0.7").unwrap(),
        "mapped address is looked up as IPv4"
    );
}

#[test]
fn policies_pick_deterministic_winners() {
    let lww = store(ConflictPolicy::LastWriteWins, &[]);
    lww.write("a", rep("1.1.1.1", Blacklisted, 9, 100)).unwrap();
    lww.write("b", rep("1.1.1.1", Clean, 1, 200)).unwrap();
    assert_eq!(lww.get("1.1.1.1").unwrap().status, Clean);

    let max = store(ConflictPolicy::MaxSeverity, &[]);
    max.write("a", rep("1.1.1.1", Blacklisted, 9, 100)).unwrap();
    max.write("b", rep("1.1.1.1", Clean, 1, 200)).unwrap();
    assert_eq!(max.get("1.1.1.1").unwrap().status, Blacklisted);

    let prio = store(ConflictPolicy::Priority, &[("trusted", 10), ("noisy", 1)]);
    prio.write("noisy", rep("1.1.1.1", Blacklisted, 10, 300))
        .unwrap();
    prio.write("trusted", rep("1.1.1.1", Clean, 1, 100))
        .unwrap();
    prio.write("unlisted", rep("1.1.1.1", Suspicious, 5, 400))
        .unwrap();
    assert_eq!(prio.get("1.1.1.1").unwrap().status, Clean);

    // Full tie: the smallest source name wins, whatever the write order.
    for order in [["zeta", "alpha"], ["alpha", "zeta"]] {
        let s = store(ConflictPolicy::MaxSeverity, &[]);
        for src in order {
            let status = if src == "alpha" { Clean } else { Blacklisted };
            s.write(src, rep("1.1.1.1", status, 5, 7)).unwrap();
        }
        assert_eq!(s.get("1.1.1.1").unwrap().status, Clean, "{order:?}");
    }
}

#[test]
fn the_winner_is_named_with_its_source() {
    let s = store(ConflictPolicy::MaxSeverity, &[]);
    s.write("feed-a", rep("10.0.0.0/8", Suspicious, 4, 1))
        .unwrap();
    s.write("feed-b", rep("10.0.0.0/8", Blacklisted, 9, 1))
        .unwrap();
    let w = s.get_sourced("10.1.2.3").unwrap();
    assert_eq!(
        (w.source.as_str(), w.reputation.status),
        ("feed-b", Blacklisted)
    );
    assert_eq!(w.reputation, s.get("10.1.2.3").unwrap());
    assert_eq!(s.get_sourced("192.0.2.1"), Err(StoreError::NotFound));
}

#[test]
fn sources_are_isolated() {
    let s = store(ConflictPolicy::LastWriteWins, &[]);
    s.write("b", rep("1.1.1.1", Blacklisted, 5, 1)).unwrap();
    s.write("a", rep("1.1.1.1", Clean, 1, 2)).unwrap();
    s.write("a", rep("2.2.2.0/24", Suspicious, 4, 2)).unwrap();
    let all = s.get_all("1.1.1.1").unwrap();
    let srcs: Vec<&str> = all.iter().map(|r| r.source.as_str()).collect();
    assert_eq!(srcs, ["a", "b"]);
    assert_eq!(s.list_sources(), ["a", "b"]);
    assert_eq!(s.delete("a", "1.1.1.1"), Ok(true));
    assert_eq!(s.delete("a", "1.1.1.1"), Ok(false));
    assert_eq!(s.get("1.1.1.1").unwrap().status, Blacklisted);
    assert_eq!(s.clear("a"), Ok(1));
    assert_eq!(s.clear("a"), Ok(0));
    assert_eq!(s.list_sources(), ["b"]);
    assert_eq!(s.get("2.2.2.9"), Err(StoreError::NotFound));
    assert_eq!(s.clear("b"), Ok(1));
    assert!(s.is_empty());
    let t = s.table.read();
    assert!(t.keys.is_empty() && t.by_source.is_empty());
    assert!(t.v4_lens.iter().all(|&n| n == 0));
}

#[test]
fn writes_are_validated() {
    let s = store(ConflictPolicy::LastWriteWins, &[]);
    let bad = [
        ("src", rep("1.1.1.1", Clean, 0, 1)),
        ("src", rep("1.1.1.1", Clean, 11, 1)),
        ("src", rep("not-an-ip", Clean, 1, 1)),
        ("", rep("1.1.1.1", Clean, 1, 1)),
        (&"s".repeat(65), rep("1.1.1.1", Clean, 1, 1)),
        (
            "src",
            Reputation {
                tags: vec!["t".into(); 33],
                ..rep("1.1.1.1", Clean, 1, 1)
            },
        ),
        (
            "src",
            Reputation {
                tags: vec!["t".repeat(65)],
                ..rep("1.1.1.1", Clean, 1, 1)
            },
        ),
    ];
    for (src, r) in bad {
        assert!(
            matches!(s.write(src, r.clone()), Err(StoreError::InvalidArgument(_))),
            "{src:?} {r:?}"
        );
    }
    assert!(s.is_empty());
    s.write("src", rep("1.1.1.1/24", Clean, 1, 0)).unwrap();
    let got = s.get("1.1.1.77").unwrap();
    assert_eq!(
        (got.ip.as_str(), got.last_updated),
        ("1.1.1.0/24", 500),
        "canonical key, stamped now"
    );
    assert!(matches!(
        s.delete("src", "garbage"),
        Err(StoreError::InvalidArgument(_))
    ));
    let m = s.metrics();
    assert_eq!((m.error_count, m.success_count, m.item_count), (8, 2, 1));
}

#[test]
fn batch_stops_at_first_bad_entry() {
    let s = store(ConflictPolicy::LastWriteWins, &[]);
    let entries = vec![
        rep("1.1.1.1", Clean, 1, 1),
        rep("2.2.2.2", Clean, 1, 1),
        rep("3.3.3.3", Clean, 99, 1),
        rep("4.4.4.4", Clean, 1, 1),
    ];
    let err = s.write_batch("src", entries).unwrap_err();
    assert!(
        matches!(&err, StoreError::InvalidArgument(m) if m.starts_with("entry 2:") && m.contains("2 written")),
        "{err:?}"
    );
    assert_eq!(s.len(), 2);
    assert_eq!(
        s.write_batch(
            "src",
            vec![
                rep("5.5.5.5", Clean, 1, 1),
                rep("1.1.1.1", Suspicious, 2, 1)
            ]
        ),
        Ok(2)
    );
    assert_eq!(s.len(), 3, "rewriting an entry does not add one");
}

#[test]
fn entry_cap_refuses_new_keys_only() {
    let limits = ReputationLimits {
        max_entries: 2,
        ..Default::default()
    };
    let s = ReputationStore::new(
        "r",
        "o",
        ConflictPolicy::LastWriteWins,
        &[],
        limits,
        Arc::new(FixedClock::new(1)),
    )
    .unwrap();
    s.write("a", rep("1.1.1.1", Clean, 1, 1)).unwrap();
    s.write("a", rep("1.1.1.2", Clean, 1, 1)).unwrap();
    assert_eq!(
        s.write("a", rep("1.1.1.3", Clean, 1, 1)),
        Err(StoreError::InvalidArgument("store full".into()))
    );
    assert_eq!(
        s.write("b", rep("1.1.1.1", Clean, 1, 1)),
        Err(StoreError::InvalidArgument("store full".into()))
    );
    s.write("a", rep("1.1.1.1", Blacklisted, 9, 2)).unwrap();
    assert_eq!(s.get("1.1.1.1").unwrap().status, Blacklisted);
    assert_eq!(s.name(), "r");
}
