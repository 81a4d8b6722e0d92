//! Reading processes from `/proc`: the snapshot taken at start, and the
//! lazy fill-in of a process first seen in an event.
//!
//! Processes exit while they are read; every read may fail and a failure
//! only drops that process (counted), never the walk.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use sandtrap_model::{ProcessInfo, entity_id, ticks_to_ns};

/// One process as `/proc/PID` describes it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProcEntry {
    /// Thread-group id.
    pub pid: u32,
    /// Parent's thread-group id.
    pub ppid: u32,
    /// Start in clock ticks since boot (stat field 22).
    pub start_ticks: u64,
    /// Command name (stat field 2).
    pub comm: String,
    /// `/proc/PID/exe` target; empty for kernel threads or when unreadable.
    pub exe: String,
    /// Arguments from `/proc/PID/cmdline`.
    pub argv: Vec<String>,
    /// Real uid and gid from `/proc/PID/status`.
    pub uid: u32,
    /// Real gid.
    pub gid: u32,
    /// The cgroup v2 path (`0::/…` line), or the first v1 path that names a
    /// container, else empty.
    pub cgroup: String,
}

/// Parses `/proc/PID/stat`. The command name is in parentheses and may
/// itself contain spaces and parentheses, so fields are counted from the
/// last `)`.
pub fn parse_stat(text: &str) -> Option<(u32, String, u32, u64)> {
    let open = text.find('(')?;
    let close = text.rfind(')')?;
    if close < open {
        return None;
    }
    let pid = text[..open].trim().parse().ok()?;
    let comm = text[open + 1..close].to_owned();
    // Fields after the comm start at field 3 (state).
    let rest: Vec<&str> = text[close + 1..].split_ascii_whitespace().collect();
    let ppid = rest.get(1)?.parse().ok()?; // field 4
    let start_ticks = rest.get(19)?.parse().ok()?; // field 22
    Some((pid, comm, ppid, start_ticks))
}

/// Real uid and gid from `/proc/PID/status`.
pub fn parse_status_ids(text: &str) -> (u32, u32) {
    let field = |key: &str| {
        text.lines()
            .find_map(|l| l.strip_prefix(key))
            .and_then(|v| v.split_ascii_whitespace().next())
            .and_then(|v| v.parse().ok())
            .unwrap_or(0)
    };
    (field("Uid:"), field("Gid:"))
}

/// Picks the path that says most about a process's container from
/// `/proc/PID/cgroup`: a v1 path naming a container wins (hybrid hosts put
/// runtimes there), else the v2 (`0::`) path.
pub fn pick_cgroup(text: &str) -> String {
    let mut v2 = String::new();
    for line in text.lines() {
        let mut parts = line.splitn(3, ':');
        let (Some(id), Some(_controllers), Some(path)) = (parts.next(), parts.next(), parts.next())
        else {
            continue;
        };
        if id == "0" {
            v2 = path.to_owned();
        } else if sandtrap_stores::parse_cgroup_path(path).is_some() {
            return path.to_owned();
        }
    }
    v2
}

/// A reader of a proc filesystem (normally `/proc`).
#[derive(Debug, Clone)]
pub struct ProcFs {
    root: PathBuf,
}

impl Default for ProcFs {
    fn default() -> Self {
        Self::new("/proc")
    }
}

impl ProcFs {
    /// A reader rooted at `root`.
    pub fn new(root: impl Into<PathBuf>) -> Self {
        Self { root: root.into() }
    }

    /// Reads one process; `None` when it is gone or unreadable.
    pub fn read(&self, pid: u32) -> Option<ProcEntry> {
        let dir = self.root.join(pid.to_string());
        let stat = std::fs::read_to_string(dir.join("stat")).ok()?;
        let (stat_pid, comm, ppid, start_ticks) = parse_stat(&stat)?;
        if stat_pid != pid {
            return None;
        }
        let (uid, gid) = std::fs::read_to_string(dir.join("status"))
            .map(|s| parse_status_ids(&s))
            .unwrap_or((0, 0));
        let exe = std::fs::read_link(dir.join("exe"))
            .map(|p| p.to_string_lossy().into_owned())
            .unwrap_or_default();
        let argv = std::fs::read(dir.join("cmdline"))
            .map(|b| {
                b.split(|c| *c == 0)
                    .filter(|s| !s.is_empty())
                    .take(256)
                    .map(|s| String::from_utf8_lossy(s).into_owned())
                    .collect()
            })
            .unwrap_or_default();
        let cgroup = std::fs::read_to_string(dir.join("cgroup"))
            .map(|s| pick_cgroup(&s))
            .unwrap_or_default();
        Some(ProcEntry {
            pid,
            ppid,
            start_ticks,
            comm,
            exe,
            argv,
            uid,
            gid,
            cgroup,
        })
    }

    /// Every process readable now, and how many vanished mid-read.
    pub fn snapshot(&self) -> (Vec<ProcEntry>, usize) {
        let Ok(dir) = std::fs::read_dir(&self.root) else {
            return (Vec::new(), 0);
        };
        let pids: Vec<u32> = dir
            .filter_map(|e| e.ok()?.file_name().to_str()?.parse().ok())
            .collect();
        let mut lost = 0;
        let mut out = Vec::with_capacity(pids.len());
        for pid in pids {
            match self.read(pid) {
                Some(e) => out.push(e),
                None => lost += 1,
            }
        }
        (out, lost)
    }

    /// The root this reader reads.
    pub fn root(&self) -> &Path {
        &self.root
    }
}

/// Turns a snapshot into process records with the same entity ids the
/// kernel events produce: each parent's id comes from its own start ticks.
pub fn to_process_infos(entries: &[ProcEntry], boot_time_ns: u64) -> Vec<ProcessInfo> {
    let ticks: HashMap<u32, u64> = entries.iter().map(|e| (e.pid, e.start_ticks)).collect();
    entries
        .iter()
        .map(|e| {
            let name = match e.exe.rsplit('/').next() {
                Some(n) if !n.is_empty() => n.trim_end_matches(" (deleted)").to_owned(),
                _ => e.comm.clone(),
            };
            ProcessInfo {
                entity_id: entity_id(e.pid, e.start_ticks),
                parent_entity_id: ticks.get(&e.ppid).map_or(0, |t| entity_id(e.ppid, *t)),
                pid: e.pid,
                ppid: e.ppid,
                name,
                exe: e.exe.clone(),
                argv: e.argv.clone(),
                start_ticks: e.start_ticks,
                start_time: boot_time_ns + ticks_to_ns(e.start_ticks),
                uid: e.uid,
                gid: e.gid,
                container_id: sandtrap_stores::parse_cgroup_path(&e.cgroup)
                    .map(|(_, id)| id)
                    .unwrap_or_default(),
                exit_time: None,
            }
        })
        .collect()
}

/// Fills the stores from a `/proc` snapshot: every running process, and
/// the containers their cgroup paths name. Returns (processes, vanished).
pub fn seed_stores(
    stores: &sandtrap_stores::Stores,
    procfs: &ProcFs,
    boot_time_ns: u64,
) -> (usize, usize) {
    let (entries, lost) = procfs.snapshot();
    announce_containers(stores, entries.iter().map(|e| e.cgroup.as_str()));
    let infos = to_process_infos(&entries, boot_time_ns);
    let n = infos.len();
    for info in infos {
        stores.processes().insert(info);
    }
    (n, lost)
}

fn announce_containers<'a>(stores: &sandtrap_stores::Stores, paths: impl Iterator<Item = &'a str>) {
    for path in paths {
        if sandtrap_stores::parse_cgroup_path(path).is_some() {
            let mut ev = sandtrap_model::Event {
                seq: 0,
                timestamp: 0,
                name: "cgroup_mkdir".into(),
                process: Default::default(),
                args: vec![sandtrap_model::Arg::new("path", path)],
            };
            stores.apply(&mut ev);
        }
    }
}

/// Lazily completes a live event whose process the tree does not know yet
/// (it started between the snapshot and the attach, or its fork was lost):
/// reads `/proc/PID` and, when it is still the same process, inserts it
/// with its executable, arguments and cgroup.
pub fn fill_from_proc(
    stores: &sandtrap_stores::Stores,
    procfs: &ProcFs,
    boot_time_ns: u64,
    ev: &mut sandtrap_model::Event,
) {
    use sandtrap_stores::ProcessStore;
    let p = &mut ev.process;
    if p.pid == 0 || p.start_ticks == 0 {
        return;
    }
    let id = entity_id(p.pid, p.start_ticks);
    if stores.processes().get_process(id).is_ok() {
        return;
    }
    let Some(entry) = procfs.read(p.pid) else {
        return;
    };
    if entry.start_ticks != p.start_ticks {
        return; // the pid was reused since the event
    }
    if p.exe.is_empty() {
        p.exe = entry.exe.clone();
    }
    // A v1 path that names a container says more than the v2 path.
    if sandtrap_stores::parse_cgroup_path(&entry.cgroup).is_some() {
        p.cgroup = entry.cgroup.clone();
    }
    announce_containers(stores, std::iter::once(entry.cgroup.as_str()));
    let mut infos = to_process_infos(std::slice::from_ref(&entry), boot_time_ns);
    if let Some(mut info) = infos.pop() {
        if p.parent_start_ticks != 0 {
            info.parent_entity_id = entity_id(entry.ppid, p.parent_start_ticks);
        }
        stores.processes().insert(info);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stat_with_hostile_comm() {
        let text =
            "4242 (a) b (c)) S 17 4242 4242 0 -1 4194560 100 0 0 0 1 2 0 0 20 0 1 0 987654 1000 10";
        assert_eq!(
            parse_stat(text),
            Some((4242, "a) b (c)".into(), 17, 987_654))
        );
        assert_eq!(parse_stat("garbage"), None);
        assert_eq!(parse_stat("1 (x) S"), None);
        assert_eq!(parse_stat(")("), None);
        assert_eq!(parse_stat(""), None);
    }

    #[test]
    fn status_and_cgroup_lines() {
        assert_eq!(
            parse_status_ids("Name:\tx\nUid:\t1000\t1000\t1000\t1000\nGid:\t33\t0\t0\t0\n"),
            (1000, 33)
        );
        assert_eq!(parse_status_ids("nonsense"), (0, 0));
        let id = "4f1c2a9be0d84c6f8a7b3e2d1c0f9a8b7c6d5e4f3a2b1c0d9e8f7a6b5c4d3e2f";
        let hybrid = format!("12:cpu,cpuacct:/docker/{id}\n0::/system.slice/containerd.service\n");
        assert_eq!(pick_cgroup(&hybrid), format!("/docker/{id}"));
        assert_eq!(
            pick_cgroup("1:name=systemd:/user.slice\n0::/user.slice/session-1.scope\n"),
            "/user.slice/session-1.scope"
        );
        assert_eq!(pick_cgroup("::::\n\n"), "");
    }

    #[test]
    fn own_process_reads_back_with_matching_entity_id() {
        let me = std::process::id();
        let procfs = ProcFs::default();
        let e = procfs.read(me).expect("own /proc entry");
        assert_eq!(e.pid, me);
        assert!(e.start_ticks > 0);
        let (all, _) = procfs.snapshot();
        let infos = to_process_infos(&all, 0);
        let mine = infos.iter().find(|p| p.pid == me).unwrap();
        assert_eq!(mine.entity_id, entity_id(me, e.start_ticks));
        let parent = infos.iter().find(|p| p.pid == e.ppid).unwrap();
        assert_eq!(mine.parent_entity_id, parent.entity_id);
    }

    #[test]
    fn a_fake_proc_tree_with_vanishing_entries() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("77");
        std::fs::create_dir(&p).unwrap();
        std::fs::write(
            p.join("stat"),
            "77 (sleep) S 1 77 77 0 -1 0 0 0 0 0 0 0 0 0 20 0 1 0 500 0 0",
        )
        .unwrap();
        std::fs::write(p.join("cmdline"), b"sleep\x0010\x00").unwrap();
        std::fs::create_dir(dir.path().join("78")).unwrap(); // exited: no stat
        std::fs::create_dir(dir.path().join("self")).unwrap();
        let (all, lost) = ProcFs::new(dir.path()).snapshot();
        assert_eq!(lost, 1);
        assert_eq!(all.len(), 1);
        assert_eq!(all[0].argv, ["sleep", "10"]);
        assert_eq!(all[0].comm, "sleep");
    }
}
