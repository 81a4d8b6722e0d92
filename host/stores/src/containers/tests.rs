//! Tests of the container store: lookups, eviction, enrichment.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use sandtrap_model::{ContainerFilter, ContainerInfo, PodInfo, Runtime, StoreError};

use super::{ContainerEnricher, ContainerEnrichment, Containers};
use crate::clock::FixedClock;
use crate::traits::{ContainerStore, DataStore};

fn id(n: u8) -> String {
    format!("{:02x}", n).repeat(32)
}

fn store(cap: usize) -> Containers {
    Containers::new(cap, Arc::new(FixedClock::new(1)), None)
}

fn info(n: u8, name: &str, image: &str, runtime: &str) -> ContainerInfo {
    ContainerInfo {
        id: id(n),
        name: name.into(),
        image: image.into(),
        runtime: runtime.into(),
        ..ContainerInfo::default()
    }
}

#[test]
fn lookup_by_id_prefix_and_name() {
    let s = store(8);
    s.upsert(info(1, "web", "nginx:1", "docker")).unwrap();
    s.upsert(info(2, "db", "redis:7", "containerd")).unwrap();
    assert_eq!(s.get_container(&id(1)).unwrap().name, "web");
    assert_eq!(s.get_container(&id(2)[..12]).unwrap().name, "db");
    assert_eq!(s.get_container(&id(2).to_uppercase()).unwrap().name, "db");
    assert!(matches!(
        s.get_container(&id(1)[..11]),
        Err(StoreError::InvalidArgument(_))
    ));
    assert!(matches!(
        s.get_container(""),
        Err(StoreError::InvalidArgument(_))
    ));
    assert_eq!(s.get_container(&"9".repeat(12)), Err(StoreError::NotFound));
    assert_eq!(s.get_container(&"x".repeat(100)), Err(StoreError::NotFound));
    assert_eq!(s.get_container_by_name("db").unwrap().id, id(2));
    assert_eq!(s.get_container_by_name("nope"), Err(StoreError::NotFound));
    let m = s.metrics();
    assert_eq!(
        (m.cache_hits, m.cache_misses, m.error_count, m.item_count),
        (4, 3, 2, 2)
    );
}

#[test]
fn ambiguous_prefix_is_refused() {
    let s = store(8);
    let a = format!("{}{}", "a".repeat(12), "0".repeat(52));
    let b = format!("{}{}", "a".repeat(12), "1".repeat(52));
    s.upsert(ContainerInfo {
        id: a.clone(),
        ..Default::default()
    })
    .unwrap();
    s.upsert(ContainerInfo {
        id: b,
        ..Default::default()
    })
    .unwrap();
    assert!(matches!(
        s.get_container(&"a".repeat(12)),
        Err(StoreError::InvalidArgument(_))
    ));
    assert_eq!(s.get_container(&a[..13]).unwrap().id, a);
}

#[test]
fn list_is_sorted_and_filtered() {
    let s = store(8);
    s.upsert(info(3, "c", "nginx:1", "docker")).unwrap();
    s.upsert(info(1, "a", "nginx:1", "podman")).unwrap();
    s.upsert(info(2, "b", "redis:7", "docker")).unwrap();
    let all: Vec<String> = s
        .list_containers(None)
        .unwrap()
        .into_iter()
        .map(|c| c.name)
        .collect();
    assert_eq!(all, ["a", "b", "c"]);
    let f = ContainerFilter {
        image: Some("nginx:1".into()),
        runtime: Some("docker".into()),
        name: None,
    };
    let got: Vec<String> = s
        .list_containers(Some(&f))
        .unwrap()
        .into_iter()
        .map(|c| c.name)
        .collect();
    assert_eq!(got, ["c"]);
    let none = ContainerFilter {
        name: Some("zzz".into()),
        ..Default::default()
    };
    assert!(s.list_containers(Some(&none)).unwrap().is_empty());
}

#[test]
fn invalid_ids_are_refused() {
    let s = store(8);
    assert!(
        s.upsert(ContainerInfo {
            id: "abc".into(),
            ..Default::default()
        })
        .is_err()
    );
    assert!(
        s.upsert(ContainerInfo {
            id: "é".repeat(32),
            ..Default::default()
        })
        .is_err()
    );
    assert!(!s.update_with("short", |_| {}));
    assert!(s.is_empty());
}

#[test]
fn oldest_write_is_evicted_and_indexes_follow() {
    let s = store(2);
    s.upsert(info(1, "a", "", "docker")).unwrap();
    s.upsert(info(2, "b", "", "docker")).unwrap();
    s.upsert(info(1, "a2", "", "docker")).unwrap(); // rewrite: 1 is now newest
    s.upsert(info(3, "c", "", "docker")).unwrap();
    assert_eq!(s.evictions(), 1);
    assert_eq!(s.get_container(&id(2)), Err(StoreError::NotFound));
    assert_eq!(s.get_container_by_name("b"), Err(StoreError::NotFound));
    assert_eq!(
        s.get_container_by_name("a"),
        Err(StoreError::NotFound),
        "renamed"
    );
    assert_eq!(s.get_container_by_name("a2").unwrap().id, id(1));
    let inner = s.inner.read();
    assert_eq!(
        (inner.by_id.len(), inner.by_age.len(), inner.by_name.len()),
        (2, 2, 2)
    );
}

#[test]
fn remove_keeps_a_reused_name() {
    let s = store(8);
    s.upsert(info(1, "web", "", "docker")).unwrap();
    s.upsert(info(2, "web", "", "docker")).unwrap();
    assert!(s.remove(&id(1)));
    assert!(!s.remove(&id(1)));
    assert_eq!(s.get_container_by_name("web").unwrap().id, id(2));
}

struct CountingEnricher(AtomicUsize);

impl ContainerEnricher for CountingEnricher {
    fn enrich(&self, id: &str, runtime: Runtime) -> Option<ContainerEnrichment> {
        self.0.fetch_add(1, Ordering::SeqCst);
        (runtime == Runtime::Crio).then(|| ContainerEnrichment {
            name: format!("n-{}", &id[..4]),
            image: "quay.io/x:1".into(),
            image_digest: "sha256:00".into(),
            start_time: 77,
            pod: Some(PodInfo {
                name: "pod".into(),
                uid: "u".into(),
                namespace: "ns".into(),
                sandbox: false,
            }),
        })
    }
}

#[test]
fn enricher_runs_once_per_container() {
    let e = Arc::new(CountingEnricher(AtomicUsize::new(0)));
    let s = Containers::new(8, Arc::new(FixedClock::new(1)), Some(e.clone()));
    assert!(s.ensure(&id(1), Runtime::Crio, 5));
    assert!(!s.ensure(&id(1), Runtime::Crio, 6));
    assert!(s.ensure(&id(2), Runtime::Docker, 9));
    assert_eq!(e.0.load(Ordering::SeqCst), 2);
    let c = s.get_container(&id(1)).unwrap();
    assert_eq!(
        (c.name.as_str(), c.runtime.as_str(), c.start_time),
        ("n-0101", "crio", 77)
    );
    assert_eq!(c.pod.unwrap().namespace, "ns");
    let bare = s.get_container(&id(2)).unwrap();
    assert_eq!(
        (bare.name.as_str(), bare.runtime.as_str(), bare.start_time),
        ("", "docker", 9)
    );
    assert_eq!(s.get_container_by_name("n-0101").unwrap().id, id(1));
}

#[test]
fn update_with_merges_and_bounds_text() {
    let s = store(8);
    assert!(s.update_with(&id(4), |c| c.name = "x".repeat(10_000)));
    assert!(s.update_with(&id(4), |c| c.image = "img".into()));
    let c = s.get_container(&id(4)).unwrap();
    assert_eq!((c.name.len(), c.image.as_str()), (super::MAX_TEXT, "img"));
    assert_eq!(s.name(), "container");
}
