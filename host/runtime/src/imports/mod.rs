//! Host implementations of the contract's imports, one module per concern.
//!
//! Guest errors are answers, not traps: an unknown pid is `not-found`. Only
//! a stale handle, a spent budget or a host bug traps, and a trap costs the
//! detector its instance, never the host.

mod host;
pub(crate) mod reputation;
mod stores;

use wasmtime::component::{HasSelf, Linker};

use crate::bindings::Detector;
use crate::state::HostState;

/// Adds WASI (without authority) and every `sandtrap:detector` import.
pub(crate) fn add_to_linker(linker: &mut Linker<HostState>) -> wasmtime::Result<()> {
    wasmtime_wasi::p2::add_to_linker_sync(linker)?;
    Detector::add_to_linker::<HostState, HasSelf<HostState>>(linker, |s| s)?;
    Ok(())
}
