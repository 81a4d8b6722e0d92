//! Tests of the system facts reader against scratch filesystem roots.

use std::fs;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use sandtrap_model::{HealthStatus, NamespaceId, SystemInfo};

use super::{SystemInfoStore, parse_btime, parse_ns_link, parse_os_release};
use crate::clock::FixedClock;
use crate::traits::{DataStore, SystemStore};

/// A scratch directory removed on drop.
struct Scratch(PathBuf);

impl Scratch {
    fn new(tag: &str) -> Self {
        let p = std::env::temp_dir().join(format!("sandtrap-stores-{tag}-{}", std::process::id()));
        let _ = fs::remove_dir_all(&p);
        fs::create_dir_all(&p).unwrap();
        Self(p)
    }

    fn write(&self, rel: &str, text: &str) {
        let p = self.0.join(rel);
        fs::create_dir_all(p.parent().unwrap()).unwrap();
        fs::write(p, text).unwrap();
    }

    fn path(&self) -> &Path {
        &self.0
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = fs::remove_dir_all(&self.0);
    }
}

#[test]
fn reads_a_full_machine() {
    let root = Scratch::new("full");
    root.write("proc/sys/kernel/osrelease", "6.8.0-45-generic\n");
    root.write("proc/sys/kernel/hostname", "node-1\n");
    root.write("proc/stat", "cpu  1 2 3\nbtime 1700000000\nprocesses 5\n");
    root.write(
        "etc/os-release",
        "NAME=\"Ubuntu\"\nVERSION_ID='24.04'\nPRETTY_NAME=\"Ubuntu 24.04.1 \\\"Noble\\\"\"\n# comment\nID=ubuntu\n",
    );
    let ns = root.path().join("proc/1/ns");
    fs::create_dir_all(&ns).unwrap();
    std::os::unix::fs::symlink("mnt:[4026531841]", ns.join("mnt")).unwrap();
    std::os::unix::fs::symlink("net:[4026531840]", ns.join("net")).unwrap();
    let s = SystemInfoStore::from_root(root.path(), Arc::new(FixedClock::new(99)));
    let i = s.get_system_info().unwrap();
    assert_eq!(i.kernel_release, "6.8.0-45-generic");
    assert_eq!(i.hostname, "node-1");
    assert_eq!(i.boot_time, 1_700_000_000_000_000_000);
    assert_eq!(i.host_start_time, 99);
    assert_eq!(
        (i.os_name.as_str(), i.os_version.as_str()),
        ("Ubuntu", "24.04")
    );
    assert_eq!(i.os_pretty_name, "Ubuntu 24.04.1 \"Noble\"");
    assert_eq!(i.architecture, std::env::consts::ARCH);
    assert_eq!(i.host_version, env!("CARGO_PKG_VERSION"));
    assert_eq!(
        i.init_namespaces,
        [
            NamespaceId {
                kind: "mnt".into(),
                inode: 4026531841
            },
            NamespaceId {
                kind: "net".into(),
                inode: 4026531840
            }
        ]
    );
    let h = s.health();
    assert_eq!((h.status, h.message.as_str()), (HealthStatus::Healthy, ""));
    assert_eq!(s.metrics().success_count, 1);
}

#[test]
fn unreadable_parts_are_reported() {
    let root = Scratch::new("partial");
    root.write("proc/sys/kernel/osrelease", "6.1.0\n");
    root.write("proc/stat", "btime 1\n");
    let s = SystemInfoStore::from_root(root.path(), Arc::new(FixedClock::new(1)));
    let h = s.health();
    assert_eq!(h.status, HealthStatus::Healthy);
    assert!(
        h.message.contains("os-release") && h.message.contains("namespaces"),
        "{}",
        h.message
    );
    assert!(s.info().os_name.is_empty());

    let empty = Scratch::new("empty");
    let s = SystemInfoStore::from_root(empty.path(), Arc::new(FixedClock::new(1)));
    let h = s.health();
    assert_eq!(h.status, HealthStatus::Unhealthy);
    assert!(
        h.message.contains("kernel release") && h.message.contains("boot time"),
        "{}",
        h.message
    );
    assert!(s.get_system_info().is_ok(), "what is known is still served");
}

#[test]
fn given_info_is_served_as_is() {
    let info = SystemInfo {
        kernel_release: "5.15".into(),
        boot_time: 7,
        ..SystemInfo::default()
    };
    let s = SystemInfoStore::new(info.clone(), Arc::new(FixedClock::new(1)));
    assert_eq!(s.get_system_info().unwrap(), info);
    assert_eq!(s.health().status, HealthStatus::Healthy);
    assert_eq!(s.name(), "system");
}

#[test]
fn parsers_tolerate_junk() {
    assert_eq!(parse_btime("btime 12\n"), Some(12_000_000_000));
    assert_eq!(parse_btime("btime x\n"), None);
    assert_eq!(parse_btime("btime 99999999999999999999\n"), None);
    assert_eq!(parse_btime(""), None);
    assert_eq!(
        parse_ns_link("pid:[4026531836]").map(|n| n.inode),
        Some(4026531836)
    );
    for bad in ["pid", "pid:[]", ":[1]", "pid:[99999999999]", "pid:[1"] {
        assert_eq!(parse_ns_link(bad), None, "{bad}");
    }
    let kv = parse_os_release("A=1\n=x\nnovalue\nB=\"a\\\\b\"\n");
    assert_eq!(kv, [("A", "1".to_owned()), ("B", "a\\b".to_owned())]);
}

#[test]
fn reads_this_machine() {
    let s = SystemInfoStore::from_machine(Arc::new(FixedClock::new(1)));
    assert!(!s.info().kernel_release.is_empty());
    assert!(s.info().boot_time > 0);
    assert_eq!(s.health().status, HealthStatus::Healthy);
}
