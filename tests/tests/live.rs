//! Live collection on the real kernel (needs root and BTF; reported as
//! skipped otherwise). Each test spawns a child that waits on its stdin,
//! follows exactly that child's process tree in the kernel, then lets it
//! run: the test never observes its own syscalls.

use std::io::Write;
use std::net::UdpSocket;
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use sandtrap_collector::live::{Live, LiveOptions, boot_time_ns};
use sandtrap_collector::procfs::{ProcFs, fill_from_proc, seed_stores};
use sandtrap_e2e::{config, example};
use sandtrap_model::{Event, Finding, entity_id};
use sandtrap_runtime::{Detector, DetectorComponent, Dispatcher, Limits, Runtime};
use sandtrap_stores::{DnsStore, ProcessStore, Stores};

fn privileged() -> bool {
    let root = std::fs::read_to_string("/proc/self/status")
        .map(|s| {
            s.lines()
                .any(|l| l.starts_with("Uid:") && l.split_whitespace().nth(1) == Some("0"))
        })
        .unwrap_or(false);
    let ok = root && std::path::Path::new("/sys/kernel/btf/vmlinux").exists();
    if !ok {
        eprintln!("skipped: live tests need root and /sys/kernel/btf/vmlinux");
    }
    ok
}

/// A child shell that runs `script` once told to.
fn gated(script: &str) -> Child {
    Command::new("/bin/sh")
        .arg("-c")
        .arg(format!("read go; {script}"))
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .spawn()
        .expect("spawn child")
}

struct Rig {
    live: Live,
    stores: Arc<Stores>,
    dispatcher: Dispatcher,
    procfs: ProcFs,
    boot: u64,
    events: Vec<Event>,
    findings: Vec<Finding>,
}

impl Rig {
    fn new(child: &Child, detectors: &[(&str, Vec<(String, String)>)]) -> Self {
        Self::with_stores(child, detectors, Stores::builder())
    }

    fn with_stores(
        child: &Child,
        detectors: &[(&str, Vec<(String, String)>)],
        stores: sandtrap_stores::StoresBuilder,
    ) -> Self {
        let boot = boot_time_ns();
        let stores = Arc::new(stores.build());
        let procfs = ProcFs::default();
        seed_stores(&stores, &procfs, boot);
        let rt = Arc::new(Runtime::builder().build(stores.clone()).unwrap());
        let mut dispatcher = Dispatcher::new(rt.clone());
        for (name, cfg) in detectors {
            let bytes = std::fs::read(example(name)).unwrap();
            let c = DetectorComponent::load(&rt, name, &bytes).unwrap();
            dispatcher
                .add(Detector::start(&rt, c, cfg.clone(), Limits::default()).unwrap())
                .unwrap();
        }
        let live = Live::start(&LiveOptions {
            follow: Some(vec![child.id()]),
            dns: true,
        })
        .unwrap();
        for h in live.hooks() {
            assert!(
                h.error.is_none(),
                "{} did not attach: {:?}",
                h.name,
                h.error
            );
        }
        Self {
            live,
            stores,
            dispatcher,
            procfs,
            boot,
            events: Vec::new(),
            findings: Vec::new(),
        }
    }

    /// Feeds events through the pipeline until `done` holds; the bound only
    /// catches an event that never comes, on however loaded a machine.
    fn pump_until(&mut self, what: &str, done: impl Fn(&Rig) -> bool) {
        let start = Instant::now();
        while !done(self) {
            assert!(
                start.elapsed() < Duration::from_secs(120),
                "timed out waiting for {what}; saw {:#?}",
                self.names()
            );
            let mut batch = Vec::new();
            self.live
                .poll(Duration::from_millis(50), &mut |ev| batch.push(ev));
            for mut ev in batch {
                fill_from_proc(&self.stores, &self.procfs, self.boot, &mut ev);
                let outcome = self.dispatcher.process(ev.clone());
                assert!(outcome.faults.is_empty(), "{:?}", outcome.faults);
                self.findings.extend(outcome.findings);
                // Kept with the entity id the stores computed for it.
                ev.process.entity_id = entity_id(ev.process.pid, ev.process.start_ticks);
                self.events.push(ev);
            }
        }
    }

    fn names(&self) -> Vec<String> {
        self.events
            .iter()
            .map(|e| {
                format!(
                    "{} pid={} {:?}",
                    e.name,
                    e.process.pid,
                    e.arg_str("pathname")
                )
            })
            .collect()
    }
}

fn go(child: &mut Child) {
    child.stdin.as_mut().unwrap().write_all(b"go\n").unwrap();
}

#[test]
fn fork_exec_exit_build_the_tree_with_ids_that_match_proc() {
    if !privileged() {
        return;
    }
    let mut child = gated("/bin/sh -c '/bin/sleep 0.2; true'; exit 3");
    let c = child.id();
    let mut rig = Rig::new(&child, &[]);
    let seeded = rig
        .stores
        .processes()
        .get_process(entity_id(c, ProcFs::default().read(c).unwrap().start_ticks));
    assert!(
        seeded.is_ok(),
        "the child is in the tree from the /proc snapshot"
    );
    go(&mut child);
    rig.pump_until("the child's exit", |r| {
        r.events
            .iter()
            .any(|e| e.name == "sched_process_exit" && e.process.pid == c)
    });
    assert!(child.wait().unwrap().code() == Some(3));

    // The kernel's view of the child has the id the /proc walk computed.
    let fork = rig
        .events
        .iter()
        .find(|e| e.name == "sched_process_fork" && e.process.pid == c)
        .expect("fork from the child");
    assert_eq!(fork.process.entity_id, seeded.unwrap().entity_id);
    let exit = rig
        .events
        .iter()
        .find(|e| e.name == "sched_process_exit" && e.process.pid == c)
        .unwrap();
    assert_eq!(exit.arg_u64("exit_code"), Some(3));

    let sleep = rig
        .events
        .iter()
        .find(|e| e.name == "sched_process_exec" && e.arg_str("pathname") == Some("/bin/sleep"))
        .expect("exec of sleep");
    let chain = rig
        .stores
        .processes()
        .get_ancestry(sleep.process.entity_id, 4)
        .unwrap();
    let pids: Vec<u32> = chain.iter().map(|p| p.pid).collect();
    assert_eq!(pids[2], c, "sleep ← sh ← child: {chain:#?}");
    assert_eq!(chain[0].exe, "/bin/sleep");
    assert_eq!(chain[0].argv, ["/bin/sleep", "0.2"]);
    assert_eq!(chain[1].name, "sh");
    assert!(chain[0].exit_time.is_some(), "sleep exited");
}

#[test]
fn exec_from_a_memfd_fires_the_fileless_detector() {
    if !privileged() {
        return;
    }
    let script = r#"python3 -c 'import os; fd = os.memfd_create("stage2"); os.write(fd, open("/bin/true", "rb").read()); os.execve("/proc/self/fd/%d" % fd, ["stage2"], {})'"#;
    let mut child = gated(script);
    let mut rig = Rig::new(&child, &[("fileless_exec", vec![])]);
    go(&mut child);
    rig.pump_until("the fileless finding", |r| !r.findings.is_empty());
    child.wait().unwrap();
    let f = &rig.findings[0];
    assert_eq!(f.detector.id, "fileless-exec");
    let pathname = f.fields.iter().find(|a| a.name == "pathname").unwrap();
    assert_eq!(
        pathname.value,
        sandtrap_model::Value::Str("memfd:stage2".into())
    );
    assert_eq!(
        f.ancestry.first().map(|p| p.pid),
        Some(child.id()),
        "the python3 process is the parent"
    );
}

#[test]
fn a_process_moved_into_a_runtime_named_cgroup_is_in_that_container() {
    if !privileged() {
        return;
    }
    let Some(root) =
        sandtrap_collector::cgroups::CgroupPaths::from_machine().map(|c| c.root().to_owned())
    else {
        eprintln!("skipped: no cgroup v2 hierarchy");
        return;
    };
    let id = format!("{:064x}", u128::from(std::process::id()) << 64 | 0x5a5a);
    let dir = root.join(format!("docker-{id}.scope"));
    std::fs::create_dir(&dir).unwrap();
    let mut child = gated("/bin/true; /bin/true");
    std::fs::write(dir.join("cgroup.procs"), child.id().to_string()).unwrap();
    // The runtime's API, served by a local fake over a unix socket.
    let sock_dir = tempfile::tempdir().unwrap();
    let socket = sock_dir.path().join("docker.sock");
    let inspect = format!(
        r#"{{"Id":"{id}","Name":"/checkout","Image":"sha256:feed","State":{{"StartedAt":"2026-01-02T03:04:05Z"}},"Config":{{"Image":"shop/checkout:3.1","Labels":{{"io.kubernetes.pod.name":"checkout-7d9","io.kubernetes.pod.namespace":"shop"}}}}}}"#
    );
    let requests = fake_runtime(&socket, format!("/containers/{id}/json"), inspect);
    let api = sandtrap_collector::runtime_api::DockerApi::new(&socket);
    let mut rig = Rig::with_stores(&child, &[], Stores::builder().enricher(Arc::new(api)));
    go(&mut child);
    rig.pump_until("an exec in the container", |r| {
        r.events.iter().any(|e| e.name == "sched_process_exec")
    });
    child.wait().unwrap();
    let exec = rig
        .events
        .iter()
        .find(|e| e.name == "sched_process_exec")
        .unwrap();
    assert_eq!(exec.process.cgroup, format!("/docker-{id}.scope"));
    let c = rig
        .stores
        .registry()
        .containers()
        .get_container(&id)
        .expect("container known");
    assert_eq!(c.runtime, "docker");
    let p = rig
        .stores
        .processes()
        .get_process(exec.process.entity_id)
        .unwrap();
    assert_eq!(p.container_id, id);
    assert_eq!(
        (c.name.as_str(), c.image.as_str()),
        ("checkout", "shop/checkout:3.1")
    );
    assert_eq!(c.pod.map(|p| p.namespace), Some("shop".into()));
    assert_eq!(
        requests.load(std::sync::atomic::Ordering::SeqCst),
        1,
        "asked once per container"
    );

    // Removing the cgroup removes the container.
    std::fs::remove_dir(&dir).unwrap();
    rig.pump_until("the container's removal", |r| {
        r.stores.registry().containers().get_container(&id).is_err()
    });
    assert!(
        rig.events.iter().any(|e| e.name == "cgroup_rmdir"
            && e.arg_str("path") == Some(&format!("/docker-{id}.scope")))
    );
}

/// Serves `body` for `GET path` (404 for anything else) on a unix socket,
/// the way a Docker-compatible runtime does; counts requests.
fn fake_runtime(
    socket: &std::path::Path,
    path: String,
    body: String,
) -> Arc<std::sync::atomic::AtomicUsize> {
    use std::io::{BufRead, BufReader};
    let listener = std::os::unix::net::UnixListener::bind(socket).unwrap();
    let count = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let seen = count.clone();
    std::thread::spawn(move || {
        for conn in listener.incoming() {
            let Ok(mut conn) = conn else { return };
            let mut line = String::new();
            let mut reader = BufReader::new(conn.try_clone().unwrap());
            if reader.read_line(&mut line).is_err() {
                continue;
            }
            loop {
                let mut h = String::new();
                if reader.read_line(&mut h).map_or(true, |n| n == 0) || h == "\r\n" {
                    break;
                }
            }
            seen.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            let reply = if line.split_whitespace().nth(1) == Some(path.as_str()) {
                format!(
                    "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
                    body.len()
                )
            } else {
                "HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n".to_owned()
            };
            let _ = conn.write_all(reply.as_bytes());
        }
    });
    count
}

#[test]
fn dns_answers_on_loopback_reach_the_dns_cache_and_denied_connects_fire() {
    if !privileged() {
        return;
    }
    let mut child = gated(
        r#"python3 -c 'import socket; s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.connect(("127.66.6.7", 9))'"#,
    );
    let feed = config(&[
        ("deny_domains", "evil.sandtrap.test"),
        ("blacklist", "127.66.6.9"),
    ]);
    let mut rig = Rig::new(
        &child,
        &[("ip_reputation_feed", feed), ("denied_connect", vec![])],
    );

    // A real DNS exchange on loopback: query, then an answer from port 53.
    let server = UdpSocket::bind("127.0.0.1:53").expect("port 53 free on loopback");
    let client = UdpSocket::bind("127.0.0.1:0").unwrap();
    let name = b"\x02c2\x04evil\x08sandtrap\x04test\x00";
    let mut query = vec![0x12, 0x34, 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0];
    query.extend_from_slice(name);
    query.extend_from_slice(&[0, 1, 0, 1]);
    client.send_to(&query, "127.0.0.1:53").unwrap();
    let mut buf = [0u8; 512];
    let (_, from) = server.recv_from(&mut buf).unwrap();
    let mut answer = vec![0x12, 0x34, 0x81, 0x80, 0, 1, 0, 1, 0, 0, 0, 0];
    answer.extend_from_slice(name);
    answer.extend_from_slice(&[
        0, 1, 0, 1, 0xc0, 0x0c, 0, 1, 0, 1, 0, 0, 1, 0x2c, 0, 4, 127, 66, 6, 7,
    ]);
    server.send_to(&answer, from).unwrap();
    client.recv_from(&mut buf).unwrap();
    rig.pump_until("the DNS answer in the cache", |r| {
        r.stores
            .dns()
            .get_dns_response("c2.evil.sandtrap.test")
            .is_ok()
    });
    let r = rig
        .stores
        .dns()
        .get_dns_response("c2.evil.sandtrap.test")
        .unwrap();
    assert_eq!(r.ips, ["127.66.6.7"]);

    go(&mut child);
    rig.pump_until("the denied connection", |r| {
        r.findings.iter().any(|f| f.detector.id == "denied-connect")
    });
    child.wait().unwrap();
    let f = rig
        .findings
        .iter()
        .find(|f| f.detector.id == "denied-connect")
        .unwrap();
    let field = |n: &str| {
        f.fields
            .iter()
            .find(|a| a.name == n)
            .map(|a| a.value.clone())
    };
    assert_eq!(
        field("remote_addr"),
        Some(sandtrap_model::Value::Str("127.66.6.7".into()))
    );
    assert_eq!(
        field("domains"),
        Some(sandtrap_model::Value::StrList(vec![
            "c2.evil.sandtrap.test".into()
        ]))
    );
    assert_eq!(f.process.as_ref().map(|p| p.ppid), Some(child.id()));
}
