//! Tests of the process tree: ids, ancestry, children, eviction, lifecycle.

use std::sync::Arc;

use sandtrap_model::{HealthStatus, ProcessContext, ProcessInfo, StoreError, entity_id};

use super::{ExecUpdate, ProcessTree};
use crate::clock::FixedClock;
use crate::traits::{DataStore, ProcessStore};

const BOOT: u64 = 1_700_000_000_000_000_000;

fn tree(cap: usize) -> ProcessTree {
    ProcessTree::new(cap, BOOT, Arc::new(FixedClock::new(42)))
}

fn proc(pid: u32, ticks: u64, parent: u64) -> ProcessInfo {
    ProcessInfo {
        entity_id: entity_id(pid, ticks),
        parent_entity_id: parent,
        pid,
        start_ticks: ticks,
        name: format!("p{pid}"),
        ..ProcessInfo::default()
    }
}

fn ctx(pid: u32, ticks: u64, ppid: u32) -> ProcessContext {
    ProcessContext {
        pid,
        tid: pid,
        ppid,
        start_ticks: ticks,
        comm: "sh".into(),
        ..Default::default()
    }
}

#[test]
fn insert_fills_ids_and_start_time() {
    let t = tree(8);
    t.insert(ProcessInfo {
        pid: 1,
        start_ticks: 5,
        ..Default::default()
    });
    let id = entity_id(1, 5);
    let p = t.get_process(id).unwrap();
    assert_eq!(p.start_time, BOOT + 50_000_000);
    t.insert(ProcessInfo {
        pid: 2,
        ppid: 1,
        start_ticks: 9,
        ..Default::default()
    });
    let c = t.get_process(entity_id(2, 9)).unwrap();
    assert_eq!(
        c.parent_entity_id, id,
        "parent found through the live pid index"
    );
    t.insert(ProcessInfo::default());
    assert_eq!(t.len(), 2, "record without pid or entity id is ignored");
}

#[test]
fn ancestry_walks_up_and_stops() {
    let t = tree(16);
    let a = proc(1, 1, 0);
    let b = proc(10, 2, a.entity_id);
    let c = proc(20, 3, b.entity_id);
    let (ai, bi, ci) = (a.entity_id, b.entity_id, c.entity_id);
    t.insert(a);
    t.insert(b);
    t.insert(c);
    let anc: Vec<u32> = t
        .get_ancestry(ci, 10)
        .unwrap()
        .iter()
        .map(|p| p.pid)
        .collect();
    assert_eq!(anc, [20, 10, 1]);
    assert_eq!(t.get_ancestry(ci, 2).unwrap().len(), 2);
    assert!(t.get_ancestry(ci, 0).unwrap().is_empty());
    assert!(t.get_ancestry(12345, 5).unwrap().is_empty());
    // A missing parent ends the chain.
    t.insert(proc(30, 4, 999));
    assert_eq!(t.get_ancestry(entity_id(30, 4), 5).unwrap().len(), 1);
    let _ = (ai, bi);
}

#[test]
fn ancestry_survives_a_parent_loop() {
    let t = tree(8);
    let a_id = entity_id(1, 1);
    let b_id = entity_id(2, 2);
    t.insert(ProcessInfo {
        parent_entity_id: b_id,
        ..proc(1, 1, 0)
    });
    t.insert(ProcessInfo {
        parent_entity_id: a_id,
        ..proc(2, 2, 0)
    });
    assert_eq!(t.get_ancestry(a_id, 100).unwrap().len(), 2);
    let selfish = proc(3, 3, entity_id(3, 3));
    let sid = selfish.entity_id;
    t.insert(selfish);
    assert_eq!(t.get_ancestry(sid, 100).unwrap().len(), 1);
    assert!(
        t.get_child_processes(sid).unwrap().is_empty(),
        "a process is not its own child"
    );
}

#[test]
fn a_long_ancestry_still_stops_at_a_loop() {
    // Forty processes, each the parent of the next, and the oldest's
    // parent is the 25th: the walk passes the ids it keeps inline before
    // it meets the loop.
    let t = tree(64);
    let ids: Vec<u64> = (1..=40).map(|pid| entity_id(pid, u64::from(pid))).collect();
    for pid in 1..=40u32 {
        let parent = if pid == 1 {
            ids[24]
        } else {
            ids[pid as usize - 2]
        };
        t.insert(ProcessInfo {
            parent_entity_id: parent,
            ..proc(pid, u64::from(pid), 0)
        });
    }
    let chain = t.get_ancestry(ids[39], 1000).unwrap();
    assert_eq!(chain.len(), 40, "every process once, then the loop ends it");
    let mut seen = Vec::new();
    t.visit_ancestry(ids[39], 1000, &mut |p| seen.push(p.pid))
        .unwrap();
    assert_eq!(seen, chain.iter().map(|p| p.pid).collect::<Vec<_>>());
    assert_eq!(t.get_ancestry(ids[39], 30).unwrap().len(), 30);
}

#[test]
fn visiting_a_process_copies_nothing_and_counts_like_a_get() {
    let t = tree(8);
    t.insert(proc(7, 7, 0));
    let mut pid = 0;
    t.visit_process(entity_id(7, 7), &mut |p| pid = p.pid)
        .unwrap();
    assert_eq!(pid, 7);
    assert_eq!(
        t.visit_process(entity_id(8, 8), &mut |_| unreachable!()),
        Err(StoreError::NotFound)
    );
    let got = tree(8);
    got.insert(proc(7, 7, 0));
    got.get_process(entity_id(7, 7)).unwrap();
    assert!(got.get_process(entity_id(8, 8)).is_err());
    let counts = |t: &ProcessTree| {
        let m = t.metrics();
        (m.success_count, m.error_count, m.cache_hits, m.cache_misses)
    };
    assert_eq!(counts(&t), counts(&got));
}

#[test]
fn children_sorted_and_not_found_for_unknown() {
    let t = tree(16);
    let p = proc(1, 1, 0);
    let pid = p.entity_id;
    t.insert(p);
    t.insert(proc(30, 9, pid));
    t.insert(proc(20, 5, pid));
    let kids: Vec<u32> = t
        .get_child_processes(pid)
        .unwrap()
        .iter()
        .map(|p| p.pid)
        .collect();
    assert_eq!(kids, [20, 30]);
    assert_eq!(t.get_child_processes(777), Err(StoreError::NotFound));
    let m = t.metrics();
    assert_eq!(
        (m.cache_hits, m.cache_misses, m.item_count, m.last_access),
        (1, 1, 3, 42)
    );
}

#[test]
fn eviction_keeps_children_index_consistent() {
    let t = tree(3);
    let root = proc(1, 1, 0);
    let rid = root.entity_id;
    t.insert(root);
    t.insert(proc(2, 2, rid));
    t.insert(proc(3, 3, rid));
    // Refresh the root so the oldest child is the LRU victim.
    let mut c = ctx(1, 1, 0);
    t.observe(&mut c);
    t.insert(proc(4, 4, 0));
    assert_eq!(t.evictions(), 1);
    assert_eq!(t.get_process(entity_id(2, 2)), Err(StoreError::NotFound));
    let kids: Vec<u32> = t
        .get_child_processes(rid)
        .unwrap()
        .iter()
        .map(|p| p.pid)
        .collect();
    assert_eq!(kids, [3]);
    assert_eq!(
        t.live_entity(2),
        None,
        "evicted process leaves the pid index"
    );
    let inner = t.inner.read();
    let indexed: usize = inner.children.values().map(|s| s.len()).sum();
    assert!(indexed <= inner.procs.len());
}

#[test]
fn observe_fills_ids_from_live_pid_and_parent() {
    let t = tree(16);
    let mut parent = ctx(100, 50, 1);
    t.observe(&mut parent);
    assert_eq!(parent.entity_id, entity_id(100, 50));
    // An event without start time maps to the live process holding the pid.
    let mut again = ctx(100, 0, 1);
    t.observe(&mut again);
    assert_eq!(again.entity_id, parent.entity_id);
    // Parent from the live pid of ppid.
    let mut child = ctx(200, 60, 100);
    t.observe(&mut child);
    assert_eq!(child.parent_entity_id, parent.entity_id);
    // Parent from parent_start_ticks wins over the pid index.
    let mut other = ProcessContext {
        parent_start_ticks: 7,
        ..ctx(300, 70, 100)
    };
    t.observe(&mut other);
    assert_eq!(other.parent_entity_id, entity_id(100, 7));
    // pid 0 is the host's own events: untouched.
    let mut host = ProcessContext::default();
    t.observe(&mut host);
    assert_eq!((host.entity_id, t.len()), (0, 3));
}

#[test]
fn fork_exec_exit_lifecycle() {
    let t = tree(16);
    let mut parent = ProcessContext {
        exe: "/bin/bash".into(),
        uid: 1000,
        gid: 1000,
        container_id: "c".repeat(64),
        ..ctx(100, 50, 1)
    };
    t.observe(&mut parent);
    let child = t.fork(parent.entity_id, 101, 60);
    let c = t.get_process(child).unwrap();
    assert_eq!(
        (c.ppid, c.parent_entity_id, c.uid),
        (100, parent.entity_id, 1000)
    );
    assert_eq!((c.name.as_str(), c.exe.as_str()), ("sh", "/bin/bash"));
    assert_eq!(c.container_id, "c".repeat(64));
    assert_eq!(t.live_entity(101), Some(child));

    let argv = vec!["curl".to_owned(), "http://x".to_owned()];
    t.exec(
        child,
        &ExecUpdate {
            path: Some("/usr/bin/curl"),
            argv: Some(&argv),
            uid: 0,
            gid: 0,
        },
    );
    let c = t.get_process(child).unwrap();
    assert_eq!(
        (c.name.as_str(), c.exe.as_str(), c.uid),
        ("curl", "/usr/bin/curl", 0)
    );
    assert_eq!(c.argv, argv);

    t.exit(child, 999);
    t.exit(child, 1234);
    assert_eq!(
        t.get_process(child).unwrap().exit_time,
        Some(999),
        "first exit wins"
    );
    assert_eq!(t.live_entity(101), None);
    // The exited process still answers ancestry.
    assert_eq!(t.get_ancestry(child, 5).unwrap().len(), 2);
}

#[test]
fn fork_after_child_events_keeps_child_fields() {
    let t = tree(16);
    let mut parent = ProcessContext {
        exe: "/bin/bash".into(),
        ..ctx(100, 50, 1)
    };
    t.observe(&mut parent);
    // The child's exec arrived first (another CPU's buffer).
    let mut child_ctx = ProcessContext {
        exe: "/usr/bin/id".into(),
        ..ctx(101, 60, 0)
    };
    t.observe(&mut child_ctx);
    let child = t.fork(parent.entity_id, 101, 60);
    let c = t.get_process(child).unwrap();
    assert_eq!(c.exe, "/usr/bin/id");
    assert_eq!(c.parent_entity_id, parent.entity_id);
    assert_eq!(t.get_child_processes(parent.entity_id).unwrap().len(), 1);
}

#[test]
fn exec_bounds_outside_input() {
    let t = tree(4);
    let mut c = ctx(5, 5, 0);
    t.observe(&mut c);
    let huge: Vec<String> = (0..10_000)
        .map(|i| format!("{i}{}", "é".repeat(5000)))
        .collect();
    t.exec(
        c.entity_id,
        &ExecUpdate {
            path: Some("/"),
            argv: Some(&huge),
            uid: 1,
            gid: 1,
        },
    );
    let p = t.get_process(c.entity_id).unwrap();
    assert_eq!(p.argv.len(), super::MAX_ARGV);
    assert!(p.argv.iter().all(|a| a.len() <= super::MAX_TEXT));
    assert_eq!(p.name, "sh", "a path without basename keeps the old name");
    // Exec of an unknown process is a no-op.
    t.exec(
        1,
        &ExecUpdate {
            path: Some("/x"),
            argv: None,
            uid: 0,
            gid: 0,
        },
    );
    assert_eq!(t.len(), 1);
}

#[test]
fn reused_pid_moves_live_index() {
    let t = tree(8);
    let mut a = ctx(7, 10, 0);
    t.observe(&mut a);
    t.exit(a.entity_id, 5);
    let mut b = ctx(7, 20, 0);
    t.observe(&mut b);
    assert_eq!(t.live_entity(7), Some(b.entity_id));
    assert!(t.get_process(a.entity_id).unwrap().exit_time.is_some());
}

#[test]
fn health_and_metadata() {
    let t = tree(1);
    assert_eq!(t.name(), "process");
    assert_eq!(t.health().status, HealthStatus::Healthy);
    assert_eq!(t.health().last_check, 42);
    assert!(!t.metadata().writable);
}

#[test]
fn concurrent_readers_and_writer() {
    let t = Arc::new(tree(1024));
    let writer = {
        let t = t.clone();
        std::thread::spawn(move || {
            for i in 1..2000u32 {
                let mut c = ctx(i, u64::from(i), i - 1);
                t.observe(&mut c);
            }
        })
    };
    let readers: Vec<_> = (0..4)
        .map(|_| {
            let t = t.clone();
            std::thread::spawn(move || {
                for i in 1..2000u32 {
                    let _ = t.get_ancestry(entity_id(i, u64::from(i)), 8);
                }
            })
        })
        .collect();
    writer.join().unwrap();
    for r in readers {
        r.join().unwrap();
    }
    assert_eq!(t.len(), 1024);
}

#[test]
fn events_without_an_executable_get_the_one_the_tree_knows() {
    let t = tree(16);
    let mut known = proc(7, 70, 0);
    known.exe = "/usr/bin/curl".into();
    known.container_id = "c".repeat(64);
    t.insert(known);
    let mut c = ctx(7, 70, 1);
    t.observe(&mut c);
    assert_eq!(c.exe, "/usr/bin/curl");
    assert_eq!(c.container_id, "c".repeat(64));
    // An event that says which executable it ran keeps its own.
    let mut c = ctx(7, 70, 1);
    c.exe = "/usr/bin/wget".into();
    t.observe(&mut c);
    assert_eq!(c.exe, "/usr/bin/wget");
}
