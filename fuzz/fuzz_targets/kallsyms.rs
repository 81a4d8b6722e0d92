//! kallsyms text, then lookups in the table built from it.
#![no_main]
use libfuzzer_sys::fuzz_target;
use sandtrap_stores::{KernelSymbolStore, KernelSymbols};

fuzz_target!(|data: &[u8]| {
    if let Ok(text) = std::str::from_utf8(data) {
        let table = KernelSymbols::from_kallsyms_text(text);
        let _ = table.resolve_symbol_by_address(u64::from_le_bytes([data.first().copied().unwrap_or(0); 8]));
        let _ = table.get_symbol_address(text.get(..8).unwrap_or(""));
    }
});
