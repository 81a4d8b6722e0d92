//! Tests of event application through `Stores::apply`.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use sandtrap_model::{Arg, Event, ProcessContext, Runtime, SystemInfo, Value, entity_id};

use crate::clock::FixedClock;
use crate::containers::{ContainerEnricher, ContainerEnrichment};
use crate::stores::Stores;
use crate::traits::{ContainerStore, ProcessStore};

const BOOT: u64 = 1_600_000_000_000_000_000;
const CID: &str = "4f1e2d3c4b5a69788796a5b4c3d2e1f00f1e2d3c4b5a69788796a5b4c3d2e1f0";

fn stores() -> Stores {
    Stores::builder()
        .clock(Arc::new(FixedClock::new(10)))
        .system_info(SystemInfo {
            boot_time: BOOT,
            kernel_release: "6.8".into(),
            ..Default::default()
        })
        .build()
}

fn ev(name: &str, pid: u32, ticks: u64, args: Vec<Arg>) -> Event {
    Event {
        seq: 0,
        timestamp: BOOT + 1_000,
        name: name.into(),
        process: ProcessContext {
            pid,
            tid: pid,
            ppid: 1,
            start_ticks: ticks,
            comm: "bash".into(),
            ..Default::default()
        },
        args,
    }
}

#[test]
fn fork_exec_exit_through_events() {
    let s = stores();
    let mut init = ev("openat", 1, 1, vec![]);
    init.process.ppid = 0;
    s.apply(&mut init);

    let mut fork = ev(
        "sched_process_fork",
        100,
        50,
        vec![
            Arg::new("child_pid", 101u32),
            Arg::new("child_start_ticks", 60u64),
        ],
    );
    fork.process.uid = 1000;
    s.apply(&mut fork);
    assert_eq!(fork.process.entity_id, entity_id(100, 50));
    assert_eq!(
        fork.process.parent_entity_id, init.process.entity_id,
        "parent from the live pid of ppid"
    );

    let mut exec = ev(
        "sched_process_exec",
        101,
        60,
        vec![
            Arg::new("pathname", "/usr/bin/curl"),
            Arg::new("argv", vec!["curl".to_owned(), "-k".to_owned()]),
        ],
    );
    exec.process.ppid = 100;
    exec.process.uid = 1000;
    s.apply(&mut exec);
    let child = entity_id(101, 60);
    assert_eq!(
        (exec.process.entity_id, exec.process.parent_entity_id),
        (child, fork.process.entity_id)
    );
    let p = s.registry().processes().get_process(child).unwrap();
    assert_eq!(
        (p.name.as_str(), p.exe.as_str(), p.uid),
        ("curl", "/usr/bin/curl", 1000)
    );
    assert_eq!(p.start_time, BOOT + 600_000_000);
    let names: Vec<String> = s
        .registry()
        .processes()
        .get_ancestry(child, 5)
        .unwrap()
        .into_iter()
        .map(|p| p.name)
        .collect();
    assert_eq!(names, ["curl", "bash", "bash"]);

    // A thread's exit does not end the process; the leader's does.
    let mut thread_exit = ev("sched_process_exit", 101, 60, vec![]);
    thread_exit.process.tid = 102;
    s.apply(&mut thread_exit);
    assert_eq!(s.processes().get_process(child).unwrap().exit_time, None);
    let mut group_exit = ev(
        "sched_process_exit",
        101,
        60,
        vec![Arg::new("process_group_exit", true)],
    );
    group_exit.process.tid = 103;
    group_exit.timestamp = BOOT + 5_000;
    s.apply(&mut group_exit);
    assert_eq!(
        s.processes().get_process(child).unwrap().exit_time,
        Some(BOOT + 5_000)
    );
    assert_eq!(s.rejected(), 0);
}

#[test]
fn thread_creation_is_not_a_process() {
    let s = stores();
    let mut fork = ev(
        "sched_process_fork",
        100,
        50,
        vec![
            Arg::new("child_pid", 100u32),
            Arg::new("child_tid", 105u32),
            Arg::new("child_start_ticks", 70u64),
        ],
    );
    s.apply(&mut fork);
    assert_eq!(s.processes().len(), 1);
    // Integer arguments may arrive signed.
    let mut fork = ev(
        "sched_process_fork",
        100,
        50,
        vec![Arg {
            name: "child_pid".into(),
            value: Value::Int(106),
        }],
    );
    s.apply(&mut fork);
    assert!(s.processes().live_entity(106).is_some());
}

#[test]
fn events_without_start_ticks_find_the_live_process() {
    let s = stores();
    let mut first = ev(
        "sched_process_exec",
        200,
        80,
        vec![Arg::new("filename", "/bin/ls")],
    );
    s.apply(&mut first);
    let mut later = ev("security_file_open", 200, 0, vec![]);
    s.apply(&mut later);
    assert_eq!(later.process.entity_id, entity_id(200, 80));
    assert_eq!(
        s.processes()
            .get_process(later.process.entity_id)
            .unwrap()
            .name,
        "ls"
    );
}

struct Enricher(AtomicUsize);

impl ContainerEnricher for Enricher {
    fn enrich(&self, _: &str, runtime: Runtime) -> Option<ContainerEnrichment> {
        self.0.fetch_add(1, Ordering::SeqCst);
        Some(ContainerEnrichment {
            name: format!("{}-web", runtime.as_str()),
            image: "nginx:1.27".into(),
            ..Default::default()
        })
    }
}

#[test]
fn container_from_cgroup_is_filled_and_enriched_once() {
    let e = Arc::new(Enricher(AtomicUsize::new(0)));
    let s = Stores::builder()
        .clock(Arc::new(FixedClock::new(1)))
        .enricher(e.clone())
        .build();
    for i in 0..3 {
        let mut x = ev("openat", 300 + i, 9, vec![]);
        x.process.cgroup = format!("/system.slice/docker-{CID}.scope");
        s.apply(&mut x);
        assert_eq!(x.process.container_id, CID);
        assert_eq!(
            s.processes()
                .get_process(x.process.entity_id)
                .unwrap()
                .container_id,
            CID
        );
    }
    assert_eq!(e.0.load(Ordering::SeqCst), 1);
    let c = s.registry().containers().get_container(&CID[..12]).unwrap();
    assert_eq!(
        (c.name.as_str(), c.runtime.as_str(), c.image.as_str()),
        ("docker-web", "docker", "nginx:1.27")
    );
    // conmon is not in the container.
    let mut conmon = ev("openat", 400, 9, vec![]);
    conmon.process.cgroup = format!("/machine.slice/libpod-conmon-{CID}.scope");
    s.apply(&mut conmon);
    assert!(conmon.process.container_id.is_empty());
    // A container id the collector already set is kept.
    let mut given = ev("openat", 401, 9, vec![]);
    given.process.container_id = "preset".into();
    given.process.cgroup = format!("/docker/{CID}");
    s.apply(&mut given);
    assert_eq!(given.process.container_id, "preset");
}

#[test]
fn container_lifecycle_events() {
    let s = stores();
    let mut create = ev(
        "container_create",
        0,
        0,
        vec![
            Arg::new("id", CID),
            Arg::new("runtime", "containerd"),
            Arg::new("name", "api"),
            Arg::new("image", "ghcr.io/x/api:2"),
            Arg::new("image_digest", "sha256:ab"),
            Arg::new("pod_name", "api-7d9"),
            Arg::new("pod_namespace", "prod"),
            Arg::new("pod_uid", "uid-1"),
            Arg::new("pod_sandbox", false),
            Arg::new("start_time", 99u64),
        ],
    );
    s.apply(&mut create);
    let c = s
        .registry()
        .containers()
        .get_container_by_name("api")
        .unwrap();
    assert_eq!((c.runtime.as_str(), c.start_time), ("containerd", 99));
    assert_eq!(c.pod.as_ref().map(|p| p.namespace.as_str()), Some("prod"));
    let mut remove = ev("container_remove", 0, 0, vec![Arg::new("id", CID)]);
    s.apply(&mut remove);
    assert!(s.containers().is_empty());

    let mut mkdir = ev(
        "cgroup_mkdir",
        0,
        0,
        vec![Arg::new("path", format!("/kubepods/besteffort/podx/{CID}"))],
    );
    s.apply(&mut mkdir);
    let c = s.containers().get_container(CID).unwrap();
    assert_eq!(
        (c.runtime.as_str(), c.start_time),
        ("containerd", BOOT + 1_000)
    );
    // A sub-cgroup going away leaves the container; its own cgroup ends it.
    let mut sub = ev(
        "cgroup_rmdir",
        0,
        0,
        vec![Arg::new(
            "path",
            format!("/kubepods/besteffort/podx/{CID}/sub"),
        )],
    );
    s.apply(&mut sub);
    assert_eq!(s.containers().len(), 1);
    let mut rmdir = ev(
        "cgroup_rmdir",
        0,
        0,
        vec![Arg::new("path", format!("/kubepods/besteffort/podx/{CID}"))],
    );
    s.apply(&mut rmdir);
    assert!(s.containers().is_empty());
    assert_eq!(s.rejected(), 0);
}

#[test]
fn dns_responses_fill_the_cache() {
    let s = stores();
    let answers = vec![
        "example.com. 300 IN CNAME cdn.example.net.".to_owned(),
        "cdn.example.net 60 A 93.184.216.34".to_owned(),
        "broken".to_owned(),
    ];
    let mut dns = ev("dns_response", 500, 1, vec![Arg::new("answers", answers)]);
    s.apply(&mut dns);
    let r = s.registry().dns().get_dns_response("example.com").unwrap();
    assert_eq!(
        (r.ips.as_slice(), r.domains.as_slice()),
        (
            ["93.184.216.34".to_owned()].as_slice(),
            ["cdn.example.net".to_owned()].as_slice()
        )
    );
    assert_eq!(s.rejected(), 1, "the malformed record");
}

#[test]
fn odd_input_is_counted_never_fatal() {
    let s = stores();
    let bad = [
        ev("sched_process_fork", 100, 5, vec![]),
        ev(
            "sched_process_fork",
            100,
            5,
            vec![Arg::new("child_pid", u64::MAX)],
        ),
        ev(
            "sched_process_fork",
            0,
            0,
            vec![Arg::new("child_pid", 5u32)],
        ),
        ev(
            "sched_process_exec",
            100,
            5,
            vec![Arg::new("argv", vec!["x".to_owned()])],
        ),
        ev("container_create", 0, 0, vec![Arg::new("id", "short")]),
        ev(
            "container_create",
            0,
            0,
            vec![Arg::new("id", CID), Arg::new("runtime", "lxc")],
        ),
        ev("container_create", 0, 0, vec![]),
        ev("container_remove", 0, 0, vec![Arg::new("id", 5u32)]),
        ev("cgroup_mkdir", 0, 0, vec![]),
        ev(
            "cgroup_rmdir",
            0,
            0,
            vec![Arg::new("path", "x".repeat(5000))],
        ),
        ev(
            "dns_response",
            0,
            0,
            vec![Arg::new("answers", "not a list")],
        ),
    ];
    let n = bad.len() as u64;
    for mut e in bad {
        s.apply(&mut e);
    }
    assert_eq!(s.rejected(), n);
    let mut huge = ev("openat", 7, 7, vec![]);
    huge.process.cgroup = "/".repeat(1 << 20);
    huge.process.comm = "\u{202e}😀".repeat(1000);
    s.apply(&mut huge);
    assert_eq!(s.rejected(), n + 1);
    assert!(s.containers().is_empty());
}

#[test]
fn builder_options_reach_the_stores() {
    let s = Stores::builder()
        .clock(Arc::new(FixedClock::new(3)))
        .process_capacity(2)
        .container_capacity(1)
        .dns_capacity(1)
        .kernel_symbols(crate::symbols::KernelSymbols::from_kallsyms_text(
            "ffffffff81000000 T _text\n",
        ))
        .system_info(SystemInfo {
            boot_time: 5,
            ..Default::default()
        })
        .build();
    for pid in 1..=3 {
        s.apply(&mut ev("openat", pid, u64::from(pid), vec![]));
    }
    assert_eq!(s.processes().len(), 2);
    assert_eq!(
        s.registry().list(),
        ["process", "container", "system", "syscall", "symbol", "dns"]
    );
    assert_eq!(s.registry().get_metrics("symbol").unwrap().item_count, 1);
    let bare = Stores::builder().build();
    assert_eq!(
        bare.registry().list(),
        ["process", "container", "syscall", "dns"]
    );
    assert!(bare.kernel_symbols().is_none() && bare.system().is_none());
}

#[test]
fn container_create_with_empty_runtime_keeps_the_record() {
    // Fixtures may leave the runtime blank: that is "not given", not unknown.
    let s = stores();
    let mut create = ev(
        "container_create",
        0,
        0,
        vec![
            Arg::new("id", CID),
            Arg::new("runtime", ""),
            Arg::new("name", "x"),
        ],
    );
    s.apply(&mut create);
    assert_eq!(s.containers().get_container(CID).unwrap().name, "x");
    assert_eq!(s.rejected(), 0);
}
