//! Kernel symbols from kallsyms in a compact, sorted, arena-backed table.

use std::collections::HashMap;
use std::sync::Arc;

use sandtrap_model::{HealthInfo, StoreError, StoreMetadata, StoreMetrics, SymbolInfo};

use crate::clock::{Clock, SystemClock};
use crate::metrics::{Counters, builtin_metadata, healthy, unhealthy};
use crate::traits::{DataStore, KernelSymbolStore};

/// Longest symbol name the kernel allows (`KSYM_NAME_LEN`).
const MAX_NAME: usize = 512;
/// Longest module name accepted; the kernel's is 56.
const MAX_MODULE: usize = 64;
/// Module of core-kernel symbols.
const CORE: &str = "system";

/// One symbol in 16 bytes; its name lives in the shared arena.
#[derive(Debug, Clone, Copy)]
struct Entry {
    addr: u64,
    name_off: u32,
    name_len: u16,
    module: u16,
}

const _: () = assert!(std::mem::size_of::<Entry>() == 16);

/// The kernel's symbol table. A machine has ~200k symbols; holding a
/// `String` each would cost several times the text, so names share one
/// arena and entries are fixed-size, sorted by address, with a second
/// index sorted by name for exact lookups.
pub struct KernelSymbols {
    arena: String,
    modules: Vec<String>,
    /// Sorted by address; symbols at one address keep kallsyms order.
    entries: Vec<Entry>,
    /// Entry indices sorted by name, then kallsyms order.
    by_name: Vec<u32>,
    malformed: u64,
    hidden: bool,
    clock: Arc<dyn Clock>,
    counters: Counters,
}

impl KernelSymbols {
    /// Reads `/proc/kallsyms` of the running kernel.
    pub fn from_machine() -> std::io::Result<Self> {
        std::fs::read_to_string("/proc/kallsyms").map(|t| Self::from_kallsyms_text(&t))
    }

    /// Parses kallsyms text (`ffffffff81000000 T _text`,
    /// `ffffffffc0a01000 t foo\t[mod]`). Malformed lines are counted in
    /// [`Self::malformed`] and skipped.
    pub fn from_kallsyms_text(text: &str) -> Self {
        let mut arena = String::new();
        let mut modules = vec![CORE.to_owned()];
        let mut module_ids: HashMap<String, u16> = HashMap::from([(CORE.to_owned(), 0)]);
        let mut entries = Vec::new();
        let mut malformed = 0u64;
        for line in text.lines().filter(|l| !l.trim().is_empty()) {
            let Some((addr, name, module)) = parse_line(line) else {
                malformed += 1;
                continue;
            };
            let module = match module_ids.get(module) {
                Some(&m) => m,
                None => match u16::try_from(modules.len()) {
                    Ok(m) => {
                        module_ids.insert(module.to_owned(), m);
                        modules.push(module.to_owned());
                        m
                    }
                    Err(_) => {
                        malformed += 1;
                        continue;
                    }
                },
            };
            let (Ok(name_off), Ok(name_len)) =
                (u32::try_from(arena.len()), u16::try_from(name.len()))
            else {
                malformed += 1;
                continue;
            };
            if name_off.checked_add(u32::from(name_len)).is_none() {
                malformed += 1;
                continue;
            }
            arena.push_str(name);
            entries.push(Entry {
                addr,
                name_off,
                name_len,
                module,
            });
        }
        if malformed > 0 {
            tracing::debug!(malformed, "malformed kallsyms lines skipped");
        }
        // Stable sorts keep kallsyms order among equal keys.
        let mut order: Vec<u32> = (0..entries.len() as u32).collect();
        order.sort_by_key(|&i| entries[i as usize].addr);
        let mut position = vec![0u32; entries.len()];
        for (new, &old) in order.iter().enumerate() {
            position[old as usize] = new as u32;
        }
        let name_of =
            |e: &Entry| &arena[e.name_off as usize..e.name_off as usize + e.name_len as usize];
        let mut by_name: Vec<u32> = (0..entries.len() as u32).collect();
        by_name.sort_by(|&a, &b| name_of(&entries[a as usize]).cmp(name_of(&entries[b as usize])));
        for i in &mut by_name {
            *i = position[*i as usize];
        }
        let entries: Vec<Entry> = order.iter().map(|&i| entries[i as usize]).collect();
        let hidden = !entries.is_empty() && entries.iter().all(|e| e.addr == 0);
        Self {
            arena,
            modules,
            entries,
            by_name,
            malformed,
            hidden,
            clock: Arc::new(SystemClock),
            counters: Counters::default(),
        }
    }

    /// The same table stamping metrics and health with `clock`.
    pub fn with_clock(mut self, clock: Arc<dyn Clock>) -> Self {
        self.clock = clock;
        self
    }

    /// Symbols held.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// True when the table is empty.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// Lines skipped as malformed while parsing.
    pub fn malformed(&self) -> u64 {
        self.malformed
    }

    fn name_at(&self, e: &Entry) -> &str {
        let start = e.name_off as usize;
        self.arena
            .get(start..start + e.name_len as usize)
            .unwrap_or("")
    }

    fn info(&self, e: &Entry) -> SymbolInfo {
        SymbolInfo {
            name: self.name_at(e).to_owned(),
            address: e.addr,
            module: self
                .modules
                .get(e.module as usize)
                .cloned()
                .unwrap_or_default(),
        }
    }

    fn usable(&self) -> Result<(), StoreError> {
        if self.entries.is_empty() || self.hidden {
            Err(StoreError::StoreUnhealthy)
        } else {
            Ok(())
        }
    }

    fn resolve(&self, addr: u64) -> Option<Vec<SymbolInfo>> {
        // Past the start of the last symbol is unknown ground: kallsyms
        // gives no symbol sizes, and the last one has no successor to
        // bound it.
        if addr > self.entries.last()?.addr {
            return None;
        }
        let end = self.entries.partition_point(|e| e.addr <= addr);
        if end == 0 {
            return None;
        }
        let start_addr = self.entries[end - 1].addr;
        let begin = self.entries[..end].partition_point(|e| e.addr < start_addr);
        Some(
            self.entries[begin..end]
                .iter()
                .map(|e| self.info(e))
                .collect(),
        )
    }

    fn address_of(&self, name: &str) -> Option<u64> {
        let i = self
            .by_name
            .partition_point(|&i| self.name_at(&self.entries[i as usize]) < name);
        let &idx = self.by_name.get(i)?;
        let e = &self.entries[idx as usize];
        (self.name_at(e) == name).then_some(e.addr)
    }
}

/// `(address, name, module)` of one kallsyms line.
fn parse_line(line: &str) -> Option<(u64, &str, &str)> {
    let mut t = line.split_ascii_whitespace();
    let addr = t.next().filter(|a| (1..=16).contains(&a.len()))?;
    let addr = u64::from_str_radix(addr, 16).ok()?;
    let kind = t.next()?;
    if kind.len() != 1 || !kind.bytes().all(|b| b.is_ascii_alphabetic()) {
        return None;
    }
    let name = t.next().filter(|n| n.len() <= MAX_NAME)?;
    let module = match t.next() {
        None => CORE,
        Some(m) => m
            .strip_prefix('[')
            .and_then(|m| m.strip_suffix(']'))
            .filter(|m| !m.is_empty() && m.len() <= MAX_MODULE)?,
    };
    t.next().is_none().then_some((addr, name, module))
}

impl DataStore for KernelSymbols {
    fn name(&self) -> &str {
        "symbol"
    }

    fn metadata(&self) -> StoreMetadata {
        builtin_metadata(
            "symbol",
            "Kernel symbols from kallsyms: address to symbol and back",
        )
    }

    fn health(&self) -> HealthInfo {
        let clock = self.clock.as_ref();
        if self.entries.is_empty() {
            unhealthy(clock, "no kernel symbols loaded")
        } else if self.hidden {
            unhealthy(clock, "addresses hidden by kptr_restrict")
        } else {
            healthy(clock)
        }
    }

    fn metrics(&self) -> StoreMetrics {
        self.counters.snapshot(self.entries.len())
    }
}

impl KernelSymbolStore for KernelSymbols {
    fn resolve_symbol_by_address(&self, addr: u64) -> Result<Vec<SymbolInfo>, StoreError> {
        let r = self
            .usable()
            .and_then(|()| self.resolve(addr).ok_or(StoreError::NotFound));
        self.counters.record(self.clock.as_ref(), &r);
        r
    }

    fn get_symbol_address(&self, name: &str) -> Result<u64, StoreError> {
        let r = self
            .usable()
            .and_then(|()| self.address_of(name).ok_or(StoreError::NotFound));
        self.counters.record(self.clock.as_ref(), &r);
        r
    }

    fn resolve_symbols_batch(
        &self,
        addrs: &[u64],
    ) -> Result<Vec<(u64, Vec<SymbolInfo>)>, StoreError> {
        if let Err(e) = self.usable() {
            self.counters.error(self.clock.as_ref());
            return Err(e);
        }
        let out: Vec<(u64, Vec<SymbolInfo>)> = addrs
            .iter()
            .filter_map(|&a| self.resolve(a).map(|s| (a, s)))
            .collect();
        let hits = out.len() as u64;
        self.counters.add_lookups(hits, addrs.len() as u64 - hits);
        self.counters.success(self.clock.as_ref());
        Ok(out)
    }
}

#[cfg(test)]
mod tests;
