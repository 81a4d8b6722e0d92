//! The scenario file format: stores to fill, events to send, findings to expect.
//!
//! Scenarios are YAML and strict: an unknown key is an error with its line,
//! so a misspelt expectation cannot pass silently. `docs/scenarios.md`
//! documents the format.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use sandtrap_model::{
    ConflictPolicy, ContainerInfo, Event, ProcessContext, Reputation, ReputationStatus, Severity,
    SystemInfo, Value,
};
use serde::Deserialize;

use crate::error::TestkitError;

/// A whole scenario file.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Scenario {
    /// What the scenario shows.
    pub name: String,
    /// Configuration of the detector under test.
    #[serde(default)]
    pub config: BTreeMap<String, String>,
    /// Other detectors to load first (e.g. the owner of a writable store),
    /// paths relative to the scenario file.
    #[serde(default)]
    pub detectors: Vec<ExtraDetector>,
    /// The fixed host clock, ns since the Unix epoch.
    #[serde(default = "default_clock")]
    pub clock: u64,
    /// Store contents before the first event.
    #[serde(default)]
    pub stores: StoreFixtures,
    /// Events, sent one by one in order.
    pub events: Vec<Event>,
    /// Every finding the events must produce — no more, no fewer.
    #[serde(default)]
    pub expect: Vec<Expectation>,
    /// Where the file was read from (not part of the YAML).
    #[serde(skip)]
    pub path: PathBuf,
}

fn default_clock() -> u64 {
    1_700_000_000_000_000_000
}

/// A supporting detector.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ExtraDetector {
    /// Component file, relative to the scenario.
    pub component: PathBuf,
    /// Its configuration.
    #[serde(default)]
    pub config: BTreeMap<String, String>,
}

/// Initial store contents.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StoreFixtures {
    /// Processes, as an event's process context (entity ids are computed).
    #[serde(default)]
    pub processes: Vec<ProcessFixture>,
    /// Containers.
    #[serde(default)]
    pub containers: Vec<ContainerInfo>,
    /// DNS answers, as the `answers` of a `dns_response` event.
    #[serde(default)]
    pub dns: Vec<DnsFixture>,
    /// kallsyms text.
    #[serde(default)]
    pub kallsyms: Option<String>,
    /// System information; defaults to a fixed, made-up machine.
    #[serde(default)]
    pub system: Option<SystemInfo>,
    /// Writable ip-reputation stores, as if a detector had registered them.
    #[serde(default)]
    pub reputation: Vec<ReputationFixture>,
}

/// A process known before the first event.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProcessFixture {
    /// Thread-group id.
    pub pid: u32,
    /// Parent's thread-group id.
    #[serde(default)]
    pub ppid: u32,
    /// Start in clock ticks since boot.
    #[serde(default)]
    pub start_ticks: u64,
    /// Parent's start in clock ticks.
    #[serde(default)]
    pub parent_start_ticks: u64,
    /// Command name.
    #[serde(default)]
    pub comm: String,
    /// Executable path.
    #[serde(default)]
    pub exe: String,
    /// Arguments of its last exec.
    #[serde(default)]
    pub argv: Vec<String>,
    /// User id.
    #[serde(default)]
    pub uid: u32,
    /// Group id.
    #[serde(default)]
    pub gid: u32,
    /// cgroup path (the container is derived from it).
    #[serde(default)]
    pub cgroup: String,
}

impl ProcessFixture {
    /// The fixture as an event's process context.
    pub fn context(&self) -> ProcessContext {
        ProcessContext {
            pid: self.pid,
            tid: self.pid,
            ppid: self.ppid,
            start_ticks: self.start_ticks,
            parent_start_ticks: self.parent_start_ticks,
            comm: self.comm.clone(),
            exe: self.exe.clone(),
            uid: self.uid,
            gid: self.gid,
            cgroup: self.cgroup.clone(),
            ..Default::default()
        }
    }
}

/// One DNS answer set.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DnsFixture {
    /// The name asked for.
    pub query: String,
    /// Resource records: `name TTL [IN] TYPE data`.
    pub answers: Vec<String>,
}

/// A pre-filled reputation store.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReputationFixture {
    /// Store name.
    pub store: String,
    /// Detector id recorded as the owner.
    #[serde(default = "fixture_owner")]
    pub owner: String,
    /// Conflict policy.
    #[serde(default)]
    pub policy: ConflictPolicy,
    /// Entries with their sources.
    pub entries: Vec<SourcedEntry>,
}

fn fixture_owner() -> String {
    "scenario".to_owned()
}

/// An entry and the source that wrote it.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SourcedEntry {
    /// Source tag.
    pub source: String,
    /// Address or CIDR prefix.
    pub ip: String,
    /// Verdict.
    pub status: ReputationStatus,
    /// 1..=10.
    pub severity: u8,
    /// Tags.
    #[serde(default)]
    pub tags: Vec<String>,
}

impl SourcedEntry {
    /// The entry, stamped at `now`.
    pub fn reputation(&self, now: u64) -> Reputation {
        Reputation {
            ip: self.ip.clone(),
            status: self.status,
            severity: self.severity,
            tags: self.tags.clone(),
            last_updated: now,
        }
    }
}

/// One expected finding. Unset parts are not checked; `fields` must be a
/// subset of the finding's fields.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Expectation {
    /// 1-based index of the triggering event in `events`.
    pub event: u64,
    /// Detector id; defaults to the detector under test.
    #[serde(default)]
    pub detector: Option<String>,
    /// Finding name.
    #[serde(default)]
    pub finding: Option<String>,
    /// Effective severity.
    #[serde(default)]
    pub severity: Option<Severity>,
    /// Fields that must be present with these values.
    #[serde(default)]
    pub fields: BTreeMap<String, Value>,
}

impl Scenario {
    /// Reads and parses a scenario file; errors name the file and line.
    pub fn from_file(path: &Path) -> Result<Self, TestkitError> {
        let text = std::fs::read_to_string(path).map_err(|source| TestkitError::Io {
            path: path.to_owned(),
            source,
        })?;
        Self::from_yaml(path, &text)
    }

    /// Parses scenario text; `path` is used in errors and to resolve
    /// relative component paths.
    pub fn from_yaml(path: &Path, text: &str) -> Result<Self, TestkitError> {
        let mut s: Scenario = serde_yaml::from_str(text).map_err(|e| TestkitError::Parse {
            path: path.to_owned(),
            line: e.location().map(|l| l.line()),
            message: e.to_string(),
        })?;
        if s.events.is_empty() {
            return Err(TestkitError::Parse {
                path: path.to_owned(),
                line: None,
                message: "a scenario needs at least one event".into(),
            });
        }
        if let Some(bad) = s
            .expect
            .iter()
            .find(|e| e.event == 0 || e.event > s.events.len() as u64)
        {
            return Err(TestkitError::Parse {
                path: path.to_owned(),
                line: None,
                message: format!(
                    "expectation refers to event {} but there are {} events",
                    bad.event,
                    s.events.len()
                ),
            });
        }
        s.path = path.to_owned();
        Ok(s)
    }

    /// Resolves a path given in the scenario against the scenario's folder.
    pub fn resolve(&self, p: &Path) -> PathBuf {
        match self.path.parent() {
            Some(dir) if p.is_relative() => dir.join(p),
            _ => p.to_owned(),
        }
    }
}
