//! The event pipeline: stores first, then host-side selection, then the
//! detectors that asked for the event, then enrichment of their findings.

use std::collections::HashMap;
use std::sync::Arc;

use sandtrap_model::{DetectorRef, Event, Finding};

use crate::detector::{Detector, Fault};
use crate::engine::Runtime;
use crate::error::LoadError;

/// Ancestors attached to a finding (parent, grandparent, …).
pub const FINDING_ANCESTRY_DEPTH: u32 = 8;

/// What one event produced.
#[derive(Debug, Default)]
pub struct Outcome {
    /// Enriched findings, in detector order.
    pub findings: Vec<Finding>,
    /// Detectors that lost their instance on this event.
    pub faults: Vec<Fault>,
}

/// Pipeline counters.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct DispatchStats {
    /// Events seen.
    pub events: u64,
    /// Events no detector selected (no wasm call made).
    pub unselected: u64,
    /// Detector calls made.
    pub calls: u64,
    /// Findings produced.
    pub findings: u64,
}

/// Runs detectors over a stream of events.
pub struct Dispatcher {
    rt: Arc<Runtime>,
    detectors: Vec<Detector>,
    by_event: HashMap<String, Vec<usize>>,
    wildcard: Vec<usize>,
    next_seq: u64,
    stats: DispatchStats,
}

impl Dispatcher {
    /// An empty pipeline over `rt`.
    pub fn new(rt: Arc<Runtime>) -> Self {
        Self {
            rt,
            detectors: Vec::new(),
            by_event: HashMap::new(),
            wildcard: Vec::new(),
            next_seq: 1,
            stats: DispatchStats::default(),
        }
    }

    /// The runtime.
    pub fn runtime(&self) -> &Arc<Runtime> {
        &self.rt
    }

    /// Adds a started detector; its id must be unique.
    pub fn add(&mut self, detector: Detector) -> Result<(), LoadError> {
        if let Some(other) = self.detectors.iter().find(|d| d.id() == detector.id()) {
            return Err(LoadError::DuplicateId {
                origin: detector.component().origin().to_owned(),
                detector: detector.id().to_owned(),
                other: other.component().origin().to_owned(),
            });
        }
        self.detectors.push(detector);
        self.reindex();
        Ok(())
    }

    /// Puts `detector` in place of the loaded one with the same id (or adds
    /// it) and returns the one it replaced, still open: the caller closes
    /// it. Takes effect between two events, so every event is seen by
    /// exactly one of the two versions.
    pub fn replace(&mut self, detector: Detector) -> Option<Detector> {
        let old = match self.detectors.iter().position(|d| d.id() == detector.id()) {
            Some(i) => Some(std::mem::replace(&mut self.detectors[i], detector)),
            None => {
                self.detectors.push(detector);
                None
            }
        };
        self.reindex();
        old
    }

    /// Takes the detector with this id out of the pipeline.
    pub fn remove(&mut self, id: &str) -> Option<Detector> {
        let i = self.detectors.iter().position(|d| d.id() == id)?;
        let d = self.detectors.remove(i);
        self.reindex();
        Some(d)
    }

    fn reindex(&mut self) {
        self.by_event.clear();
        self.wildcard.clear();
        for (i, d) in self.detectors.iter().enumerate() {
            let mut names: Vec<&str> = d
                .component()
                .info()
                .selectors
                .iter()
                .map(|s| s.event.as_str())
                .collect();
            names.sort_unstable();
            names.dedup();
            for name in names {
                if name == "*" {
                    self.wildcard.push(i);
                } else {
                    self.by_event.entry(name.to_owned()).or_default().push(i);
                }
            }
        }
        for list in self.by_event.values_mut() {
            list.extend(self.wildcard.iter().copied());
            list.sort_unstable();
            list.dedup();
        }
    }

    /// The loaded detectors.
    pub fn detectors(&self) -> &[Detector] {
        &self.detectors
    }

    /// Mutable access, e.g. to take captured logs.
    pub fn detectors_mut(&mut self) -> &mut [Detector] {
        &mut self.detectors
    }

    /// Pipeline counters.
    pub fn stats(&self) -> &DispatchStats {
        &self.stats
    }

    /// Runs one event through the pipeline.
    pub fn process(&mut self, mut ev: Event) -> Outcome {
        if ev.seq == 0 {
            ev.seq = self.next_seq;
        }
        self.next_seq = self.next_seq.max(ev.seq.saturating_add(1));
        if ev.timestamp == 0 {
            ev.timestamp = self.rt.stores().clock().now_ns();
        }
        self.stats.events += 1;
        // Stores see the event before any detector does, so a detector that
        // looks up the process of this very exec finds it.
        self.rt.stores().apply(&mut ev);

        let candidates = self.by_event.get(&ev.name).unwrap_or(&self.wildcard);
        let mut out = Outcome::default();
        let mut selected = false;
        for &i in candidates {
            let d = &mut self.detectors[i];
            if !d.enabled() {
                continue;
            }
            if !d
                .component()
                .info()
                .selectors
                .iter()
                .any(|s| s.matches(&ev))
            {
                continue;
            }
            selected = true;
            self.stats.calls += 1;
            match d.on_event(&self.rt, &ev) {
                Ok(detections) => {
                    for det in detections {
                        out.findings.push(enrich(&self.rt, d, &ev, det));
                    }
                }
                Err(fault) => out.faults.push(fault),
            }
        }
        if !selected {
            self.stats.unselected += 1;
        }
        let now = self.rt.clock.now_ns();
        for d in &mut self.detectors {
            if let Some(n) = d.take_suppressed(now) {
                out.findings.push(suppression_summary(d, &ev, n));
            }
        }
        self.stats.findings += out.findings.len() as u64;
        out
    }

    /// Closes every detector; returns the summaries of findings still
    /// suppressed, so none goes unreported.
    pub fn close(&mut self) -> Vec<Finding> {
        let mut out = Vec::new();
        for d in &mut self.detectors {
            if let Some(n) = d.take_suppressed(u64::MAX) {
                let last = Event {
                    seq: 0,
                    timestamp: self.rt.clock.now_ns(),
                    name: "host_shutdown".into(),
                    process: Default::default(),
                    args: vec![],
                };
                out.push(suppression_summary(d, &last, n));
            }
            d.close(&self.rt);
        }
        out
    }
}

/// The finding that stands for `n` detections a detector's findings limit
/// suppressed.
fn suppression_summary(d: &Detector, ev: &Event, n: u64) -> Finding {
    let info = d.component().info();
    Finding {
        timestamp: ev.timestamp,
        detector: DetectorRef {
            id: d.id().to_owned(),
            name: info.name.clone(),
            version: info.version.clone(),
        },
        definition: sandtrap_model::FindingDefinition {
            name: "findings_suppressed".into(),
            description: "Findings over the detector's per-second limit, reported as a count"
                .into(),
            severity: sandtrap_model::Severity::Info,
            mitre_tactic: String::new(),
            mitre_technique: String::new(),
            fields: vec!["suppressed".into(), "finding".into()],
        },
        severity: sandtrap_model::Severity::Info,
        fields: vec![
            sandtrap_model::Arg::new("suppressed", n),
            sandtrap_model::Arg::new("finding", info.finding.name.as_str()),
        ],
        event: ev.clone(),
        process: None,
        ancestry: Vec::new(),
        container: None,
    }
}

/// Adds what the host knows to a detection: definition, process, ancestry
/// and container.
fn enrich(rt: &Runtime, d: &Detector, ev: &Event, det: sandtrap_model::Detection) -> Finding {
    let info = d.component().info();
    let registry = rt.stores().registry();
    let processes = registry.processes();
    let process = processes.get_process(ev.process.entity_id).ok();
    let ancestry = processes
        .get_ancestry(ev.process.entity_id, FINDING_ANCESTRY_DEPTH + 1)
        .map(|mut a| {
            if !a.is_empty() {
                a.remove(0);
            }
            a
        })
        .unwrap_or_default();
    let container = if ev.process.container_id.is_empty() {
        None
    } else {
        registry
            .containers()
            .get_container(&ev.process.container_id)
            .ok()
    };
    Finding {
        timestamp: ev.timestamp,
        detector: DetectorRef {
            id: d.id().to_owned(),
            name: info.name.clone(),
            version: info.version.clone(),
        },
        severity: det.severity.unwrap_or(info.finding.severity),
        definition: info.finding.clone(),
        fields: det.fields,
        event: ev.clone(),
        process,
        ancestry,
        container,
    }
}
