//! Tests of the kernel symbol table against a realistic kallsyms sample.

use std::sync::Arc;

use sandtrap_model::{HealthStatus, StoreError};

use super::KernelSymbols;
use crate::clock::FixedClock;
use crate::traits::{DataStore, KernelSymbolStore};

/// A slice of a real x86_64 kallsyms, with a rootkit-looking module whose
/// functions sit where a hooked syscall table entry would point.
const SAMPLE: &str = "\
ffffffff81000000 T _text
ffffffff81000000 T startup_64
ffffffff81000040 T secondary_startup_64
ffffffff810001f0 t __pfx_verify_cpu
ffffffff81000200 t verify_cpu
ffffffff811c4a20 T __x64_sys_openat
ffffffff811c4b00 T __x64_sys_kill
ffffffff82000000 R __start_rodata
ffffffff82400000 D sys_call_table
ffffffff82a00000 B __bss_start
ffffffff82c00000 B _end
ffffffffc0a01000 t hooked_kill\t[diamorphine]
ffffffffc0a01100 t hooked_getdents64\t[diamorphine]
ffffffffc0a02000 t cleanup_module\t[diamorphine]
ffffffffc0b00000 t nf_conntrack_init\t[nf_conntrack]
ffffffffc0b00800 t cleanup_module\t[nf_conntrack]
ffffffffc0c00000 t bpf_prog_6deef7357e7b4530_sd_fw_egress\t[bpf]
";

fn table(text: &str) -> KernelSymbols {
    KernelSymbols::from_kallsyms_text(text).with_clock(Arc::new(FixedClock::new(3)))
}

#[test]
fn resolves_containing_symbol_with_aliases() {
    let t = table(SAMPLE);
    assert_eq!(t.len(), 17);
    assert_eq!(t.malformed(), 0);
    let at_text = t.resolve_symbol_by_address(0xffffffff81000000).unwrap();
    let names: Vec<&str> = at_text.iter().map(|s| s.name.as_str()).collect();
    assert_eq!(names, ["_text", "startup_64"]);
    assert!(at_text.iter().all(|s| s.module == "system"));
    let inside = t.resolve_symbol_by_address(0xffffffff811c4a33).unwrap();
    assert_eq!(
        (inside[0].name.as_str(), inside[0].address),
        ("__x64_sys_openat", 0xffffffff811c4a20)
    );
    let data = t.resolve_symbol_by_address(0xffffffff82400010).unwrap();
    assert_eq!(data[0].name, "sys_call_table");
}

#[test]
fn hooked_address_resolves_to_its_module() {
    let t = table(SAMPLE);
    let hook = t.resolve_symbol_by_address(0xffffffffc0a01004).unwrap();
    assert_eq!(
        (hook[0].name.as_str(), hook[0].module.as_str()),
        ("hooked_kill", "diamorphine")
    );
    let bpf = t.resolve_symbol_by_address(0xffffffffc0c00000).unwrap();
    assert_eq!(bpf[0].module, "bpf");
}

#[test]
fn below_first_and_past_last_are_not_found() {
    let t = table(SAMPLE);
    assert_eq!(t.resolve_symbol_by_address(0), Err(StoreError::NotFound));
    assert_eq!(
        t.resolve_symbol_by_address(0xffffffff80ffffff),
        Err(StoreError::NotFound)
    );
    assert_eq!(
        t.resolve_symbol_by_address(0xffffffffc0c00001),
        Err(StoreError::NotFound)
    );
    assert_eq!(
        t.resolve_symbol_by_address(u64::MAX),
        Err(StoreError::NotFound)
    );
}

#[test]
fn name_lookup_takes_first_in_kallsyms_order() {
    let t = table(SAMPLE);
    assert_eq!(
        t.get_symbol_address("sys_call_table"),
        Ok(0xffffffff82400000)
    );
    assert_eq!(
        t.get_symbol_address("cleanup_module"),
        Ok(0xffffffffc0a02000)
    );
    assert_eq!(
        t.get_symbol_address("no_such_symbol"),
        Err(StoreError::NotFound)
    );
    assert_eq!(t.get_symbol_address(""), Err(StoreError::NotFound));
    // Order in the file decides, not address order.
    let t = table("ffffffff81000200 T dup\nffffffff81000100 T dup\n");
    assert_eq!(t.get_symbol_address("dup"), Ok(0xffffffff81000200));
}

#[test]
fn batch_keeps_input_order_and_drops_misses() {
    let t = table(SAMPLE);
    let got = t
        .resolve_symbols_batch(&[
            0xffffffffc0a01100,
            1,
            0xffffffff811c4b01,
            0xffffffffc0a01100,
        ])
        .unwrap();
    let addrs: Vec<u64> = got.iter().map(|(a, _)| *a).collect();
    assert_eq!(
        addrs,
        [0xffffffffc0a01100, 0xffffffff811c4b01, 0xffffffffc0a01100]
    );
    assert_eq!(got[1].1[0].name, "__x64_sys_kill");
    let m = t.metrics();
    assert_eq!(
        (m.success_count, m.cache_hits, m.cache_misses, m.last_access),
        (1, 3, 1, 3)
    );
}

#[test]
fn malformed_lines_are_counted_not_fatal() {
    let text = "\
ffffffff81000000 T _text
not-hex T bad
ffffffff81000010 TT bad_kind
ffffffff81000010 T
ffffffff81000020 t mod_sym\t[unterminated
ffffffff81000030 t mod_sym\t[]
ffffffff81000040 t extra tokens here
11111111111111111111 T too_long_addr

ffffffff81000050 t ok\t[m]
ffffffff81000060 t \u{e9}t\u{e9}
";
    let t = table(text);
    assert_eq!(t.malformed(), 7);
    assert_eq!(t.len(), 3);
    assert_eq!(t.get_symbol_address("été"), Ok(0xffffffff81000060));
    let long = format!("ffffffff81000000 T {}\n", "x".repeat(600));
    assert_eq!(table(&long).malformed(), 1);
}

#[test]
fn hidden_or_empty_table_is_unhealthy() {
    let hidden = table("0000000000000000 T _text\n0000000000000000 T startup_64\n");
    let h = hidden.health();
    assert_eq!(
        (h.status, h.message.as_str()),
        (HealthStatus::Unhealthy, "addresses hidden by kptr_restrict")
    );
    assert_eq!(
        hidden.resolve_symbol_by_address(0),
        Err(StoreError::StoreUnhealthy)
    );
    assert_eq!(
        hidden.get_symbol_address("_text"),
        Err(StoreError::StoreUnhealthy)
    );
    assert_eq!(
        hidden.resolve_symbols_batch(&[0]),
        Err(StoreError::StoreUnhealthy)
    );
    assert_eq!(hidden.metrics().error_count, 3);
    let empty = table("");
    assert_eq!(empty.health().status, HealthStatus::Unhealthy);
    assert_eq!(empty.health().message, "no kernel symbols loaded");
    assert_eq!(table(SAMPLE).health().status, HealthStatus::Healthy);
    assert_eq!(table(SAMPLE).name(), "symbol");
}

#[test]
fn reads_this_machine_when_allowed() {
    // /proc/kallsyms exists on any Linux; its addresses may be hidden.
    if let Ok(t) = KernelSymbols::from_machine() {
        assert!(!t.is_empty());
        assert_eq!(
            t.malformed(),
            0,
            "the running kernel's kallsyms parses cleanly"
        );
    }
}
