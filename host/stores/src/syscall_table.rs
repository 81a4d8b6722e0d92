//! The syscall table of the architecture the host runs on: number ↔ name.

use std::collections::HashMap;
use std::sync::Arc;

use sandtrap_model::{HealthInfo, StoreError, StoreMetadata, StoreMetrics};
use syscalls::Sysno;

use crate::clock::Clock;
use crate::metrics::{Counters, builtin_metadata, healthy, unhealthy};
use crate::traits::{DataStore, SyscallStore};

/// Syscall names and numbers of the running architecture, from the
/// `syscalls` crate's tables (generated from the kernel's own).
pub struct SyscallTable {
    /// Sorted by number.
    by_id: Vec<(i32, &'static str)>,
    by_name: HashMap<&'static str, i32>,
    clock: Arc<dyn Clock>,
    counters: Counters,
}

impl SyscallTable {
    /// The table of the architecture this host was built for.
    pub fn new(clock: Arc<dyn Clock>) -> Self {
        let (first, last) = (Sysno::first().id(), Sysno::last().id());
        // Walk every number: `Sysno::iter` stops one short of the last entry.
        let by_id: Vec<(i32, &'static str)> = (first..=last)
            .filter_map(|id| usize::try_from(id).ok().and_then(Sysno::new))
            .map(|s| (s.id(), s.name()))
            .collect();
        let by_name = by_id.iter().map(|&(id, name)| (name, id)).collect();
        Self {
            by_id,
            by_name,
            clock,
            counters: Counters::default(),
        }
    }

    /// Syscalls known.
    pub fn len(&self) -> usize {
        self.by_id.len()
    }

    /// True when the architecture has no table.
    pub fn is_empty(&self) -> bool {
        self.by_id.is_empty()
    }
}

impl DataStore for SyscallTable {
    fn name(&self) -> &str {
        "syscall"
    }

    fn metadata(&self) -> StoreMetadata {
        builtin_metadata(
            "syscall",
            "Syscall numbers and names of the host architecture",
        )
    }

    fn health(&self) -> HealthInfo {
        if self.by_id.is_empty() {
            unhealthy(
                self.clock.as_ref(),
                "no syscall table for this architecture",
            )
        } else {
            healthy(self.clock.as_ref())
        }
    }

    fn metrics(&self) -> StoreMetrics {
        self.counters.snapshot(self.by_id.len())
    }
}

impl SyscallStore for SyscallTable {
    fn get_syscall_name(&self, id: i32) -> Result<String, StoreError> {
        let r = self
            .by_id
            .binary_search_by_key(&id, |&(i, _)| i)
            .map(|i| self.by_id[i].1.to_owned())
            .map_err(|_| StoreError::NotFound);
        self.counters.record(self.clock.as_ref(), &r);
        r
    }

    fn get_syscall_id(&self, name: &str) -> Result<i32, StoreError> {
        let r = self.by_name.get(name).copied().ok_or(StoreError::NotFound);
        self.counters.record(self.clock.as_ref(), &r);
        r
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::clock::FixedClock;

    fn table() -> SyscallTable {
        SyscallTable::new(Arc::new(FixedClock::new(1)))
    }

    #[cfg(target_arch = "x86_64")]
    #[test]
    fn x86_64_numbers() {
        let t = table();
        assert_eq!(t.get_syscall_name(0).unwrap(), "read");
        assert_eq!(t.get_syscall_name(59).unwrap(), "execve");
        assert_eq!(t.get_syscall_id("openat"), Ok(257));
        assert_eq!(t.get_syscall_id("ptrace"), Ok(101));
        assert!(t.len() > 300);
    }

    #[test]
    fn both_ends_of_the_table_resolve() {
        let t = table();
        let last = Sysno::last();
        assert_eq!(t.get_syscall_name(last.id()).unwrap(), last.name());
        assert_eq!(
            t.get_syscall_id(Sysno::first().name()),
            Ok(Sysno::first().id())
        );
    }

    #[test]
    fn unknown_is_not_found() {
        let t = table();
        assert_eq!(t.get_syscall_name(-1), Err(StoreError::NotFound));
        assert_eq!(t.get_syscall_name(i32::MAX), Err(StoreError::NotFound));
        assert_eq!(t.get_syscall_id("no_such_call"), Err(StoreError::NotFound));
        assert_eq!(t.get_syscall_id(""), Err(StoreError::NotFound));
        let m = t.metrics();
        assert_eq!((m.cache_misses, m.error_count), (4, 0));
        assert_eq!(t.name(), "syscall");
    }

    #[test]
    fn names_and_numbers_round_trip() {
        let t = table();
        for &(id, name) in &t.by_id {
            assert_eq!(t.get_syscall_id(name), Ok(id));
        }
    }
}
