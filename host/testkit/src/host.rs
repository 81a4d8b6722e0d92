//! The mock host: the real runtime and stores, fed from fixtures.

use std::path::Path;
use std::sync::Arc;

use sandtrap_model::{Arg, Event, Finding, ProcessInfo, SystemInfo, Value, entity_id, ticks_to_ns};
use sandtrap_runtime::{
    Detector, DetectorComponent, Dispatcher, Fault, Limits, LogLine, LogMode, Mode, Runtime,
};
use sandtrap_stores::{Clock, DnsStore, FixedClock, KernelSymbols, Stores, parse_cgroup_path};

use crate::error::TestkitError;
use crate::scenario::StoreFixtures;

/// Boot time of the made-up machine scenarios run on.
pub const MOCK_BOOT_TIME: u64 = 1_699_999_000_000_000_000;

/// The machine every scenario sees unless it says otherwise, so results
/// do not depend on where the test runs.
pub fn mock_system() -> SystemInfo {
    SystemInfo {
        architecture: "x86_64".into(),
        kernel_release: "6.18.0-mock".into(),
        hostname: "mock-host".into(),
        boot_time: MOCK_BOOT_TIME,
        host_start_time: MOCK_BOOT_TIME + 60_000_000_000,
        os_name: "Debian GNU/Linux".into(),
        os_version: "12".into(),
        os_pretty_name: "Debian GNU/Linux 12 (bookworm)".into(),
        host_version: env!("CARGO_PKG_VERSION").into(),
        init_namespaces: Vec::new(),
    }
}

/// A detector to load: where it came from, its bytes, its configuration.
struct Pending {
    origin: String,
    bytes: Vec<u8>,
    config: Vec<(String, String)>,
}

/// Builds a [`MockHost`].
pub struct MockHostBuilder {
    fixtures: StoreFixtures,
    clock: u64,
    detectors: Vec<Pending>,
    limits: Limits,
    origin_for_errors: String,
    cache_dir: Option<std::path::PathBuf>,
}

impl MockHostBuilder {
    /// Store contents before the first event.
    pub fn fixtures(mut self, fixtures: StoreFixtures) -> Self {
        self.fixtures = fixtures;
        self
    }

    /// The fixed clock, ns since the Unix epoch.
    pub fn clock(mut self, ns: u64) -> Self {
        self.clock = ns;
        self
    }

    /// Limits for every detector (fuel replaces the wall-clock deadline).
    pub fn limits(mut self, limits: Limits) -> Self {
        self.limits = limits;
        self
    }

    /// Adds a detector from a component file; detectors start in the order
    /// they are added.
    pub fn detector_file(
        mut self,
        path: &Path,
        config: Vec<(String, String)>,
    ) -> Result<Self, TestkitError> {
        let bytes = std::fs::read(path).map_err(|source| TestkitError::Io {
            path: path.to_owned(),
            source,
        })?;
        self.detectors.push(Pending {
            origin: path.display().to_string(),
            bytes,
            config,
        });
        Ok(self)
    }

    /// Adds a detector from component bytes.
    pub fn detector_bytes(
        mut self,
        name: &str,
        bytes: Vec<u8>,
        config: Vec<(String, String)>,
    ) -> Self {
        self.detectors.push(Pending {
            origin: name.to_owned(),
            bytes,
            config,
        });
        self
    }

    /// Keeps compiled components in `dir`, so a large guest (Python, JS)
    /// compiles once for a whole set of scenarios.
    pub fn cache_dir(mut self, dir: Option<&Path>) -> Self {
        self.cache_dir = dir.map(Path::to_owned);
        self
    }

    /// Names the scenario file in fixture errors.
    pub fn origin(mut self, origin: &str) -> Self {
        self.origin_for_errors = origin.to_owned();
        self
    }

    /// Fills the stores, loads and starts the detectors.
    pub fn build(self) -> Result<MockHost, TestkitError> {
        let clock = Arc::new(FixedClock::new(self.clock));
        let fixture_err = |message: String| TestkitError::Fixture {
            path: self.origin_for_errors.clone().into(),
            message,
        };
        let system = self.fixtures.system.clone().unwrap_or_else(mock_system);
        let mut builder = Stores::builder()
            .clock(clock.clone() as Arc<dyn Clock>)
            .system_info(system.clone());
        if let Some(text) = &self.fixtures.kallsyms {
            builder = builder.kernel_symbols(KernelSymbols::from_kallsyms_text(text));
        }
        let stores = Arc::new(builder.build());
        fill(&stores, &self.fixtures, &system, self.clock).map_err(fixture_err)?;

        let rt = Runtime::builder()
            .mode(Mode::Deterministic)
            .log_mode(LogMode::Capture)
            .clock(clock.clone())
            .cache_dir(self.cache_dir)
            .build(stores)?;
        let rt = Arc::new(rt);
        let mut dispatcher = Dispatcher::new(rt.clone());
        let mut ids = Vec::new();
        for Pending {
            origin,
            bytes,
            config,
        } in self.detectors
        {
            let component = DetectorComponent::load(&rt, &origin, &bytes)?;
            let detector = Detector::start(&rt, component, config, self.limits.clone())?;
            ids.push(detector.id().to_owned());
            dispatcher.add(detector)?;
        }
        Ok(MockHost {
            dispatcher,
            clock,
            ids,
            sent: 0,
            faults: Vec::new(),
        })
    }
}

fn fill(stores: &Stores, f: &StoreFixtures, system: &SystemInfo, now: u64) -> Result<(), String> {
    for p in &f.processes {
        let ctx = p.context();
        let parent_ticks = if p.parent_start_ticks != 0 {
            p.parent_start_ticks
        } else {
            f.processes
                .iter()
                .find(|q| q.pid == p.ppid)
                .map_or(0, |q| q.start_ticks)
        };
        let container_id = parse_cgroup_path(&ctx.cgroup)
            .map(|(_, id)| id)
            .unwrap_or_default();
        let name = if p.exe.is_empty() {
            p.comm.clone()
        } else {
            p.exe.rsplit('/').next().unwrap_or_default().to_owned()
        };
        stores.processes().insert(ProcessInfo {
            entity_id: entity_id(p.pid, p.start_ticks),
            parent_entity_id: if p.ppid == 0 {
                0
            } else {
                entity_id(p.ppid, parent_ticks)
            },
            pid: p.pid,
            ppid: p.ppid,
            name,
            exe: p.exe.clone(),
            argv: p.argv.clone(),
            start_ticks: p.start_ticks,
            start_time: system.boot_time + ticks_to_ns(p.start_ticks),
            uid: p.uid,
            gid: p.gid,
            container_id,
            exit_time: None,
        });
    }
    for c in &f.containers {
        let mut args = vec![
            Arg::new("id", c.id.as_str()),
            Arg::new("runtime", c.runtime.as_str()),
            Arg::new("name", c.name.as_str()),
            Arg::new("image", c.image.as_str()),
            Arg::new("image_digest", c.image_digest.as_str()),
            Arg::new("start_time", c.start_time),
        ];
        if let Some(pod) = &c.pod {
            args.push(Arg::new("pod_name", pod.name.as_str()));
            args.push(Arg::new("pod_namespace", pod.namespace.as_str()));
            args.push(Arg::new("pod_uid", pod.uid.as_str()));
            args.push(Arg::new("pod_sandbox", pod.sandbox));
        }
        let before = stores.rejected();
        stores.apply(&mut synthetic("container_create", now, args));
        if stores.rejected() != before {
            return Err(format!(
                "container {:?} was refused (is the id 64 hex digits and the runtime one of docker, containerd, crio, podman?)",
                c.id
            ));
        }
    }
    for d in &f.dns {
        let args = vec![
            Arg::new("query", d.query.as_str()),
            Arg::new("answers", Value::StrList(d.answers.clone())),
        ];
        let before = stores.rejected();
        stores.apply(&mut synthetic("dns_response", now, args));
        if stores.rejected() != before || stores.dns().get_dns_response(&d.query).is_err() {
            return Err(format!(
                "DNS answers for {:?} were refused: {:?}",
                d.query, d.answers
            ));
        }
    }
    for r in &f.reputation {
        let store = stores
            .reputation()
            .register(&r.store, &r.owner, r.policy, &[])
            .map_err(|e| format!("reputation store {:?}: {e}", r.store))?;
        for e in &r.entries {
            store
                .write(&e.source, e.reputation(now))
                .map_err(|err| format!("reputation store {:?}, entry {}: {err}", r.store, e.ip))?;
        }
    }
    Ok(())
}

fn synthetic(name: &str, ts: u64, args: Vec<Arg>) -> Event {
    Event {
        seq: 0,
        timestamp: ts,
        name: name.to_owned(),
        process: Default::default(),
        args,
    }
}

/// A running mock host.
pub struct MockHost {
    dispatcher: Dispatcher,
    clock: Arc<FixedClock>,
    ids: Vec<String>,
    sent: u64,
    faults: Vec<Fault>,
}

impl MockHost {
    /// Starts a builder: fixed clock, no fixtures, no detectors.
    pub fn builder() -> MockHostBuilder {
        MockHostBuilder {
            fixtures: StoreFixtures::default(),
            clock: 1_700_000_000_000_000_000,
            detectors: Vec::new(),
            limits: Limits::default(),
            origin_for_errors: "mock host".into(),
            cache_dir: None,
        }
    }

    /// Ids of the loaded detectors, in load order.
    pub fn detector_ids(&self) -> &[String] {
        &self.ids
    }

    /// Sends one event and returns the findings it produced. Events get
    /// `seq` 1, 2, … in the order sent; a zero timestamp becomes the clock.
    pub fn send(&mut self, mut ev: Event) -> Vec<Finding> {
        self.sent += 1;
        ev.seq = self.sent;
        if ev.timestamp == 0 {
            ev.timestamp = self.clock.now_ns();
        } else if ev.timestamp > self.clock.now_ns() {
            self.clock.set(ev.timestamp);
        }
        let out = self.dispatcher.process(ev);
        self.faults.extend(out.faults);
        out.findings
    }

    /// Faults so far (a detector lost its instance).
    pub fn faults(&self) -> &[Fault] {
        &self.faults
    }

    /// Log lines the detectors wrote so far.
    pub fn take_logs(&mut self) -> Vec<LogLine> {
        self.dispatcher
            .detectors()
            .into_iter()
            .flat_map(|mut d| d.take_logs())
            .collect()
    }

    /// The stores, e.g. to assert on what a detector wrote.
    pub fn stores(&self) -> &Arc<Stores> {
        self.dispatcher.runtime().stores()
    }

    /// The pipeline, e.g. for detector statistics.
    pub fn dispatcher(&self) -> &Dispatcher {
        &self.dispatcher
    }
}

impl Drop for MockHost {
    fn drop(&mut self) {
        let _ = self.dispatcher.close();
    }
}
