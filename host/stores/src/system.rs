//! Immutable facts about the machine, read once from /proc and /etc.

use std::fs;
use std::path::Path;
use std::sync::Arc;

use sandtrap_model::{
    HealthInfo, NamespaceId, StoreError, StoreMetadata, StoreMetrics, SystemInfo,
};

use crate::clock::Clock;
use crate::metrics::{Counters, builtin_metadata, healthy, unhealthy};
use crate::traits::{DataStore, SystemStore};

/// The machine's facts and what could not be read of them.
pub struct SystemInfoStore {
    info: SystemInfo,
    /// Facts without which the record misleads (kernel, boot time).
    missing_core: Vec<String>,
    /// Facts that are nice to have (os-release, init namespaces).
    missing_extra: Vec<String>,
    clock: Arc<dyn Clock>,
    counters: Counters,
}

impl SystemInfoStore {
    /// A store answering `info` as given (scenarios, tests, replays).
    pub fn new(info: SystemInfo, clock: Arc<dyn Clock>) -> Self {
        Self {
            info,
            missing_core: Vec::new(),
            missing_extra: Vec::new(),
            clock,
            counters: Counters::default(),
        }
    }

    /// Reads the running machine.
    pub fn from_machine(clock: Arc<dyn Clock>) -> Self {
        Self::from_root(Path::new("/"), clock)
    }

    /// Reads a machine whose filesystem is mounted at `root` (`/` for this
    /// one). Unreadable parts leave their fields empty and show in health.
    pub fn from_root(root: &Path, clock: Arc<dyn Clock>) -> Self {
        let mut core = Vec::new();
        let mut extra = Vec::new();
        let read = |rel: &str| fs::read_to_string(root.join(rel)).ok();
        let mut info = SystemInfo {
            architecture: std::env::consts::ARCH.to_owned(),
            host_start_time: clock.now_ns(),
            host_version: env!("CARGO_PKG_VERSION").to_owned(),
            ..SystemInfo::default()
        };
        match read("proc/sys/kernel/osrelease")
            .map(|s| s.trim().to_owned())
            .filter(|s| !s.is_empty())
        {
            Some(r) => info.kernel_release = r,
            None => core.push("kernel release".to_owned()),
        }
        match read("proc/sys/kernel/hostname")
            .map(|s| s.trim().to_owned())
            .filter(|s| !s.is_empty())
        {
            Some(h) => info.hostname = h,
            None => extra.push("hostname".to_owned()),
        }
        match read("proc/stat").as_deref().and_then(parse_btime) {
            Some(b) => info.boot_time = b,
            None => core.push("boot time".to_owned()),
        }
        match read("etc/os-release").or_else(|| read("usr/lib/os-release")) {
            Some(text) => {
                for (k, v) in parse_os_release(&text) {
                    match k {
                        "NAME" => info.os_name = v,
                        "VERSION_ID" => info.os_version = v,
                        "PRETTY_NAME" => info.os_pretty_name = v,
                        _ => {}
                    }
                }
            }
            None => extra.push("os-release".to_owned()),
        }
        info.init_namespaces = read_namespaces(&root.join("proc/1/ns"));
        if info.init_namespaces.is_empty() {
            extra.push("init namespaces (needs CAP_SYS_PTRACE)".to_owned());
        }
        Self {
            info,
            missing_core: core,
            missing_extra: extra,
            clock,
            counters: Counters::default(),
        }
    }

    /// The facts.
    pub fn info(&self) -> &SystemInfo {
        &self.info
    }
}

/// Boot time in ns since the epoch from `/proc/stat`'s `btime` (seconds).
fn parse_btime(stat: &str) -> Option<u64> {
    stat.lines()
        .find_map(|l| l.strip_prefix("btime "))
        .and_then(|v| v.trim().parse::<u64>().ok())
        .and_then(|s| s.checked_mul(1_000_000_000))
}

/// `KEY=value` pairs of os-release(5), with shell quoting removed.
fn parse_os_release(text: &str) -> Vec<(&str, String)> {
    text.lines()
        .filter_map(|l| l.trim().split_once('='))
        .filter(|(k, _)| !k.is_empty() && !k.starts_with('#'))
        .map(|(k, v)| (k, unquote(v)))
        .collect()
}

fn unquote(v: &str) -> String {
    let v = v.trim();
    let inner = ['"', '\'']
        .iter()
        .find_map(|&q| v.strip_prefix(q).and_then(|s| s.strip_suffix(q)))
        .unwrap_or(v);
    let mut out = String::with_capacity(inner.len());
    let mut chars = inner.chars();
    while let Some(c) = chars.next() {
        if c == '\\'
            && let Some(n) = chars.next()
        {
            out.push(n);
        } else {
            out.push(c);
        }
    }
    out
}

/// The namespaces in `dir` (`/proc/1/ns`), sorted by kind. Each link
/// reads `mnt:[4026531841]`.
fn read_namespaces(dir: &Path) -> Vec<NamespaceId> {
    let Ok(entries) = fs::read_dir(dir) else {
        return Vec::new();
    };
    let mut out: Vec<NamespaceId> = entries
        .filter_map(Result::ok)
        .filter_map(|e| fs::read_link(e.path()).ok())
        .filter_map(|target| parse_ns_link(&target.to_string_lossy()))
        .collect();
    out.sort_by(|a, b| a.kind.cmp(&b.kind));
    out
}

fn parse_ns_link(s: &str) -> Option<NamespaceId> {
    let (kind, rest) = s.split_once(":[")?;
    let inode = rest.strip_suffix(']')?.parse::<u32>().ok()?;
    (!kind.is_empty()).then(|| NamespaceId {
        kind: kind.to_owned(),
        inode,
    })
}

impl DataStore for SystemInfoStore {
    fn name(&self) -> &str {
        "system"
    }

    fn metadata(&self) -> StoreMetadata {
        builtin_metadata(
            "system",
            "Machine facts: architecture, kernel, OS, boot time, init namespaces",
        )
    }

    /// Unhealthy when the kernel release or boot time is unknown. A
    /// missing os-release or unreadable init namespaces (normal without
    /// privileges) keep it healthy but are named in the message.
    fn health(&self) -> HealthInfo {
        let clock = self.clock.as_ref();
        if !self.missing_core.is_empty() {
            let all: Vec<&str> = self
                .missing_core
                .iter()
                .chain(&self.missing_extra)
                .map(String::as_str)
                .collect();
            unhealthy(clock, format!("unreadable: {}", all.join(", ")))
        } else if !self.missing_extra.is_empty() {
            HealthInfo {
                message: format!("partial: unreadable {}", self.missing_extra.join(", ")),
                ..healthy(clock)
            }
        } else {
            healthy(clock)
        }
    }

    fn metrics(&self) -> StoreMetrics {
        self.counters.snapshot(1)
    }
}

impl SystemStore for SystemInfoStore {
    fn get_system_info(&self) -> Result<SystemInfo, StoreError> {
        let r = Ok(self.info.clone());
        self.counters.record(self.clock.as_ref(), &r);
        r
    }
}

#[cfg(test)]
mod tests;
