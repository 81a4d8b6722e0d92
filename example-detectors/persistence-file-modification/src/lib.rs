//! Persistence through system configuration files: an open for writing of
//! a file that grants privileges or makes the system run a program later
//! (Tracee TRC-1026, TRC-1027, TRC-1028): sudoers (T1548.003, high
//! severity), cron tables and directories (T1053.003), rc scripts
//! (T1037.004) and systemd units (T1543.002); `TARGETS` lists the paths,
//! and the technique of the path is in the `technique` field.
//!
//! Package managers install such files all the time, so a write by one of
//! them or by a maintainer script under one is reported at low severity
//! with its name.

use sandtrap_sdk::prelude::*;

/// Host-side prefixes; the detector classifies precisely.
const PREFIXES: [&str; 9] = [
    "/etc/sudoers",
    "/etc/cron",
    "/etc/anacrontab",
    "/var/spool/cron/",
    "/etc/rc",
    "/etc/init.d/",
    "/etc/systemd/",
    "/usr/lib/systemd/",
    "/lib/systemd/",
];
const PACKAGE_MANAGERS: [&str; 9] = [
    "dpkg", "apt", "apt-get", "rpm", "dnf", "yum", "zypper", "apk", "snapd",
];
/// O_WRONLY | O_RDWR, O_CREAT, O_TRUNC.
const WRITE_FLAGS: u64 = 0x3 | 0x40 | 0x200;

struct PersistenceFiles;

/// Files, and directories (ending in `/`) whose files count: path,
/// category, technique.
const TARGETS: [(&str, &str, &str); 28] = [
    ("/etc/sudoers", "sudoers", "T1548.003"),
    ("/etc/sudoers.tmp", "sudoers", "T1548.003"),
    ("/etc/sudoers.d/", "sudoers", "T1548.003"),
    ("/etc/crontab", "cron", "T1053.003"),
    ("/etc/anacrontab", "cron", "T1053.003"),
    ("/etc/cron.allow", "cron", "T1053.003"),
    ("/etc/cron.deny", "cron", "T1053.003"),
    ("/etc/cron.d/", "cron", "T1053.003"),
    ("/etc/cron.hourly/", "cron", "T1053.003"),
    ("/etc/cron.daily/", "cron", "T1053.003"),
    ("/etc/cron.weekly/", "cron", "T1053.003"),
    ("/etc/cron.monthly/", "cron", "T1053.003"),
    ("/var/spool/cron/", "cron", "T1053.003"),
    ("/etc/rc.local", "rc", "T1037.004"),
    ("/etc/rc.d/", "rc", "T1037.004"),
    ("/etc/init.d/", "rc", "T1037.004"),
    ("/etc/rc0.d/", "rc", "T1037.004"),
    ("/etc/rc1.d/", "rc", "T1037.004"),
    ("/etc/rc2.d/", "rc", "T1037.004"),
    ("/etc/rc3.d/", "rc", "T1037.004"),
    ("/etc/rc4.d/", "rc", "T1037.004"),
    ("/etc/rc5.d/", "rc", "T1037.004"),
    ("/etc/rc6.d/", "rc", "T1037.004"),
    ("/etc/rcS.d/", "rc", "T1037.004"),
    ("/etc/systemd/system/", "systemd", "T1543.002"),
    ("/etc/systemd/user/", "systemd", "T1543.002"),
    ("/usr/lib/systemd/system/", "systemd", "T1543.002"),
    ("/lib/systemd/system/", "systemd", "T1543.002"),
];

/// Category and ATT&CK technique of a persistence path.
fn classify(path: &str) -> Option<(&'static str, &'static str)> {
    TARGETS
        .iter()
        .find(|(t, ..)| {
            if t.ends_with('/') {
                path.len() > t.len() && path.starts_with(t)
            } else {
                path == *t
            }
        })
        .map(|(_, category, technique)| (*category, *technique))
}

impl Detector for PersistenceFiles {
    fn describe() -> Description {
        let mut d = describe(
            "persistence-file-modification",
            "Persistence file modification",
            "0.1.0",
        )
        .description("A process opened a sudoers, cron, rc or systemd unit file for writing.")
        .uses("process")
        .finding(
            finding("persistence_file_modified", Severity::Medium)
                .description("A file that grants privileges or schedules programs was modified")
                .mitre("Persistence", "T1053")
                .fields(&[
                    "pathname",
                    "category",
                    "technique",
                    "flags",
                    "writer",
                    "package_manager",
                ]),
        );
        // Plain reads (flags 0, O_CLOEXEC, a directory listing) stay in the host.
        for name in ["openat", "openat2"] {
            for prefix in PREFIXES {
                d = d.selector(
                    select(name)
                        .filter("pathname", FilterOp::Prefix, prefix)
                        .filter("flags", FilterOp::NotEqual, "0")
                        .filter("flags", FilterOp::NotEqual, "524288")
                        .filter("flags", FilterOp::NotEqual, "591872"),
                );
            }
        }
        d.build()
    }

    fn init(_: &Config) -> Result<Self, String> {
        Ok(PersistenceFiles)
    }

    fn on_event(&mut self, ev: &Event) -> Result<Vec<Detection>, String> {
        let flags = ev.arg_u64("flags").unwrap_or(0);
        let path = ev.arg_str("pathname").unwrap_or("");
        let Some((category, technique)) = classify(path).filter(|_| flags & WRITE_FLAGS != 0)
        else {
            return Ok(vec![]);
        };
        // [0] is the writer; a maintainer script runs a few levels below dpkg.
        let chain = stores::get_ancestry(ev.process().entity_id(), 5).unwrap_or_default();
        let writer = match chain.first() {
            Some(p) if !p.exe().is_empty() => p.exe(),
            _ => ev.process().comm(),
        };
        let manager = chain
            .iter()
            .find(|p| PACKAGE_MANAGERS.iter().any(|m| p.is(m)))
            .map_or("", |p| p.name());
        let severity = match (manager.is_empty(), category) {
            (false, _) => Severity::Low,
            (true, "sudoers") => Severity::High,
            (true, _) => Severity::Medium,
        };
        Ok(vec![
            Detection::new()
                .field("pathname", path)
                .field("category", category)
                .field("technique", technique)
                .field("flags", flags)
                .field("writer", writer)
                .field("package_manager", manager)
                .severity(severity),
        ])
    }
}

export_detector!(PersistenceFiles);
