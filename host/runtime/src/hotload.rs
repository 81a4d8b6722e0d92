//! Hot-load: watch a detectors directory, compile what changed off the
//! event path, and hand ready components to the pipeline.
//!
//! Files are compared by size, modification time and content hash, so a
//! touch without a change does nothing and a half-written file that fails
//! to compile is retried when it changes again. The pipeline applies the
//! results between two events ([`Dispatcher::replace`]), which is what
//! guarantees that no event is lost or seen twice across a swap.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{Receiver, Sender, channel};
use std::thread::JoinHandle;
use std::time::{Duration, SystemTime};

use sha2::{Digest, Sha256};

use crate::component::DetectorComponent;
use crate::engine::Runtime;
use crate::error::LoadError;

/// What the watcher reports to the pipeline.
pub enum Update {
    /// A new or changed component compiled and checked.
    Ready {
        /// The file.
        path: PathBuf,
        /// The component.
        component: Arc<DetectorComponent>,
    },
    /// A new or changed file that could not be loaded; the running
    /// version (if any) stays.
    Refused {
        /// The file.
        path: PathBuf,
        /// Why.
        error: LoadError,
    },
    /// The file is gone.
    Removed {
        /// The file.
        path: PathBuf,
    },
}

#[derive(Clone, PartialEq, Eq)]
struct Stamp {
    len: u64,
    modified: Option<SystemTime>,
    hash: [u8; 32],
}

/// Polls a directory for `*.wasm` changes.
pub struct DirWatcher {
    dir: PathBuf,
    known: HashMap<PathBuf, Stamp>,
}

impl DirWatcher {
    /// A watcher of `dir` that considers every file there new.
    pub fn new(dir: impl Into<PathBuf>) -> Self {
        Self {
            dir: dir.into(),
            known: HashMap::new(),
        }
    }

    /// A watcher that takes the current contents as already loaded.
    pub fn primed(dir: impl Into<PathBuf>) -> Self {
        let mut w = Self::new(dir);
        let _ = w.changes();
        w
    }

    /// Files added or changed since the last call, and files removed.
    pub fn changes(&mut self) -> (Vec<(PathBuf, Vec<u8>)>, Vec<PathBuf>) {
        let mut seen = Vec::new();
        let mut changed = Vec::new();
        let entries = std::fs::read_dir(&self.dir).into_iter().flatten().flatten();
        for e in entries {
            let path = e.path();
            if path.extension().is_none_or(|x| x != "wasm") {
                continue;
            }
            let Ok(meta) = e.metadata() else { continue };
            if !meta.is_file() {
                continue;
            }
            seen.push(path.clone());
            let quick = self
                .known
                .get(&path)
                .is_some_and(|s| s.len == meta.len() && s.modified == meta.modified().ok());
            if quick {
                continue;
            }
            let Ok(bytes) = std::fs::read(&path) else {
                continue;
            };
            let stamp = Stamp {
                len: meta.len(),
                modified: meta.modified().ok(),
                hash: Sha256::digest(&bytes).into(),
            };
            let same_content = self.known.get(&path).is_some_and(|s| s.hash == stamp.hash);
            self.known.insert(path.clone(), stamp);
            if !same_content {
                changed.push((path, bytes));
            }
        }
        let removed: Vec<PathBuf> = self
            .known
            .keys()
            .filter(|p| !seen.contains(p))
            .cloned()
            .collect();
        for p in &removed {
            self.known.remove(p);
        }
        changed.sort_by(|a, b| a.0.cmp(&b.0));
        (changed, removed)
    }

    /// The watched directory.
    pub fn dir(&self) -> &Path {
        &self.dir
    }
}

/// A background thread that watches a directory and compiles changes.
pub struct HotLoader {
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

impl HotLoader {
    /// Starts watching `watcher`'s directory every `interval`; updates
    /// arrive on the returned channel in the order they were found.
    pub fn spawn(
        rt: Arc<Runtime>,
        mut watcher: DirWatcher,
        interval: Duration,
    ) -> (Self, Receiver<Update>) {
        let (tx, rx) = channel();
        let stop = Arc::new(AtomicBool::new(false));
        let flag = stop.clone();
        let thread = std::thread::Builder::new()
            .name("sandtrap-hotload".into())
            .spawn(move || {
                while !flag.load(Ordering::Relaxed) {
                    if !scan(&rt, &mut watcher, &tx) {
                        return; // the pipeline is gone
                    }
                    std::thread::sleep(interval);
                }
            })
            .ok();
        (Self { stop, thread }, rx)
    }
}

/// One synchronous pass: what changed, compiled. For tools and tests that
/// drive the watcher themselves.
pub fn scan_once(rt: &Runtime, watcher: &mut DirWatcher) -> Vec<Update> {
    let (tx, rx) = channel();
    scan(rt, watcher, &tx);
    drop(tx);
    rx.into_iter().collect()
}

fn scan(rt: &Runtime, watcher: &mut DirWatcher, tx: &Sender<Update>) -> bool {
    let (changed, removed) = watcher.changes();
    for path in removed {
        if tx.send(Update::Removed { path }).is_err() {
            return false;
        }
    }
    for (path, bytes) in changed {
        let origin = path.display().to_string();
        let update = match DetectorComponent::load(rt, &origin, &bytes) {
            Ok(component) => Update::Ready { path, component },
            Err(error) => Update::Refused { path, error },
        };
        if tx.send(update).is_err() {
            return false;
        }
    }
    true
}

impl Drop for HotLoader {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

/// What applying an [`Update`] did.
#[derive(Debug)]
pub enum Applied {
    /// A detector started; `replaced` when an older version was swapped out.
    Loaded {
        /// Detector id.
        id: String,
        /// An older version was closed.
        replaced: bool,
    },
    /// A detector was taken out.
    Unloaded {
        /// Detector id.
        id: String,
    },
    /// The update was refused; what was running stays.
    Refused(LoadError),
    /// Nothing to do (a removed file that held no detector, or a disabled one).
    Ignored,
}

/// Settings of a detector by id: its `init` configuration and limits, or
/// `None` when it is disabled.
pub type Settings<'a> = &'a dyn Fn(&str) -> Option<(Vec<(String, String)>, crate::Limits)>;

impl crate::Dispatcher {
    /// Applies one update between two events.
    pub fn apply(&mut self, update: Update, settings: Settings<'_>) -> Applied {
        match update {
            Update::Removed { path } => self.unload_origin(&path),
            Update::Refused { error, .. } => Applied::Refused(error),
            Update::Ready { path, component } => {
                let id = component.info().id.clone();
                let origin = path.display().to_string();
                if let Some((_, other)) = self
                    .components()
                    .find(|(other, c)| *other == id && c.origin() != origin)
                {
                    return Applied::Refused(LoadError::DuplicateId {
                        origin,
                        detector: id,
                        other: other.origin().to_owned(),
                    });
                }
                // The file may now hold a different detector than before.
                let stale: Vec<String> = self
                    .components()
                    .filter(|(other, c)| c.origin() == origin && *other != id)
                    .map(|(other, _)| other.to_owned())
                    .collect();
                let Some((config, limits)) = settings(&id) else {
                    return Applied::Ignored;
                };
                let rt = self.runtime().clone();
                let detector = match crate::Detector::start(&rt, component, config, limits) {
                    Ok(d) => d,
                    Err(e) => return Applied::Refused(e),
                };
                for s in stale {
                    self.remove(&s);
                }
                match self.replace(detector) {
                    Ok(replaced) => Applied::Loaded { id, replaced },
                    Err(e) => Applied::Refused(e),
                }
            }
        }
    }

    fn unload_origin(&mut self, path: &Path) -> Applied {
        let origin = path.display().to_string();
        let Some(id) = self
            .components()
            .find(|(_, c)| c.origin() == origin)
            .map(|(id, _)| id.to_owned())
        else {
            return Applied::Ignored;
        };
        self.remove(&id);
        Applied::Unloaded { id }
    }
}
