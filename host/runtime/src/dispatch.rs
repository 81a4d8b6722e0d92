//! The event pipeline: stores first, then host-side selection, then the
//! detectors that asked for the event, then enrichment of their findings.

use std::collections::HashMap;
use std::sync::mpsc::{Receiver, Sender, channel};
use std::sync::{Arc, Mutex, MutexGuard, OnceLock, PoisonError};
use std::time::Duration;

use sandtrap_model::{AssumeListed, DetectorRef, Event, Finding, Selector, SelectorStores};

use crate::component::DetectorComponent;
use crate::detector::{Detector, Fault};
use crate::engine::Runtime;
use crate::error::LoadError;
use crate::worker::{Job, Queue, SUMMARY_INTERVAL, Worker};

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

/// How many events may wait for one detector in threaded mode before the
/// dispatcher sheds further events for it.
///
/// A worker that keeps up on average still waits for the CPU now and then:
/// on two cores shared with the traced workload and the dispatcher, a
/// scheduler's slice of a few milliseconds at a million events a second is
/// thousands of events. With 4,096 the live benchmark's open storm shed
/// about 1 % of its events for a detector that reads every one; with
/// 16,384 (still less than the kernel's 8 MiB ring buffer holds) it shed
/// none. The events are shared by every queue, so a full queue holds
/// references, not copies.
pub const DEFAULT_QUEUE_CAPACITY: usize = 16_384;

/// Runs detectors over a stream of events.
///
/// Sequential (the default, [`Dispatcher::new`]): each event is delivered
/// to every detector in turn before `process` returns, so output is
/// deterministic — the mode of replays and the mock host. Threaded
/// ([`Dispatcher::threaded`]): each detector drains its own queue on its own
/// thread, so one that stalls delays nobody else (see the `worker` module);
/// `process` returns what the detectors finished so far.
pub struct Dispatcher {
    rt: Arc<Runtime>,
    slots: Vec<Slot>,
    by_event: HashMap<String, Vec<usize>>,
    wildcard: Vec<usize>,
    next_seq: u64,
    stats: DispatchStats,
    threads: Option<Threads>,
    /// Summaries of detectors that left the pipeline (sequential mode).
    pending: Vec<Finding>,
}

/// One loaded detector. The id, component and enabled flag are kept
/// outside the detector's lock so selection never waits for a busy worker.
struct Slot {
    id: String,
    component: Arc<DetectorComponent>,
    /// The detector's selectors, its configuration's lists read in.
    selectors: Arc<[Selector]>,
    enabled: bool,
    detector: Arc<Mutex<Detector>>,
    worker: Option<Worker>,
    /// Sequential mode: the detector may hold suppressed detections to
    /// summarise. Kept here so that an event does not lock every detector
    /// to ask.
    suppressing: bool,
}

struct Threads {
    capacity: usize,
    /// Passed to each worker started from now on (see [`Dispatcher::summary_interval`]).
    idle: Duration,
    tx: Sender<Outcome>,
    rx: Receiver<Outcome>,
    /// Workers of removed detectors, finishing their queues.
    retiring: Vec<Worker>,
}

/// Locks a detector; a worker that panicked while holding it leaves it
/// usable (its counters are plain data).
pub(crate) fn lock(d: &Mutex<Detector>) -> MutexGuard<'_, Detector> {
    d.lock().unwrap_or_else(PoisonError::into_inner)
}

impl Dispatcher {
    /// An empty sequential pipeline over `rt`.
    pub fn new(rt: Arc<Runtime>) -> Self {
        Self {
            rt,
            slots: Vec::new(),
            by_event: HashMap::new(),
            wildcard: Vec::new(),
            next_seq: 1,
            stats: DispatchStats::default(),
            threads: None,
            pending: Vec::new(),
        }
    }

    /// An empty pipeline that runs each detector on its own thread, with up
    /// to `queue_capacity` events waiting per detector.
    pub fn threaded(rt: Arc<Runtime>, queue_capacity: usize) -> Self {
        let (tx, rx) = channel();
        let mut d = Self::new(rt);
        d.threads = Some(Threads {
            capacity: queue_capacity,
            idle: SUMMARY_INTERVAL,
            tx,
            rx,
            retiring: Vec::new(),
        });
        d
    }

    /// Threaded: how long a worker with nothing to do sleeps before it
    /// reports the findings its limit suppressed (default 1 s), for the
    /// workers of detectors added from now on. A sleeping worker is woken
    /// by 256 waiting events (eight calls' worth), so fewer also wait that
    /// long unless [`poll`](Self::poll) wakes it, which is why the live
    /// loop polls after each read of the ring buffers. No effect when
    /// sequential.
    pub fn summary_interval(mut self, every: Duration) -> Self {
        if let Some(t) = &mut self.threads {
            t.idle = every;
        }
        self
    }

    /// Whether detectors run on their own threads.
    pub fn is_threaded(&self) -> bool {
        self.threads.is_some()
    }

    /// The runtime.
    pub fn runtime(&self) -> &Arc<Runtime> {
        &self.rt
    }

    fn position(&self, id: &str) -> Option<usize> {
        self.slots.iter().position(|s| s.id == id)
    }

    fn slot(&self, detector: Detector) -> Result<Slot, LoadError> {
        let id = detector.id().to_owned();
        let component = detector.component().clone();
        let selectors = detector.selectors().clone();
        let enabled = detector.enabled();
        let suppressing = detector.has_suppressed();
        let detector = Arc::new(Mutex::new(detector));
        let worker = match &self.threads {
            None => None,
            Some(t) => Some(
                Worker::spawn(
                    self.rt.clone(),
                    detector.clone(),
                    t.capacity,
                    t.idle,
                    t.tx.clone(),
                )
                .map_err(|e| LoadError::Init {
                    origin: component.origin().to_owned(),
                    detector: id.clone(),
                    message: format!("cannot start its thread: {e}"),
                })?,
            ),
        };
        Ok(Slot {
            id,
            component,
            selectors,
            enabled,
            detector,
            worker,
            suppressing,
        })
    }

    /// Adds a started detector; its id must be unique.
    pub fn add(&mut self, detector: Detector) -> Result<(), LoadError> {
        if let Some(other) = self.slots.iter().find(|s| s.id == detector.id()) {
            return Err(LoadError::DuplicateId {
                origin: detector.component().origin().to_owned(),
                detector: detector.id().to_owned(),
                other: other.component.origin().to_owned(),
            });
        }
        let slot = self.slot(detector)?;
        self.slots.push(slot);
        self.reindex();
        Ok(())
    }

    /// Puts `detector` in place of the loaded one with the same id (or adds
    /// it); `Ok(true)` when it replaced one. Every event is seen by exactly
    /// one of the two versions: the old one gets every event dispatched
    /// before this call, then is closed.
    pub fn replace(&mut self, detector: Detector) -> Result<bool, LoadError> {
        let Some(i) = self.position(detector.id()) else {
            self.add(detector)?;
            return Ok(false);
        };
        let slot = &mut self.slots[i];
        slot.component = detector.component().clone();
        slot.selectors = detector.selectors().clone();
        slot.enabled = detector.enabled();
        match &slot.worker {
            Some(w) => w.queue.push_control(Job::Swap(Box::new(detector))),
            None => {
                let mut old = std::mem::replace(&mut *lock(&slot.detector), detector);
                retire(&self.rt, &mut old, &mut self.pending);
            }
        }
        self.reindex();
        Ok(true)
    }

    /// Takes the detector with this id out of the pipeline and closes it
    /// once it has seen every event dispatched so far; `false` when no
    /// detector has this id.
    pub fn remove(&mut self, id: &str) -> bool {
        let Some(i) = self.position(id) else {
            return false;
        };
        let slot = self.slots.remove(i);
        match (slot.worker, &mut self.threads) {
            (Some(w), Some(t)) => {
                w.queue.push_control(Job::Close);
                t.retiring.push(w);
            }
            _ => retire(&self.rt, &mut lock(&slot.detector), &mut self.pending),
        }
        self.reindex();
        true
    }

    fn reindex(&mut self) {
        self.by_event.clear();
        self.wildcard.clear();
        for (i, s) in self.slots.iter().enumerate() {
            let mut names: Vec<&str> = s.selectors.iter().map(|s| s.event.as_str()).collect();
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
        self.link_store_owners();
    }

    /// Threaded mode: each detector waits for the owners of the writable
    /// stores it declared (owners register their stores in `init`).
    fn link_store_owners(&self) {
        let registry = self.rt.stores().registry();
        for s in &self.slots {
            let Some(w) = &s.worker else { continue };
            let info = s.component.info();
            let mut owners: Vec<Arc<Queue>> = Vec::new();
            for store in info.required_stores.iter().chain(&info.optional_stores) {
                let Ok(meta) = registry.get_metadata(store) else {
                    continue;
                };
                let Some(owner) = meta.owner.as_deref().filter(|o| *o != s.id) else {
                    continue;
                };
                if let Some(q) = self
                    .slots
                    .iter()
                    .find(|o| o.id == owner)
                    .and_then(|o| o.worker.as_ref())
                    .map(|o| o.queue.clone())
                    && !owners.iter().any(|x| Arc::ptr_eq(x, &q))
                {
                    owners.push(q);
                }
            }
            w.queue.set_owners(owners);
        }
    }

    /// Ids of the loaded detectors, in load order, without waiting for any.
    pub fn ids(&self) -> impl Iterator<Item = &str> {
        self.slots.iter().map(|s| s.id.as_str())
    }

    /// Id and component of each loaded detector, without waiting for any.
    pub(crate) fn components(&self) -> impl Iterator<Item = (&str, &Arc<DetectorComponent>)> {
        self.slots.iter().map(|s| (s.id.as_str(), &s.component))
    }

    /// The loaded detectors, locked. In threaded mode this waits for each
    /// to finish the call it is in (at most its CPU deadline).
    pub fn detectors(&self) -> Vec<MutexGuard<'_, Detector>> {
        self.slots.iter().map(|s| lock(&s.detector)).collect()
    }

    /// Turns delivery to a detector on or off; `false` when no detector
    /// has this id.
    pub fn set_enabled(&mut self, id: &str, on: bool) -> bool {
        let Some(i) = self.position(id) else {
            return false;
        };
        self.slots[i].enabled = on;
        lock(&self.slots[i].detector).set_enabled(on);
        true
    }

    /// Pipeline counters.
    pub fn stats(&self) -> &DispatchStats {
        &self.stats
    }

    /// Runs one event through the pipeline. Sequential: returns what this
    /// event produced. Threaded: queues it and returns what the detectors
    /// finished since the last call.
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
        // Moved, not copied: worker queues share it, and an event no
        // detector selects costs no copy of its strings.
        let ev = Arc::new(Dispatched::new(ev));
        let stores: &dyn SelectorStores = self.rt.stores().as_ref();
        for &i in candidates {
            let s = &self.slots[i];
            if !s.enabled {
                continue;
            }
            // A store-backed filter (`blacklisted-in`) must be answered once
            // the owners of the stores the detector reads have handled every
            // earlier event. Threaded, they usually have, and it is answered
            // here: an event the filter rejects then costs its worker
            // nothing. When an owner is behind it passes here, and the
            // worker answers it after waiting for the owner (see `worker`).
            let answered_here = match &s.worker {
                Some(w) => {
                    !s.selectors.iter().any(Selector::uses_stores) || w.queue.owners_passed(ev.seq)
                }
                None => true,
            };
            let stores = if answered_here { stores } else { &AssumeListed };
            if !s.selectors.iter().any(|x| x.matches(&ev, stores)) {
                continue;
            }
            selected = true;
            match &s.worker {
                Some(w) => {
                    if w.queue.push_event(&ev) {
                        self.stats.calls += 1;
                    }
                }
                None => {
                    self.stats.calls += 1;
                    let mut d = lock(&s.detector);
                    deliver(&self.rt, &mut d, std::slice::from_ref(&ev), &mut out);
                    let suppressing = d.has_suppressed();
                    drop(d);
                    self.slots[i].suppressing |= suppressing;
                }
            }
        }
        if !selected {
            self.stats.unselected += 1;
        }
        if self.threads.is_none() {
            // The clock is read only when something waits to be summarised:
            // this runs for every event.
            let mut now = None;
            for s in self.slots.iter_mut().filter(|s| s.suppressing) {
                let mut d = lock(&s.detector);
                let now = *now.get_or_insert_with(|| self.rt.clock.now_ns());
                if let Some(n) = d.take_suppressed(now) {
                    out.findings.push(suppression_summary(&d, &ev, n));
                }
                s.suppressing = d.has_suppressed();
            }
        }
        self.collect(&mut out);
        out
    }

    /// What the detectors finished since the last call, without sending an
    /// event (threaded mode; sequential mode has nothing in flight).
    ///
    /// Threaded mode also wakes every detector that has events waiting: a
    /// worker is otherwise woken only when a full batch waits for it, so a
    /// caller calls this whenever it runs out of input for the moment, as
    /// the live loop does after each read of the ring buffers.
    pub fn poll(&mut self) -> Outcome {
        for w in self.slots.iter().filter_map(|s| s.worker.as_ref()) {
            w.queue.wake();
        }
        let mut out = Outcome::default();
        self.collect(&mut out);
        out
    }

    /// Waits until every detector has taken every event dispatched so far,
    /// and returns what they produced.
    pub fn drain(&mut self) -> Outcome {
        // All woken first, so they work through their queues side by side.
        for w in self.slots.iter().filter_map(|s| s.worker.as_ref()) {
            w.queue.wake();
        }
        for w in self.slots.iter().filter_map(|s| s.worker.as_ref()) {
            w.queue.wait_idle();
        }
        if let Some(t) = &mut self.threads {
            for w in &mut t.retiring {
                w.join();
            }
            t.retiring.clear();
        }
        self.poll()
    }

    fn collect(&mut self, out: &mut Outcome) {
        out.findings.append(&mut self.pending);
        if let Some(t) = &mut self.threads {
            for o in t.rx.try_iter() {
                out.findings.extend(o.findings);
                out.faults.extend(o.faults);
            }
            t.retiring.retain(|w| !w.is_finished());
        }
        self.stats.findings += out.findings.len() as u64;
    }

    /// Delivers what is queued, then closes every detector; returns the
    /// last findings, including summaries of findings still suppressed, so
    /// none goes unreported.
    pub fn close(&mut self) -> Outcome {
        let mut slots = std::mem::take(&mut self.slots);
        for s in &mut slots {
            match &s.worker {
                Some(w) => w.queue.push_control(Job::Close),
                None => retire(&self.rt, &mut lock(&s.detector), &mut self.pending),
            }
        }
        for s in &mut slots {
            if let Some(w) = &mut s.worker {
                w.join();
            }
        }
        self.reindex();
        self.drain()
    }
}

impl Drop for Dispatcher {
    /// Workers of a dispatcher dropped without `close` finish their queues
    /// and close their detectors on their own.
    fn drop(&mut self) {
        for s in &self.slots {
            if let Some(w) = &s.worker {
                w.queue.push_control(Job::Close);
            }
        }
    }
}

/// An event on its way to the detectors, with its flat encoding for the
/// boundary: made when the first detector takes it, then shared by every
/// other, so the host encodes an event once however many detectors read it.
pub(crate) struct Dispatched {
    event: Event,
    wire: OnceLock<Vec<u8>>,
}

impl Dispatched {
    pub(crate) fn new(event: Event) -> Self {
        Self {
            event,
            wire: OnceLock::new(),
        }
    }

    /// The encoding; empty for an event too large to frame (beyond 4 GiB,
    /// which the collector's bounds rule out), which a detector then reads
    /// as an empty event rather than the host failing.
    pub(crate) fn wire(&self) -> &[u8] {
        self.wire.get_or_init(|| {
            let mut out = Vec::with_capacity(256);
            if let Err(e) = self.event.encode(&mut out) {
                tracing::warn!(seq = self.event.seq, "event not encodable: {e}");
                out.clear();
            }
            out
        })
    }
}

impl std::ops::Deref for Dispatched {
    type Target = Event;
    fn deref(&self) -> &Event {
        &self.event
    }
}

/// Calls one detector with a run of events in stream order and enriches
/// what it found.
pub(crate) fn deliver(rt: &Runtime, d: &mut Detector, evs: &[Arc<Dispatched>], out: &mut Outcome) {
    // The sequential pipeline delivers one event at a time: its slice of
    // one needs no allocation.
    let one;
    let many: Vec<&[u8]>;
    let wires: &[&[u8]] = if let [ev] = evs {
        one = [ev.wire()];
        &one
    } else {
        many = evs.iter().map(|e| e.wire()).collect();
        &many
    };
    match d.on_encoded(rt, wires) {
        Ok(detections) => {
            for (i, det) in detections {
                out.findings.push(enrich(rt, d, &evs[i], det));
            }
        }
        Err(fault) => out.faults.push(fault),
    }
}

/// Closes a detector that leaves a sequential pipeline.
fn retire(rt: &Runtime, d: &mut Detector, pending: &mut Vec<Finding>) {
    if let Some(n) = d.take_suppressed(u64::MAX) {
        pending.push(suppression_summary(d, &shutdown_event(rt), n));
    }
    d.close(rt);
}

/// The event a summary refers to when no event is at hand.
pub(crate) fn shutdown_event(rt: &Runtime) -> Event {
    Event {
        seq: 0,
        timestamp: rt.clock.now_ns(),
        name: "host_shutdown".into(),
        process: Default::default(),
        args: vec![],
    }
}

/// The finding that stands for `n` detections a detector's findings limit
/// suppressed.
pub(crate) fn suppression_summary(d: &Detector, ev: &Event, n: u64) -> Finding {
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
