//! The process tree: an LRU-bounded map of processes keyed by entity id.

use std::collections::{HashMap, HashSet};
use std::num::NonZeroUsize;
use std::sync::Arc;

use lru::LruCache;
use parking_lot::RwLock;
use sandtrap_model::{
    HealthInfo, ProcessContext, ProcessInfo, StoreError, StoreMetadata, StoreMetrics, entity_id,
    ticks_to_ns,
};

use crate::clock::Clock;
use crate::metrics::{Counters, bounded, builtin_metadata, healthy};
use crate::traits::{DataStore, ProcessStore};

/// Longest name, path or argument kept, in bytes.
const MAX_TEXT: usize = 4096;
/// Most argv entries kept per process.
const MAX_ARGV: usize = 256;

/// Processes seen by the host, exited ones included until evicted, so a
/// late lookup or the ancestry of an orphan still answers.
///
/// Recency is refreshed by events (writes), not by detector reads: reads
/// take only a shared lock, and a process that keeps producing events is
/// the one worth keeping.
pub struct ProcessTree {
    inner: RwLock<Inner>,
    boot_time_ns: u64,
    clock: Arc<dyn Clock>,
    counters: Counters,
}

/// The tree's indexes are updated on most events; SipHash was a tenth of
/// the replay's time. Seeded per tree, so keys cannot be chosen to collide
/// ahead of time.
type Hasher = foldhash::fast::RandomState;

struct Inner {
    procs: LruCache<u64, ProcessInfo>,
    /// Parent entity id → resident children. Every member is resident, so
    /// the index never outgrows the tree; a set may outlive its parent so a
    /// parent re-inserted later (by the /proc walker) finds its children.
    children: HashMap<u64, HashSet<u64, Hasher>, Hasher>,
    /// pid → entity id of the live process holding it, for events that
    /// carry no start time.
    live: HashMap<u32, u64, Hasher>,
    evictions: u64,
}

/// What the exec of a process changed.
pub(crate) struct ExecUpdate<'a> {
    pub path: Option<&'a str>,
    pub argv: Option<&'a [String]>,
    pub uid: u32,
    pub gid: u32,
}

impl ProcessTree {
    /// An empty tree holding at most `capacity` processes (at least 1).
    /// `boot_time_ns` turns start ticks into wall-clock start times.
    pub fn new(capacity: usize, boot_time_ns: u64, clock: Arc<dyn Clock>) -> Self {
        let cap = NonZeroUsize::new(capacity).unwrap_or(NonZeroUsize::MIN);
        Self {
            inner: RwLock::new(Inner {
                procs: LruCache::new(cap),
                children: HashMap::default(),
                live: HashMap::default(),
                evictions: 0,
            }),
            boot_time_ns,
            clock,
            counters: Counters::default(),
        }
    }

    /// Adds or replaces a process (the /proc walker and scenarios use this).
    ///
    /// A zero `entity_id` is computed from (`pid`, `start_ticks`); a zero
    /// `start_time` from the boot time; a zero `parent_entity_id` from the
    /// live process holding `ppid`. A record with neither entity id nor pid
    /// is ignored.
    pub fn insert(&self, mut info: ProcessInfo) {
        if info.entity_id == 0 {
            if info.pid == 0 {
                tracing::debug!("process without entity id or pid ignored");
                return;
            }
            info.entity_id = entity_id(info.pid, info.start_ticks);
        }
        if info.start_time == 0 && info.start_ticks != 0 {
            info.start_time = self.start_time(info.start_ticks);
        }
        let mut inner = self.inner.write();
        if info.parent_entity_id == 0 && info.ppid != 0 {
            info.parent_entity_id = inner.live_other(info.ppid, info.entity_id).unwrap_or(0);
        }
        inner.put(info);
    }

    /// Processes held now.
    pub fn len(&self) -> usize {
        self.inner.read().procs.len()
    }

    /// True when no process is held.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Processes dropped to make room since the tree was made.
    pub fn evictions(&self) -> u64 {
        self.inner.read().evictions
    }

    /// Entity id of the live process holding `pid`.
    pub fn live_entity(&self, pid: u32) -> Option<u64> {
        self.inner.read().live.get(&pid).copied()
    }

    fn start_time(&self, ticks: u64) -> u64 {
        self.boot_time_ns.saturating_add(ticks_to_ns(ticks))
    }

    /// Fills the context's entity ids and records the process if it is new.
    /// Does nothing for pid 0 (events the host itself made).
    pub(crate) fn observe(&self, ctx: &mut ProcessContext) {
        if ctx.pid == 0 {
            return;
        }
        let mut inner = self.inner.write();
        if ctx.entity_id == 0 {
            ctx.entity_id = match (ctx.start_ticks, inner.live.get(&ctx.pid)) {
                (0, Some(&id)) => id,
                (ticks, _) => entity_id(ctx.pid, ticks),
            };
        }
        let me = ctx.entity_id;
        if ctx.parent_entity_id == 0 && ctx.ppid != 0 {
            ctx.parent_entity_id = if ctx.parent_start_ticks != 0 {
                entity_id(ctx.ppid, ctx.parent_start_ticks)
            } else {
                inner
                    .procs
                    .peek(&me)
                    .map(|p| p.parent_entity_id)
                    .filter(|&p| p != 0)
                    .or_else(|| inner.live_other(ctx.ppid, me))
                    .unwrap_or(0)
            };
        }
        if let Some(p) = inner.procs.get_mut(&me) {
            if p.name.is_empty() {
                p.name = bounded(&ctx.comm, MAX_TEXT);
            }
            if p.exe.is_empty() {
                p.exe = bounded(&ctx.exe, MAX_TEXT);
            }
            // A process moves into its container's cgroup after it was
            // forked outside it (runc init), so the newest non-empty id wins.
            if !ctx.container_id.is_empty() && p.container_id != ctx.container_id {
                p.container_id = bounded(&ctx.container_id, MAX_TEXT);
            } else if ctx.container_id.is_empty() && !p.container_id.is_empty() {
                // Live events carry a cgroup id, not a path: the tree
                // remembers which container the process is in.
                ctx.container_id = p.container_id.clone();
            }
            // Syscall events do not carry the executable; the tree knows
            // it, so `process.exe` selectors work on them too.
            if ctx.exe.is_empty() && !p.exe.is_empty() {
                ctx.exe = p.exe.clone();
            }
            if p.parent_entity_id == 0 && ctx.parent_entity_id != 0 {
                let mut updated = p.clone();
                updated.parent_entity_id = ctx.parent_entity_id;
                inner.put(updated);
            }
            return;
        }
        let info = ProcessInfo {
            entity_id: me,
            parent_entity_id: ctx.parent_entity_id,
            pid: ctx.pid,
            ppid: ctx.ppid,
            name: bounded(&ctx.comm, MAX_TEXT),
            exe: bounded(&ctx.exe, MAX_TEXT),
            argv: Vec::new(),
            start_ticks: ctx.start_ticks,
            start_time: self.start_time(ctx.start_ticks),
            uid: ctx.uid,
            gid: ctx.gid,
            container_id: bounded(&ctx.container_id, MAX_TEXT),
            exit_time: None,
        };
        inner.put(info);
    }

    /// Records the child of a fork. The child inherits the parent's image,
    /// ids and container; fields it already has (its own events may have
    /// arrived first from another CPU's buffer) are kept.
    pub(crate) fn fork(&self, parent: u64, child_pid: u32, child_ticks: u64) -> u64 {
        let child = entity_id(child_pid, child_ticks);
        let mut inner = self.inner.write();
        let template = inner.procs.get(&parent).cloned().unwrap_or_default();
        let existing = inner.procs.peek(&child).cloned();
        let fresh = existing.is_none();
        let mut info = existing.unwrap_or_else(|| ProcessInfo {
            entity_id: child,
            pid: child_pid,
            start_ticks: child_ticks,
            start_time: self.start_time(child_ticks),
            ..ProcessInfo::default()
        });
        if info.parent_entity_id == 0 {
            info.parent_entity_id = parent;
            info.ppid = template.pid;
        }
        if fresh {
            info.uid = template.uid;
            info.gid = template.gid;
        }
        if info.name.is_empty() {
            info.name = template.name;
        }
        if info.exe.is_empty() {
            info.exe = template.exe;
        }
        if info.argv.is_empty() {
            info.argv = template.argv;
        }
        if info.container_id.is_empty() {
            info.container_id = template.container_id;
        }
        inner.put(info);
        child
    }

    /// Applies an exec: new image, arguments and credentials.
    pub(crate) fn exec(&self, entity: u64, up: &ExecUpdate<'_>) {
        let mut inner = self.inner.write();
        let Some(p) = inner.procs.get_mut(&entity) else {
            return;
        };
        if let Some(path) = up.path.filter(|s| !s.is_empty()) {
            p.exe = bounded(path, MAX_TEXT);
            if let Some(base) = path.rsplit('/').next().filter(|b| !b.is_empty()) {
                p.name = bounded(base, MAX_TEXT);
            }
        }
        if let Some(argv) = up.argv {
            p.argv = argv
                .iter()
                .take(MAX_ARGV)
                .map(|a| bounded(a, MAX_TEXT))
                .collect();
        }
        p.uid = up.uid;
        p.gid = up.gid;
    }

    /// Marks the process exited at `ts`; it stays until evicted.
    pub(crate) fn exit(&self, entity: u64, ts: u64) {
        let mut inner = self.inner.write();
        let Some(p) = inner.procs.peek_mut(&entity) else {
            return;
        };
        p.exit_time.get_or_insert(ts);
        let pid = p.pid;
        if inner.live.get(&pid) == Some(&entity) {
            inner.live.remove(&pid);
        }
    }
}

impl Inner {
    /// The live process holding `pid`, unless it is `me` (a bogus ppid).
    fn live_other(&self, pid: u32, me: u64) -> Option<u64> {
        self.live.get(&pid).copied().filter(|&id| id != me)
    }

    fn put(&mut self, info: ProcessInfo) {
        let id = info.entity_id;
        if let Some(old) = self.procs.peek(&id) {
            let (old_parent, old_pid) = (old.parent_entity_id, old.pid);
            if old_parent != info.parent_entity_id {
                self.unlink_child(old_parent, id);
            }
            if old_pid != info.pid && self.live.get(&old_pid) == Some(&id) {
                self.live.remove(&old_pid);
            }
        }
        if info.parent_entity_id != 0 {
            self.children
                .entry(info.parent_entity_id)
                .or_default()
                .insert(id);
        }
        if info.exit_time.is_none() {
            self.live.insert(info.pid, id);
        } else if self.live.get(&info.pid) == Some(&id) {
            self.live.remove(&info.pid);
        }
        // `push` reuses the evicted entry's node when the tree is full
        // (no allocation per insert under churn) and hands it back.
        if let Some((gone_id, gone)) = self.procs.push(id, info)
            && gone_id != id
        {
            self.evictions += 1;
            self.unlink_child(gone.parent_entity_id, gone_id);
            if self.live.get(&gone.pid) == Some(&gone_id) {
                self.live.remove(&gone.pid);
            }
        }
    }

    fn unlink_child(&mut self, parent: u64, child: u64) {
        if let Some(set) = self.children.get_mut(&parent) {
            set.remove(&child);
            if set.is_empty() {
                self.children.remove(&parent);
            }
        }
    }
}

impl DataStore for ProcessTree {
    fn name(&self) -> &str {
        "process"
    }

    fn metadata(&self) -> StoreMetadata {
        builtin_metadata(
            "process",
            "Process tree keyed by entity id, with ancestry and children",
        )
    }

    fn health(&self) -> HealthInfo {
        healthy(self.clock.as_ref())
    }

    fn metrics(&self) -> StoreMetrics {
        self.counters.snapshot(self.len())
    }
}

impl ProcessStore for ProcessTree {
    fn get_process(&self, entity_id: u64) -> Result<ProcessInfo, StoreError> {
        let mut found = None;
        self.visit_process(entity_id, &mut |p| found = Some(p.clone()))?;
        found.ok_or(StoreError::NotFound)
    }

    fn get_child_processes(&self, entity_id: u64) -> Result<Vec<ProcessInfo>, StoreError> {
        let inner = self.inner.read();
        let r = if inner.procs.contains(&entity_id) {
            let mut kids: Vec<ProcessInfo> = inner
                .children
                .get(&entity_id)
                .into_iter()
                .flatten()
                .filter(|&&c| c != entity_id)
                .filter_map(|c| inner.procs.peek(c).cloned())
                .collect();
            kids.sort_by_key(|p| (p.start_ticks, p.pid, p.entity_id));
            Ok(kids)
        } else {
            Err(StoreError::NotFound)
        };
        drop(inner);
        self.counters.record(self.clock.as_ref(), &r);
        r
    }

    fn get_ancestry(&self, entity_id: u64, max_depth: u32) -> Result<Vec<ProcessInfo>, StoreError> {
        let mut out = Vec::new();
        self.visit_ancestry(entity_id, max_depth, &mut |p| out.push(p.clone()))?;
        Ok(out)
    }

    fn visit_process(
        &self,
        entity_id: u64,
        f: &mut dyn FnMut(&ProcessInfo),
    ) -> Result<(), StoreError> {
        let inner = self.inner.read();
        let r = inner
            .procs
            .peek(&entity_id)
            .map(f)
            .ok_or(StoreError::NotFound);
        drop(inner);
        self.counters.record(self.clock.as_ref(), &r);
        r
    }

    fn visit_ancestry(
        &self,
        entity_id: u64,
        max_depth: u32,
        f: &mut dyn FnMut(&ProcessInfo),
    ) -> Result<(), StoreError> {
        let inner = self.inner.read();
        let mut walk = Walk::default();
        let mut shown = 0;
        let mut cur = entity_id;
        while shown < max_depth && walk.first_visit(cur) {
            let Some(p) = inner.procs.peek(&cur) else {
                break;
            };
            cur = p.parent_entity_id;
            f(p);
            shown += 1;
            if cur == 0 {
                break;
            }
        }
        drop(inner);
        if shown == 0 {
            self.counters.ok_miss(self.clock.as_ref());
        } else {
            self.counters.hit(self.clock.as_ref());
        }
        Ok(())
    }
}

/// The entity ids an ancestry walk has visited, to stop at a loop of
/// parent links. Ancestries are short, so the first ones are kept in an
/// array scanned linearly (no allocation on the path of every finding and
/// every detector's ancestry call); a longer walk moves to a hash set.
#[derive(Default)]
struct Walk {
    near: [u64; Walk::NEAR],
    len: usize,
    far: HashSet<u64>,
}

impl Walk {
    const NEAR: usize = 16;

    /// Records `id`; false when it was visited before.
    fn first_visit(&mut self, id: u64) -> bool {
        let near = self.len.min(Self::NEAR);
        if self.near[..near].contains(&id) || self.far.contains(&id) {
            return false;
        }
        if self.len < Self::NEAR {
            self.near[self.len] = id;
        } else {
            self.far.insert(id);
        }
        self.len += 1;
        true
    }
}

#[cfg(test)]
mod tests;
