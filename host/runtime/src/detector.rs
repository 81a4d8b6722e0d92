//! One running detector: its instance, its limits and its fault history.
//!
//! An instance lives in its own `Store`. A trap (deadline, fuel, memory,
//! stack, spent budget, guest bug) discards it; the next event gets a fresh
//! instance from the pre-instantiated component, re-initialised with the
//! same configuration. Too many faults in a row quarantine the detector.

use std::sync::Arc;

use sandtrap_model::{Detection, Event, Selector};
use sandtrap_wire::BatchFrame;
use wasmtime::component::{Func, TypedFunc};
use wasmtime::{Store, Trap};

use crate::bindings::Detector as Bindings;
use crate::component::DetectorComponent;
use crate::engine::{EPOCH_TICK, Mode, Runtime};
use crate::error::LoadError;
use crate::gather::Gather;
use crate::limits::{Limits, RateLimiter};
use crate::state::{HostState, LogLine, Output};

/// Counters of one detector.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct DetectorStats {
    /// Events delivered.
    pub events: u64,
    /// Calls into the guest; below `events` when events went in batches.
    pub calls: u64,
    /// Detections returned.
    pub detections: u64,
    /// Errors the detector returned (not traps).
    pub errors: u64,
    /// Instances lost to traps.
    pub faults: u64,
    /// Fresh instances made after a fault.
    pub restarts: u64,
    /// Log lines dropped by the rate limit.
    pub logs_dropped: u64,
    /// Events not delivered because of the events-per-second limit.
    pub shed: u64,
    /// Detections not reported because of the findings-per-second limit.
    pub suppressed: u64,
    /// Call latency histogram: counts of calls at or below each of
    /// [`LATENCY_BUCKETS_NS`], then above the last.
    pub latency_buckets: [u64; LATENCY_BUCKETS_NS.len() + 1],
    /// Sum of call latencies, ns.
    pub latency_sum_ns: u64,
}

/// Upper bounds of the call latency buckets, ns.
pub const LATENCY_BUCKETS_NS: [u64; 7] = [
    1_000,
    10_000,
    100_000,
    1_000_000,
    10_000_000,
    100_000_000,
    1_000_000_000,
];

impl DetectorStats {
    fn observe_latency(&mut self, ns: u64) {
        let i = LATENCY_BUCKETS_NS
            .iter()
            .position(|b| ns <= *b)
            .unwrap_or(LATENCY_BUCKETS_NS.len());
        self.latency_buckets[i] += 1;
        self.latency_sum_ns = self.latency_sum_ns.saturating_add(ns);
    }
}

/// A detector fault: the instance is gone.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fault {
    /// Detector id.
    pub detector: String,
    /// Deadline, fuel, memory, stack overflow, budget, or the trap text.
    pub reason: String,
}

struct Live {
    store: Store<HostState>,
    bindings: Bindings,
    /// `on-events`, typechecked against [`Gather`] when instantiated.
    on_events: Func,
}

/// A loaded detector.
pub struct Detector {
    component: Arc<DetectorComponent>,
    config: Vec<(String, String)>,
    /// The component's selectors with this instance's configuration lists
    /// read in (`in-config`, `domain-in-config`).
    selectors: Arc<[Selector]>,
    limits: Limits,
    live: Option<Live>,
    stats: DetectorStats,
    consecutive_faults: u32,
    recent_faults: std::collections::VecDeque<u64>,
    /// Host clock at the current call, for the fault window.
    clock_ns: u64,
    quarantined: Option<String>,
    last_fault: Option<String>,
    captured: Vec<LogLine>,
    event_limiter: RateLimiter,
    finding_limiter: RateLimiter,
    /// Suppressed since the last summary.
    unreported: u64,
    enabled: bool,
    /// Id under which this instance runs, when not the component's own.
    instance: Option<String>,
    /// The frame of the batch being delivered, kept so that framing a
    /// batch allocates nothing.
    frame: BatchFrame,
}

pub(crate) fn new_store(rt: &Runtime, detector_id: String, limits: &Limits) -> Store<HostState> {
    let state = HostState::new(
        detector_id,
        rt.stores.clone(),
        rt.clock.clone(),
        limits.clone(),
        rt.log_mode,
    );
    let mut store = Store::new(&rt.engine, state);
    store.limiter(|s| &mut s.limits);
    store
}

/// Gives the next call its CPU budget.
pub(crate) fn arm(rt: &Runtime, store: &mut Store<HostState>, limits: &Limits) {
    match rt.mode {
        Mode::Live => {
            let ticks = (limits.call_deadline.as_micros() / EPOCH_TICK.as_micros()).max(1);
            store.epoch_deadline_trap();
            store.set_epoch_deadline(u64::try_from(ticks).unwrap_or(u64::MAX));
        }
        Mode::Deterministic => {
            // Fuel is always enabled in this mode, so this cannot fail.
            let _ = store.set_fuel(limits.fuel_per_call);
        }
    }
    let budget = limits.store_calls_per_event;
    store.data_mut().store_budget = budget;
}

fn describe_trap(e: &wasmtime::Error, limits: &Limits) -> String {
    let trap = e.chain().find_map(|c| c.downcast_ref::<Trap>()).copied();
    match trap {
        Some(Trap::Interrupt) => format!("exceeded its CPU deadline of {:?}", limits.call_deadline),
        Some(Trap::OutOfFuel) => format!("exceeded its fuel budget of {}", limits.fuel_per_call),
        Some(Trap::StackOverflow) => "overflowed its stack".to_owned(),
        // Rust and C guests keep their stack in linear memory; running off
        // its end is an out-of-bounds access, not a wasm stack overflow.
        Some(Trap::MemoryOutOfBounds) => {
            "accessed memory out of bounds (a stack overflow in linear memory, or a wild pointer)"
                .to_owned()
        }
        Some(Trap::AllocationTooLarge) => {
            format!("exceeded its memory cap of {} bytes", limits.memory_bytes)
        }
        Some(other) => format!("trapped: {other}"),
        None => {
            // Host-side refusals (budgets, handles, memory growth) carry
            // their own message; the backtrace lines add nothing here.
            let text = e
                .chain()
                .last()
                .map(ToString::to_string)
                .unwrap_or_default();
            if text.contains("memory") && (text.contains("grow") || text.contains("limit")) {
                format!(
                    "exceeded its memory cap of {} bytes ({text})",
                    limits.memory_bytes
                )
            } else {
                format!("trapped: {text}")
            }
        }
    }
}

impl Detector {
    /// Instantiates and initialises `component` with `config`. A detector
    /// whose required stores are missing or whose `init` fails is refused.
    pub fn start(
        rt: &Runtime,
        component: Arc<DetectorComponent>,
        config: Vec<(String, String)>,
        limits: Limits,
    ) -> Result<Self, LoadError> {
        let info = component.info();
        for store in &info.required_stores {
            if !rt.stores.registry().is_available(store) {
                return Err(LoadError::MissingStore {
                    origin: component.origin.clone(),
                    detector: info.id.clone(),
                    store: store.clone(),
                });
            }
        }
        let selectors = info
            .selectors
            .iter()
            .map(|s| s.with_config(&config))
            .collect();
        let mut d = Self {
            selectors,
            event_limiter: RateLimiter::new(limits.events_per_second),
            finding_limiter: RateLimiter::new(limits.findings_per_second),
            unreported: 0,
            enabled: true,
            instance: None,
            component,
            config,
            limits,
            live: None,
            stats: DetectorStats::default(),
            consecutive_faults: 0,
            recent_faults: std::collections::VecDeque::new(),
            clock_ns: 0,
            frame: BatchFrame::default(),
            quarantined: None,
            last_fault: None,
            captured: Vec::new(),
        };
        d.live = Some(d.instantiate(rt).map_err(|message| LoadError::Init {
            origin: d.component.origin.clone(),
            detector: d.id().to_owned(),
            message,
        })?);
        Ok(d)
    }

    fn instantiate(&mut self, rt: &Runtime) -> Result<Live, String> {
        let mut store = new_store(rt, self.id().to_owned(), &self.limits);
        arm(rt, &mut store, &self.limits);
        let instance = self
            .component
            .pre
            .instance_pre()
            .instantiate(&mut store)
            .map_err(|e| describe_trap(&e, &self.limits))?;
        let bindings = self
            .component
            .indices
            .load(&mut store, &instance)
            .map_err(|e| format!("{e:#}"))?;
        let on_events = *instance
            .get_typed_func::<(Gather<'static>,), ()>(&mut store, &self.component.on_events)
            .map_err(|e| format!("on-events: {e:#}"))?
            .func();
        arm(rt, &mut store, &self.limits);
        match bindings
            .sandtrap_detector_guest()
            .call_init(&mut store, &self.config)
        {
            Ok(Ok(())) => Ok(Live {
                store,
                bindings,
                on_events,
            }),
            Ok(Err(msg)) => Err(msg),
            Err(e) => Err(describe_trap(&e, &self.limits)),
        }
    }

    /// The detector's id.
    pub fn id(&self) -> &str {
        self.instance.as_deref().unwrap_or(&self.component.info.id)
    }

    /// Runs this detector under another id, so one component can run as
    /// several instances (with different configurations). Call before the
    /// detector is added to a pipeline; the instance is re-initialised so
    /// store ownership follows the new id.
    pub fn renamed(mut self, rt: &Runtime, id: impl Into<String>) -> Result<Self, LoadError> {
        self.instance = Some(id.into());
        self.live = Some(self.instantiate(rt).map_err(|message| LoadError::Init {
            origin: self.component.origin.clone(),
            detector: self.id().to_owned(),
            message,
        })?);
        Ok(self)
    }

    /// Its component.
    pub fn component(&self) -> &Arc<DetectorComponent> {
        &self.component
    }

    /// The events it is called for: its component's selectors, with the
    /// lists its configuration names read in.
    pub fn selectors(&self) -> &Arc<[Selector]> {
        &self.selectors
    }

    /// Its counters.
    pub fn stats(&self) -> DetectorStats {
        let mut s = self.stats.clone();
        if let Some(live) = &self.live {
            s.logs_dropped += live.store.data().log_limiter.dropped;
        }
        s
    }

    /// Why it is quarantined, if it is.
    pub fn quarantined(&self) -> Option<&str> {
        self.quarantined.as_deref()
    }

    /// The last fault, if any.
    pub fn last_fault(&self) -> Option<&str> {
        self.last_fault.as_deref()
    }

    /// Log lines captured so far (capture mode only).
    pub fn take_logs(&mut self) -> Vec<LogLine> {
        if let Some(live) = &mut self.live {
            self.captured.append(&mut live.store.data_mut().logs);
        }
        std::mem::take(&mut self.captured)
    }

    /// Delivers one event. `Ok` holds the detections (possibly none, also
    /// when the detector returned an error, which is counted and logged);
    /// `Err` reports a fault that cost the instance.
    pub fn on_event(&mut self, rt: &Runtime, ev: &Event) -> Result<Vec<Detection>, Fault> {
        let mut wire = Vec::new();
        if let Err(e) = ev.encode(&mut wire) {
            self.stats.errors += 1;
            tracing::warn!(detector = %self.id(), seq = ev.seq, "event not delivered: {e}");
            return Ok(Vec::new());
        }
        let found = self.on_encoded(rt, &[&wire])?;
        Ok(found.into_iter().map(|(_, d)| d).collect())
    }

    /// Delivers several events in one call, which amortises the boundary
    /// crossing; see [`Detector::on_encoded`].
    pub fn on_batch(
        &mut self,
        rt: &Runtime,
        events: &[Event],
    ) -> Result<Vec<(usize, Detection)>, Fault> {
        let mut wires: Vec<Vec<u8>> = Vec::with_capacity(events.len());
        for ev in events {
            let mut wire = Vec::new();
            if let Err(e) = ev.encode(&mut wire) {
                // Kept as an empty event so indices still match `events`.
                self.stats.errors += 1;
                tracing::warn!(detector = %self.id(), seq = ev.seq, "event not delivered: {e}");
                wire.clear();
            }
            wires.push(wire);
        }
        let refs: Vec<&[u8]> = wires.iter().map(Vec::as_slice).collect();
        self.on_encoded(rt, &refs)
    }

    /// Delivers events already in the flat encoding ([`Event::encode`]) in
    /// one call of the guest's `on-events`. `Ok` holds each detection with
    /// the index of its event in `events`; the call shares one CPU
    /// deadline and a store-call budget of `store_calls_per_event` per
    /// event. Errors the detector returns are counted and logged; a trap
    /// is a fault that costs the instance.
    pub fn on_encoded(
        &mut self,
        rt: &Runtime,
        events: &[&[u8]],
    ) -> Result<Vec<(usize, Detection)>, Fault> {
        if self.quarantined.is_some() || events.is_empty() {
            return Ok(Vec::new());
        }
        self.clock_ns = rt.clock.now_ns();
        // Every event of a call shares one clock reading, so the limiter
        // keeps a prefix of the batch and sheds the rest.
        let kept = self.event_limiter.allow_n(self.clock_ns, events.len());
        self.stats.shed += (events.len() - kept) as u64;
        let events = &events[..kept];
        if events.is_empty() {
            return Ok(Vec::new());
        }
        self.ensure_instance(rt)?;
        self.stats.events += events.len() as u64;
        self.stats.calls += 1;
        if let Err(e) = self.frame.plan(events) {
            self.stats.errors += events.len() as u64;
            tracing::warn!(detector = %self.id(), "batch not delivered: {e}");
            return Ok(Vec::new());
        }
        let started = std::time::Instant::now();
        let limits = &self.limits;
        let live = self.live.as_mut().expect("instance present: made above");
        arm(rt, &mut live.store, limits);
        let per_event = limits.store_calls_per_event;
        let state = live.store.data_mut();
        state.store_budget =
            per_event.saturating_mul(u32::try_from(events.len()).unwrap_or(u32::MAX));
        state.output = Some(Output::default());
        // SAFETY: `on_events` was typechecked against `(Gather<'static>,)`
        // when the instance was made; only the lifetime differs here.
        #[allow(unsafe_code, reason = "a typechecked function, typed again per call")]
        let on_events = unsafe { TypedFunc::<(Gather<'_>,), ()>::new_unchecked(live.on_events) };
        let gather = Gather {
            frame: &self.frame,
            events,
        };
        let result = on_events.call(&mut live.store, (gather,));
        let out = live.store.data_mut().output.take().unwrap_or_default();
        let ns = u64::try_from(started.elapsed().as_nanos()).unwrap_or(u64::MAX);
        self.stats.observe_latency(ns);
        match result {
            Ok(()) => {
                self.consecutive_faults = 0;
                self.stats.errors += out.errors.len() as u64;
                for (index, message) in &out.errors {
                    let seq = events
                        .get(*index as usize)
                        .map(|e| sandtrap_wire::EventView::new(e).seq());
                    tracing::warn!(detector = %self.id(), seq, "detector error: {message}");
                }
                self.stats.detections += out.detections.len() as u64;
                // The clock read at the start of the call: a clock read
                // was a sixth of a one-event call, and the limiter's
                // window is a second.
                let now = self.clock_ns;
                let mut kept = Vec::with_capacity(out.detections.len());
                for (index, detection) in out.detections {
                    // An index outside the batch is the guest's bug; the
                    // detection cannot be placed, so it is counted as an error.
                    let i = index as usize;
                    if i >= events.len() {
                        self.stats.errors += 1;
                        continue;
                    }
                    if self.finding_limiter.allow(now) {
                        kept.push((i, detection));
                    } else {
                        self.stats.suppressed += 1;
                        self.unreported += 1;
                    }
                }
                Ok(kept)
            }
            Err(e) => {
                let reason = describe_trap(&e, &self.limits);
                Err(self.fault(reason))
            }
        }
    }

    /// Counts events the pipeline shed before they reached this detector
    /// (its queue was full).
    pub(crate) fn note_shed(&mut self, n: u64) {
        self.stats.shed += n;
    }

    /// Makes a fresh instance after a fault discarded the last one.
    fn ensure_instance(&mut self, rt: &Runtime) -> Result<(), Fault> {
        if self.live.is_none() {
            match self.instantiate(rt) {
                Ok(live) => {
                    self.stats.restarts += 1;
                    self.live = Some(live);
                }
                Err(reason) => return Err(self.fault(format!("restart failed: {reason}"))),
            }
        }
        Ok(())
    }

    /// Whether events are delivered (`sandtrap ctl disable` turns it off).
    pub fn enabled(&self) -> bool {
        self.enabled
    }

    /// Turns delivery on or off; a disabled detector keeps its instance.
    pub fn set_enabled(&mut self, on: bool) {
        self.enabled = on;
    }

    /// Detections suppressed since the last call, once the findings limit
    /// has room again: the host reports them as one summary finding, so
    /// nothing is dropped silently.
    pub fn take_suppressed(&mut self, now_ns: u64) -> Option<u64> {
        if self.unreported == 0 {
            return None;
        }
        self.take_suppressed_at(now_ns)
    }

    /// Whether detections are waiting to be summarised.
    pub(crate) fn has_suppressed(&self) -> bool {
        self.unreported != 0
    }

    fn take_suppressed_at(&mut self, now_ns: u64) -> Option<u64> {
        if self.unreported == 0 || !self.finding_limiter.allow(now_ns) {
            return None;
        }
        Some(std::mem::take(&mut self.unreported))
    }

    fn fault(&mut self, reason: String) -> Fault {
        if let Some(mut live) = self.live.take() {
            self.captured.append(&mut live.store.data_mut().logs);
            self.stats.logs_dropped += live.store.data().log_limiter.dropped;
        }
        self.stats.faults += 1;
        self.consecutive_faults += 1;
        tracing::warn!(detector = %self.id(), "instance discarded: {reason}");
        // Two breakers: faults in a row, and faults within a time window
        // (a detector that fails every other event never trips the first).
        let now = self.clock_ns;
        let window = u64::try_from(self.limits.fault_window.as_nanos()).unwrap_or(u64::MAX);
        self.recent_faults.push_back(now);
        while self
            .recent_faults
            .front()
            .is_some_and(|t| now.saturating_sub(*t) > window)
        {
            self.recent_faults.pop_front();
        }
        let why = if self.consecutive_faults >= self.limits.max_consecutive_faults {
            Some(format!(
                "{} consecutive faults, last: {reason}",
                self.consecutive_faults
            ))
        } else if self.recent_faults.len() >= self.limits.max_faults_per_window as usize {
            Some(format!(
                "{} faults within {:?}, last: {reason}",
                self.recent_faults.len(),
                self.limits.fault_window
            ))
        } else {
            None
        };
        if let Some(why) = why {
            tracing::error!(detector = %self.id(), "quarantined: {why}");
            self.quarantined = Some(why);
        }
        self.last_fault = Some(reason.clone());
        Fault {
            detector: self.id().to_owned(),
            reason,
        }
    }

    /// Calls `close()` and drops the instance.
    pub fn close(&mut self, rt: &Runtime) {
        if let Some(mut live) = self.live.take() {
            arm(rt, &mut live.store, &self.limits);
            if let Err(e) = live
                .bindings
                .sandtrap_detector_guest()
                .call_close(&mut live.store)
            {
                tracing::warn!(detector = %self.id(), "close() failed: {}", describe_trap(&e, &self.limits));
            }
            self.captured.append(&mut live.store.data_mut().logs);
        }
    }
}
