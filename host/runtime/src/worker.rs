//! Per-detector worker threads, so a detector that stalls costs only its
//! own throughput.
//!
//! The dispatcher applies the stores and the host-side selectors on its own
//! thread, then queues the event to each detector that selected it. Every
//! detector drains its own bounded FIFO on its own thread; a full queue
//! sheds the event for that detector alone (counted as `shed`).
//!
//! A worker takes every event waiting in its queue, up to [`MAX_BATCH`],
//! in one call of the detector, so the boundary is crossed once per batch
//! when the detector falls behind and once per event when it keeps up.
//!
//! One ordering is kept across threads: a detector that declares a
//! writable store (required or optional) sees every write the store's owner
//! made for earlier events. Before taking event N, a worker waits until the
//! owners of the stores it declared have nothing earlier than N left, so a
//! feed's write for a DNS answer lands before the connect that follows it
//! is judged. Waiting only ever goes towards smaller sequence numbers, so
//! two detectors that read each other's stores cannot deadlock.

use std::collections::VecDeque;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc::Sender;
use std::sync::{Arc, Condvar, Mutex, MutexGuard, PoisonError};
use std::thread::JoinHandle;
use std::time::Duration;

use sandtrap_model::Event;
use sandtrap_stores::Stores;

use crate::detector::Detector;
use crate::dispatch::{Dispatched, Outcome, deliver, lock, suppression_summary};
use crate::engine::Runtime;

/// How often an idle worker reports findings its limit suppressed.
const SUMMARY_INTERVAL: Duration = Duration::from_secs(1);

/// Most events handed to a detector in one call. The call shares one CPU
/// deadline, so this bounds how much one slow event can cost its
/// neighbours in the batch.
pub const MAX_BATCH: usize = 32;

pub(crate) enum Job {
    Event(Arc<Dispatched>),
    /// Put this version in place; the old one has seen every earlier event
    /// and is closed.
    Swap(Box<Detector>),
    /// Close the detector after every earlier event and end the thread.
    Close,
}

#[derive(Default)]
struct State {
    jobs: VecDeque<Job>,
    /// Sequence number of the first event being delivered.
    busy: Option<u64>,
    /// A job (event, swap or close) is in progress.
    working: bool,
    finished: bool,
}

impl State {
    /// The smallest sequence number not yet delivered. Jobs are queued in
    /// stream order, so the first queued event is the smallest.
    fn floor(&self) -> u64 {
        let queued = self.jobs.iter().find_map(|j| match j {
            Job::Event(e) => Some(e.seq),
            _ => None,
        });
        self.busy
            .into_iter()
            .chain(queued)
            .min()
            .unwrap_or(u64::MAX)
    }
}

/// A detector's job queue.
pub(crate) struct Queue {
    state: Mutex<State>,
    /// Signalled when a job is queued and when one is finished.
    changed: Condvar,
    capacity: usize,
    /// Events shed because the queue was full, not yet counted by the
    /// detector.
    shed: AtomicU64,
    /// Queues of the owners of the writable stores this detector declared.
    owners: Mutex<Vec<Arc<Queue>>>,
}

impl Queue {
    fn new(capacity: usize) -> Self {
        Self {
            state: Mutex::new(State::default()),
            changed: Condvar::new(),
            capacity: capacity.max(1),
            shed: AtomicU64::new(0),
            owners: Mutex::new(Vec::new()),
        }
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Queues an event; `false` when the queue is full and it was shed.
    pub(crate) fn push_event(&self, ev: &Arc<Dispatched>) -> bool {
        let mut st = self.lock();
        if st.jobs.len() >= self.capacity {
            drop(st);
            self.shed.fetch_add(1, Ordering::Relaxed);
            return false;
        }
        st.jobs.push_back(Job::Event(ev.clone()));
        drop(st);
        self.changed.notify_all();
        true
    }

    /// Queues a swap or a close; these are never shed.
    pub(crate) fn push_control(&self, job: Job) {
        self.lock().jobs.push_back(job);
        self.changed.notify_all();
    }

    pub(crate) fn set_owners(&self, owners: Vec<Arc<Queue>>) {
        *self.owners.lock().unwrap_or_else(PoisonError::into_inner) = owners;
    }

    /// Blocks until every event before `seq` has been delivered.
    fn wait_before(&self, seq: u64) {
        let mut st = self.lock();
        while !st.finished && st.floor() < seq {
            st = self
                .changed
                .wait(st)
                .unwrap_or_else(PoisonError::into_inner);
        }
    }

    /// Blocks until the queue is empty and nothing is being delivered.
    pub(crate) fn wait_idle(&self) {
        let mut st = self.lock();
        while !st.finished && (st.working || !st.jobs.is_empty()) {
            st = self
                .changed
                .wait(st)
                .unwrap_or_else(PoisonError::into_inner);
        }
    }
}

/// A detector's thread and its queue.
pub(crate) struct Worker {
    pub(crate) queue: Arc<Queue>,
    thread: Option<JoinHandle<()>>,
}

impl Worker {
    pub(crate) fn spawn(
        rt: Arc<Runtime>,
        detector: Arc<Mutex<Detector>>,
        capacity: usize,
        results: Sender<Outcome>,
    ) -> std::io::Result<Self> {
        let queue = Arc::new(Queue::new(capacity));
        let id = lock(&detector).id().to_owned();
        // Thread names show in `top -H`; Linux keeps 15 bytes.
        let name: String = format!("st:{id}").chars().take(15).collect();
        let q = queue.clone();
        let thread = std::thread::Builder::new()
            .name(name)
            .spawn(move || run(&rt, &detector, &q, &results))?;
        Ok(Self {
            queue,
            thread: Some(thread),
        })
    }

    pub(crate) fn is_finished(&self) -> bool {
        self.thread.as_ref().is_none_or(JoinHandle::is_finished)
    }

    /// Waits for the thread after a [`Job::Close`].
    pub(crate) fn join(&mut self) {
        if let Some(t) = self.thread.take()
            && t.join().is_err()
        {
            tracing::error!("a detector worker panicked");
        }
    }
}

/// Marks the queue finished however the thread ends, so nobody waiting on
/// it (a reader of this detector's store, `drain`, `close`) waits forever.
struct Finished<'a>(&'a Queue);

impl Drop for Finished<'_> {
    fn drop(&mut self) {
        let mut st = self.0.lock();
        st.finished = true;
        st.working = false;
        st.busy = None;
        drop(st);
        self.0.changed.notify_all();
    }
}

/// What a worker does next.
enum Taken {
    /// A run of consecutive events, in stream order.
    Events(Vec<Arc<Dispatched>>),
    Swap(Box<Detector>),
    Close,
}

fn run(rt: &Runtime, detector: &Mutex<Detector>, queue: &Queue, results: &Sender<Outcome>) {
    let _finished = Finished(queue);
    let mut last: Option<Arc<Dispatched>> = None;
    loop {
        let job = next_job(rt, detector, queue, last.as_deref().map(|d| &**d), results);
        match job {
            Taken::Events(mut evs) => {
                let mut out = Outcome::default();
                let taken_last = evs.last().cloned();
                {
                    let mut d = lock(detector);
                    let shed = queue.shed.swap(0, Ordering::Relaxed);
                    if shed > 0 {
                        d.note_shed(shed);
                    }
                    // The dispatcher let store-backed filters pass; they are
                    // answered now that the owners have handled every
                    // earlier event (`next_job` waited for them).
                    let selectors = &d.component().info().selectors;
                    if selectors.iter().any(|s| s.uses_stores()) {
                        let stores: &Stores = rt.stores();
                        evs.retain(|ev| selectors.iter().any(|s| s.matches(ev, stores)));
                    }
                    if !evs.is_empty() {
                        deliver(rt, &mut d, &evs, &mut out);
                    }
                    if let Some(ev) = evs.last()
                        && let Some(n) = d.take_suppressed(rt.clock.now_ns())
                    {
                        out.findings.push(suppression_summary(&d, ev, n));
                    }
                }
                // Results go out before the job counts as done, so whoever
                // waits for an idle queue finds them on the channel.
                if !out.findings.is_empty() || !out.faults.is_empty() {
                    let _ = results.send(out);
                }
                let mut st = queue.lock();
                st.busy = None;
                st.working = false;
                drop(st);
                queue.changed.notify_all();
                last = taken_last;
            }
            Taken::Swap(new) => {
                let mut old = std::mem::replace(&mut *lock(detector), *new);
                retire(rt, &mut old, last.as_deref().map(|d| &**d), results);
                queue.lock().working = false;
                queue.changed.notify_all();
            }
            Taken::Close => {
                retire(
                    rt,
                    &mut lock(detector),
                    last.as_deref().map(|d| &**d),
                    results,
                );
                return;
            }
        }
    }
}

/// Waits for the next job; for an event, also for the owners of the
/// stores the detector reads. Reports suppressed findings while idle.
fn next_job(
    rt: &Runtime,
    detector: &Mutex<Detector>,
    queue: &Queue,
    last: Option<&Event>,
    results: &Sender<Outcome>,
) -> Taken {
    let mut st = queue.lock();
    loop {
        let Some(front) = st.jobs.front() else {
            let (guard, timeout) = queue
                .changed
                .wait_timeout(st, SUMMARY_INTERVAL)
                .unwrap_or_else(PoisonError::into_inner);
            st = guard;
            if timeout.timed_out() && st.jobs.is_empty() {
                drop(st);
                summarise(rt, detector, last, results);
                st = queue.lock();
            }
            continue;
        };
        // A reader of another detector's store takes one event at a time:
        // waiting for the owner up to the end of a batch while holding its
        // start could deadlock two detectors that read each other's stores.
        let mut batching = true;
        if let Job::Event(ev) = front {
            let seq = ev.seq;
            drop(st);
            let owners = queue
                .owners
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .clone();
            batching = owners.is_empty();
            for owner in owners {
                owner.wait_before(seq);
            }
            st = queue.lock();
        }
        // Only this thread pops, so the front is still the job seen above.
        let job = st.jobs.pop_front().expect("front job present");
        st.working = true;
        return match job {
            Job::Event(ev) => {
                st.busy = Some(ev.seq);
                let mut run = vec![ev];
                while batching && run.len() < MAX_BATCH {
                    match st.jobs.front() {
                        Some(Job::Event(_)) => {}
                        _ => break,
                    }
                    if let Some(Job::Event(ev)) = st.jobs.pop_front() {
                        run.push(ev);
                    }
                }
                Taken::Events(run)
            }
            Job::Swap(d) => Taken::Swap(d),
            Job::Close => Taken::Close,
        };
    }
}

fn summarise(
    rt: &Runtime,
    detector: &Mutex<Detector>,
    last: Option<&Event>,
    results: &Sender<Outcome>,
) {
    let Some(ev) = last else { return };
    let mut d = lock(detector);
    if let Some(n) = d.take_suppressed(rt.clock.now_ns()) {
        let _ = results.send(Outcome {
            findings: vec![suppression_summary(&d, ev, n)],
            faults: Vec::new(),
        });
    }
}

/// Closes a detector that leaves the pipeline, reporting what its findings
/// limit still held back.
fn retire(rt: &Runtime, d: &mut Detector, last: Option<&Event>, results: &Sender<Outcome>) {
    if let Some(n) = d.take_suppressed(u64::MAX) {
        let ev = last
            .cloned()
            .unwrap_or_else(|| crate::dispatch::shutdown_event(rt));
        let _ = results.send(Outcome {
            findings: vec![suppression_summary(d, &ev, n)],
            faults: Vec::new(),
        });
    }
    d.close(rt);
}
