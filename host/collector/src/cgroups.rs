//! cgroup ids to paths: events carry the kernel's cgroup v2 id; the
//! container parser needs the path.

use std::collections::HashMap;
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

/// Directories visited per scan at most (a host with more cgroups than
/// this keeps the ones found first).
const MAX_ENTRIES: usize = 200_000;
/// Deepest nesting followed.
const MAX_DEPTH: usize = 32;
/// Rescans on unknown ids are at most this frequent.
const RESCAN_EVERY: Duration = Duration::from_millis(200);

/// The mount point of the cgroup v2 hierarchy, from `/proc/self/mountinfo`
/// text: `/sys/fs/cgroup` on unified hosts, `/sys/fs/cgroup/unified` on
/// hybrid ones.
pub fn v2_mount(mountinfo: &str) -> Option<PathBuf> {
    mountinfo.lines().find_map(|line| {
        // ID PARENT MAJ:MIN ROOT MOUNTPOINT OPTS… - FSTYPE SOURCE SUPER
        let (left, right) = line.split_once(" - ")?;
        let fstype = right.split_ascii_whitespace().next()?;
        let mountpoint = left.split_ascii_whitespace().nth(4)?;
        (fstype == "cgroup2").then(|| PathBuf::from(mountpoint.replace("\\040", " ")))
    })
}

/// A cache of cgroup id → path under the v2 mount, refreshed on misses.
#[derive(Debug)]
pub struct CgroupPaths {
    root: PathBuf,
    paths: HashMap<u64, String>,
    last_scan: Option<Instant>,
    /// Ids that stayed unknown after a rescan.
    pub misses: u64,
}

impl CgroupPaths {
    /// A cache over the hierarchy mounted at `root`.
    pub fn new(root: impl Into<PathBuf>) -> Self {
        Self {
            root: root.into(),
            paths: HashMap::new(),
            last_scan: None,
            misses: 0,
        }
    }

    /// The machine's v2 hierarchy, if mounted.
    pub fn from_machine() -> Option<Self> {
        let text = std::fs::read_to_string("/proc/self/mountinfo").ok()?;
        v2_mount(&text).map(Self::new)
    }

    /// The mount point.
    pub fn root(&self) -> &Path {
        &self.root
    }

    /// Path (relative to the hierarchy, starting with `/`) of cgroup `id`.
    pub fn path(&mut self, id: u64) -> Option<&str> {
        if id == 0 {
            return None;
        }
        if !self.paths.contains_key(&id) {
            let due = self.last_scan.is_none_or(|t| t.elapsed() >= RESCAN_EVERY);
            if due {
                self.scan();
            }
            if !self.paths.contains_key(&id) {
                self.misses += 1;
                return None;
            }
        }
        self.paths.get(&id).map(String::as_str)
    }

    /// Walks the hierarchy; a cgroup v2 id is its directory's inode number.
    pub fn scan(&mut self) {
        self.last_scan = Some(Instant::now());
        self.paths.clear();
        let mut stack = vec![(self.root.clone(), 0usize)];
        while let Some((dir, depth)) = stack.pop() {
            if self.paths.len() >= MAX_ENTRIES {
                break;
            }
            let Ok(meta) = std::fs::metadata(&dir) else {
                continue;
            };
            let rel = dir
                .strip_prefix(&self.root)
                .map(|p| format!("/{}", p.display()))
                .unwrap_or_default();
            self.paths
                .insert(meta.ino(), if rel == "/" { "/".into() } else { rel });
            if depth >= MAX_DEPTH {
                continue;
            }
            let Ok(entries) = std::fs::read_dir(&dir) else {
                continue;
            };
            for e in entries.flatten() {
                if e.file_type().is_ok_and(|t| t.is_dir()) {
                    stack.push((e.path(), depth + 1));
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_the_v2_mount_on_hybrid_and_unified_hosts() {
        let hybrid = "25 18 0:22 / /sys/fs/cgroup ro,nosuid - tmpfs tmpfs ro,mode=755\n\
                      26 25 0:23 / /sys/fs/cgroup/unified rw,nosuid - cgroup2 cgroup2 rw,nsdelegate\n\
                      27 25 0:24 / /sys/fs/cgroup/cpu rw - cgroup cgroup rw,cpu\n";
        assert_eq!(
            v2_mount(hybrid),
            Some(PathBuf::from("/sys/fs/cgroup/unified"))
        );
        let unified = "30 22 0:26 / /sys/fs/cgroup rw,nosuid shared:4 - cgroup2 cgroup2 rw\n";
        assert_eq!(v2_mount(unified), Some(PathBuf::from("/sys/fs/cgroup")));
        assert_eq!(v2_mount("garbage\n - \n"), None);
    }

    #[test]
    fn ids_are_directory_inodes() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(dir.path().join("system.slice/docker-x.scope")).unwrap();
        let mut c = CgroupPaths::new(dir.path());
        let ino = std::fs::metadata(dir.path().join("system.slice/docker-x.scope"))
            .unwrap()
            .ino();
        assert_eq!(c.path(ino), Some("/system.slice/docker-x.scope"));
        assert_eq!(c.path(1), None);
        assert_eq!(c.misses, 1);
    }
}
