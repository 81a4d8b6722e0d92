//! Hooked syscall table: a kernel rootkit replaces entries of
//! `sys_call_table` with its own functions (Diamorphine's `hooked_kill`,
//! `hooked_getdents64`) to hide processes and files or grant root
//! (Tracee TRC-1030).
//!
//! The event `syscall_table_check` carries the table as read from the
//! kernel: `addresses`, one `NR:0xADDR` per entry. Every address is
//! resolved through the kernel-symbol store in batches. An entry is
//! reported when its symbol belongs to a module (kallsyms `[name]`), when
//! it does not resolve at all, or when it resolves to a core-kernel symbol
//! but lies outside the kernel text (`_stext`..`_etext`): kallsyms gives no
//! sizes, so an address in a gap resolves to the symbol before it, which is
//! what the code of a module that unlinked itself from kallsyms looks
//! like. Those two are owned by `hidden`.
//!
//! The symbol store is declared optional: without root, kallsyms shows
//! zero addresses and the store is unhealthy, which would refuse the load
//! and fail a whole replay. Each check then returns an error instead.

use std::collections::HashMap;

use sandtrap_sdk::SymbolRecord;
use sandtrap_sdk::prelude::*;

/// Most addresses per `resolve_symbols_batch` call.
const BATCH: usize = 4096;
/// Most syscall-name lookups per event, well inside the store-call budget.
const MAX_NAMES: usize = 512;

struct HookedSyscallTable;

/// `NR:0xADDR` (the `0x` is optional).
fn parse(entry: &str) -> Option<(i32, u64)> {
    let (nr, addr) = entry.split_once(':')?;
    let addr = addr.trim();
    let hex = addr.strip_prefix("0x").unwrap_or(addr);
    Some((nr.trim().parse().ok()?, u64::from_str_radix(hex, 16).ok()?))
}

impl Detector for HookedSyscallTable {
    fn describe() -> Description {
        describe("hooked-syscall-table", "Hooked syscall table", "0.1.0")
            .description("Syscall table entries point outside the core kernel text.")
            .selector(select("syscall_table_check"))
            .uses("symbol")
            .uses("syscall")
            .finding(
                finding("syscall_table_hooked", Severity::Critical)
                    .description(
                        "The syscall table was modified to run code outside the core kernel",
                    )
                    .mitre("Defense Evasion", "T1014")
                    .fields(&["hooked", "owners", "hooked_count", "checked", "malformed"]),
            )
            .build()
    }

    fn init(_: &Config) -> Result<Self, String> {
        Ok(HookedSyscallTable)
    }

    fn on_event(&mut self, ev: &Event) -> Result<Vec<Detection>, String> {
        let Some(list) = ev.arg_list("addresses") else {
            return Ok(vec![]);
        };
        let entries: Vec<(i32, u64)> = list.iter().filter_map(parse).collect();
        let malformed = (list.len() - entries.len()) as u64;
        let addrs: Vec<u64> = entries.iter().map(|(_, a)| *a).collect();
        let answers = addrs
            .chunks(BATCH)
            .map(stores::resolve_symbols_batch)
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| format!("symbol store: {e:?}"))?;
        // The first alias of each address names it.
        let mut symbols: HashMap<u64, SymbolRecord<'_>> = HashMap::new();
        for s in answers.iter().flat_map(|a| a.iter()) {
            symbols.entry(s.query()).or_insert(s);
        }
        let text = match (
            stores::get_symbol_address("_stext"),
            stores::get_symbol_address("_etext"),
        ) {
            (Ok(start), Ok(end)) if start < end => Some(start..end),
            _ => None, // no bounds: trust what resolves to the core kernel
        };
        let mut hooked = Vec::new();
        let mut owners: Vec<String> = Vec::new();
        for &(nr, addr) in &entries {
            let (symbol, owner) = match symbols.get(&addr) {
                None => ("?", "hidden"),
                Some(s) if s.module() != "system" => (s.name(), s.module()),
                Some(s) if text.as_ref().is_some_and(|t| !t.contains(&addr)) => {
                    (s.name(), "hidden")
                }
                Some(_) => continue,
            };
            let name = if hooked.len() < MAX_NAMES {
                stores::get_syscall_name(nr).unwrap_or_else(|_| "?".to_owned())
            } else {
                "?".to_owned()
            };
            hooked.push(format!("{nr} {name}: {addr:#x} {symbol} [{owner}]"));
            if !owners.iter().any(|o| o == owner) {
                owners.push(owner.to_owned());
            }
        }
        if hooked.is_empty() {
            return Ok(vec![]);
        }
        Ok(vec![
            Detection::new()
                .field("hooked_count", hooked.len() as u64)
                .field("hooked", hooked)
                .field("owners", owners)
                .field("checked", entries.len() as u64)
                .field("malformed", malformed),
        ])
    }
}

export_detector!(HookedSyscallTable);
