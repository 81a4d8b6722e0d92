//! Per-detector worker threads, so a detector that stalls costs only its
//! own throughput.
//!
//! The dispatcher applies the stores and the host-side selectors on its own
//! thread, then queues the event to each detector that selected it. Every
//! detector drains its own bounded FIFO on its own thread; a full queue
//! sheds the event for that detector alone (counted as `shed`).
//!
//! A worker takes every event waiting in its queue, up to [`MAX_BATCH`],
//! in one call of the detector, so the boundary is crossed once per batch.
//! For batches to form, a sleeping worker is not woken per event: the
//! dispatcher wakes it when several batches wait, and otherwise when its
//! caller runs out of input for the moment (`Dispatcher::poll`, which the
//! live loop calls after each read of the ring buffers). Waking a thread
//! per event cost a system call and a context switch per event and
//! detector: 32 trivial detectors handled 7,000 events/s instead of the
//! sequential pipeline's 57,000.
//!
//! One ordering is kept across threads: a detector that declares a
//! writable store (required or optional) sees every write the store's owner
//! made for earlier events. Before taking event N, a worker waits until the
//! owners of the stores it declared have nothing earlier than N left, so a
//! feed's write for a DNS answer lands before the connect that follows it
//! is judged. Waiting only ever goes towards smaller sequence numbers, so
//! two detectors that read each other's stores cannot deadlock. Such a
//! reader batches only the events its owners have already passed, so it
//! never waits while holding events back.

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

/// How often an idle worker reports findings its limit suppressed, unless
/// the dispatcher sets another interval.
pub const SUMMARY_INTERVAL: Duration = Duration::from_secs(1);

/// Most events handed to a detector in one call. The call shares one CPU
/// deadline, so this bounds how much one slow event can cost its
/// neighbours in the batch.
pub const MAX_BATCH: usize = 32;

/// Events that wake a sleeping worker by themselves. Each wake is a
/// context switch (several µs on these machines), so a worker woken for a
/// few calls' worth of events makes them back to back; `poll` wakes it
/// sooner when the input pauses.
pub const WAKE_AT: usize = 8 * MAX_BATCH;

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
    /// The worker waits for jobs and has not been woken since.
    sleeping: bool,
    /// Threads waiting for this queue's progress (`wait_before`,
    /// `wait_idle`); the worker signals progress only when there are some.
    watchers: usize,
}

impl State {
    /// Marks a worker that sleeps while jobs wait as woken; true when it
    /// must be signalled.
    fn rouse(&mut self) -> bool {
        let wake = self.sleeping && !self.jobs.is_empty();
        if wake {
            self.sleeping = false;
        }
        wake
    }

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

    /// Every event before `seq` has been delivered, or the worker ended.
    fn passed(&self, seq: u64) -> bool {
        self.finished || self.floor() >= seq
    }
}

/// A detector's job queue.
pub(crate) struct Queue {
    state: Mutex<State>,
    /// Wakes the worker: jobs are waiting.
    work: Condvar,
    /// Wakes watchers: a job was finished, or the worker ended.
    progress: Condvar,
    capacity: usize,
    /// Events shed because the queue was full, not yet counted by the
    /// detector.
    shed: AtomicU64,
    /// Queues of the owners of the writable stores this detector declared.
    owners: Mutex<Vec<Arc<Queue>>>,
    /// How long the worker sleeps, when nothing wakes it, before it reports
    /// suppressed findings; events that wait for it are delivered then too.
    idle: Duration,
}

impl Queue {
    fn new(capacity: usize, idle: Duration) -> Self {
        Self {
            idle,
            state: Mutex::new(State::default()),
            work: Condvar::new(),
            progress: Condvar::new(),
            capacity: capacity.max(1),
            shed: AtomicU64::new(0),
            owners: Mutex::new(Vec::new()),
        }
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Queues an event; `false` when the queue is full and it was shed.
    /// The worker is woken only once [`WAKE_AT`] events wait (see [`Self::wake`]).
    pub(crate) fn push_event(&self, ev: &Arc<Dispatched>) -> bool {
        let mut st = self.lock();
        if st.jobs.len() >= self.capacity {
            drop(st);
            self.shed.fetch_add(1, Ordering::Relaxed);
            return false;
        }
        st.jobs.push_back(Job::Event(ev.clone()));
        if st.jobs.len() >= WAKE_AT.min(self.capacity) {
            self.wake_locked(st);
        }
        true
    }

    /// Queues a swap or a close; these are never shed, nor left waiting.
    pub(crate) fn push_control(&self, job: Job) {
        let mut st = self.lock();
        st.jobs.push_back(job);
        self.wake_locked(st);
    }

    /// Wakes the worker if it sleeps while jobs wait.
    pub(crate) fn wake(&self) {
        self.wake_locked(self.lock());
    }

    fn wake_locked(&self, mut st: MutexGuard<'_, State>) {
        if st.rouse() {
            drop(st);
            self.work.notify_one();
        }
    }

    /// Marks a job finished and tells whoever waits for it.
    fn done(&self, mut st: MutexGuard<'_, State>) {
        st.busy = None;
        st.working = false;
        let watched = st.watchers > 0;
        drop(st);
        if watched {
            self.progress.notify_all();
        }
    }

    /// Waits for progress, waking the worker first so that what is waited
    /// for does not sit in a sleeping worker's queue.
    fn watch<'a>(&'a self, mut st: MutexGuard<'a, State>) -> MutexGuard<'a, State> {
        if st.rouse() {
            self.work.notify_one();
        }
        st.watchers += 1;
        let mut st = self
            .progress
            .wait(st)
            .unwrap_or_else(PoisonError::into_inner);
        st.watchers -= 1;
        st
    }

    pub(crate) fn set_owners(&self, owners: Vec<Arc<Queue>>) {
        *self.owners.lock().unwrap_or_else(PoisonError::into_inner) = owners;
    }

    /// Blocks until every event before `seq` has been delivered; returns
    /// the smallest sequence number not delivered yet (`u64::MAX` once the
    /// worker has ended).
    fn wait_before(&self, seq: u64) -> u64 {
        let mut st = self.lock();
        while !st.passed(seq) {
            st = self.watch(st);
        }
        if st.finished { u64::MAX } else { st.floor() }
    }

    /// True when every event before `seq` has been delivered: what
    /// [`Self::wait_before`] waits for, asked without waiting.
    fn has_passed(&self, seq: u64) -> bool {
        self.lock().passed(seq)
    }

    /// True when the owners of the stores this detector reads have
    /// delivered every event before `seq`, so that the stores already hold
    /// what those events wrote and nothing else is writing them.
    pub(crate) fn owners_passed(&self, seq: u64) -> bool {
        self.owners
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .iter()
            .all(|o| o.has_passed(seq))
    }

    /// Blocks until the queue is empty and nothing is being delivered.
    pub(crate) fn wait_idle(&self) {
        let mut st = self.lock();
        while !st.finished && (st.working || !st.jobs.is_empty()) {
            st = self.watch(st);
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
        idle: Duration,
        results: Sender<Outcome>,
    ) -> std::io::Result<Self> {
        let queue = Arc::new(Queue::new(capacity, idle));
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
        self.0.progress.notify_all();
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
                    // The dispatcher let store-backed filters pass when the
                    // owners were behind; they are answered now that the
                    // owners have handled every earlier event (`next_job`
                    // waited for them).
                    let selectors = d.selectors();
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
                queue.done(queue.lock());
                last = taken_last;
            }
            Taken::Swap(new) => {
                let mut old = std::mem::replace(&mut *lock(detector), *new);
                retire(rt, &mut old, last.as_deref().map(|d| &**d), results);
                queue.done(queue.lock());
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
            st.sleeping = true;
            let (guard, timeout) = queue
                .work
                .wait_timeout(st, queue.idle)
                .unwrap_or_else(PoisonError::into_inner);
            st = guard;
            st.sleeping = false;
            if timeout.timed_out() && st.jobs.is_empty() {
                drop(st);
                summarise(rt, detector, last, results);
                st = queue.lock();
            }
            continue;
        };
        // A reader of another detector's store waits for the owners before
        // its first event only, then batches the events they have already
        // passed: waiting up to the end of a batch while holding its start
        // could deadlock two detectors that read each other's stores.
        let mut passed = u64::MAX;
        if let Job::Event(ev) = front {
            let seq = ev.seq;
            drop(st);
            let owners = queue
                .owners
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .clone();
            for owner in owners {
                passed = passed.min(owner.wait_before(seq));
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
                while run.len() < MAX_BATCH {
                    match st.jobs.front() {
                        Some(Job::Event(e)) if e.seq <= passed => {}
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

#[cfg(test)]
mod tests {
    use super::*;

    fn event(seq: u64) -> Arc<Dispatched> {
        Arc::new(Dispatched::new(Event {
            seq,
            timestamp: 1,
            name: "x".into(),
            process: Default::default(),
            args: Vec::new(),
        }))
    }

    /// A sleeping worker is woken by [`WAKE_AT`] events, by a control job
    /// or by `wake`, and not by each event: every wake is a context switch.
    #[test]
    fn a_sleeping_worker_is_woken_per_batch_not_per_event() {
        let q = Queue::new(4 * WAKE_AT, SUMMARY_INTERVAL);
        q.lock().sleeping = true;
        for seq in 1..WAKE_AT as u64 {
            assert!(q.push_event(&event(seq)));
        }
        assert!(q.lock().sleeping, "woken before a batch's worth waited");
        assert!(q.push_event(&event(WAKE_AT as u64)));
        assert!(!q.lock().sleeping);

        q.lock().jobs.clear();
        q.lock().sleeping = true;
        q.wake();
        assert!(q.lock().sleeping, "nothing to do: left asleep");
        assert!(q.push_event(&event(1)));
        q.wake();
        assert!(!q.lock().sleeping);

        q.lock().sleeping = true;
        q.push_control(Job::Close);
        assert!(!q.lock().sleeping, "a close is never left waiting");
    }

    /// A queue smaller than a batch wakes its worker when full, before it
    /// would shed.
    #[test]
    fn a_small_queue_wakes_its_worker_when_full() {
        let q = Queue::new(3, SUMMARY_INTERVAL);
        q.lock().sleeping = true;
        assert!(q.push_event(&event(1)));
        assert!(q.push_event(&event(2)));
        assert!(q.lock().sleeping);
        assert!(q.push_event(&event(3)));
        assert!(!q.lock().sleeping);
        assert!(!q.push_event(&event(4)), "full: shed");
        assert_eq!(q.shed.load(Ordering::Relaxed), 1);
    }

    /// A watcher learns how far the queue got: everything before the
    /// first queued event, or everything once the queue is empty.
    #[test]
    fn wait_before_returns_the_floor() {
        let q = Queue::new(8, SUMMARY_INTERVAL);
        assert_eq!(q.wait_before(5), u64::MAX);
        assert!(q.push_event(&event(7)));
        assert!(q.push_event(&event(9)));
        assert_eq!(q.wait_before(7), 7);
        q.lock().finished = true;
        assert_eq!(q.wait_before(100), u64::MAX);
    }

    /// The dispatcher answers a reader's store filter only when every owner
    /// has delivered every earlier event: nothing queued before the event,
    /// nothing being delivered.
    #[test]
    fn owners_passed_asks_what_a_reader_waits_for() {
        let owner = Arc::new(Queue::new(8, SUMMARY_INTERVAL));
        let reader = Queue::new(8, SUMMARY_INTERVAL);
        assert!(reader.owners_passed(5), "no owner: nothing to wait for");
        reader.set_owners(vec![owner.clone()]);
        assert!(reader.owners_passed(5), "an idle owner has passed");
        assert!(owner.push_event(&event(7)));
        assert!(reader.owners_passed(7), "only later events wait");
        assert!(!reader.owners_passed(8));
        owner.lock().jobs.clear();
        owner.lock().busy = Some(7);
        assert!(!reader.owners_passed(8), "event 7 is being delivered");
        owner.lock().busy = None;
        assert!(reader.owners_passed(8));
        let other = Arc::new(Queue::new(8, SUMMARY_INTERVAL));
        assert!(other.push_event(&event(3)));
        reader.set_owners(vec![owner.clone(), other.clone()]);
        assert!(!reader.owners_passed(8), "every owner must have passed");
        other.lock().finished = true;
        assert!(reader.owners_passed(8), "an ended owner holds nothing back");
    }
}
