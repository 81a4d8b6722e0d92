//! The data of one detector instance's `Store`: what host imports can see.

use std::sync::Arc;

use sandtrap_model::Detection;
use sandtrap_stores::{Clock, Stores};
use wasmtime::component::ResourceTable;
use wasmtime::{StoreLimits, StoreLimitsBuilder};
use wasmtime_wasi::{WasiCtx, WasiCtxView, WasiView};

use crate::limits::{Limits, RateLimiter};

/// One line a detector logged through the `host.log` import.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogLine {
    /// Detector id.
    pub detector: String,
    /// `trace` … `error`.
    pub level: &'static str,
    /// Text, truncated to 4 KiB.
    pub message: String,
}

/// Where detector logs go: `tracing`, or a buffer the mock host returns.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LogMode {
    /// Emit through `tracing`, tagged with the detector id.
    Tracing,
    /// Keep in memory; read with [`crate::Detector::take_logs`].
    Capture,
}

/// Per-instance host state. Imports see only this, never other detectors'.
pub struct HostState {
    pub(crate) detector_id: String,
    pub(crate) stores: Arc<Stores>,
    pub(crate) clock: Arc<dyn Clock>,
    pub(crate) table: ResourceTable,
    pub(crate) wasi: WasiCtx,
    pub(crate) limits: StoreLimits,
    pub(crate) config: Limits,
    pub(crate) log_limiter: RateLimiter,
    pub(crate) log_mode: LogMode,
    pub(crate) logs: Vec<LogLine>,
    /// Store calls left for the current event.
    pub(crate) store_budget: u32,
    pub(crate) handles: u32,
    /// What the current `on-events` call reported; `None` between calls.
    pub(crate) output: Option<Output>,
}

/// Detections and errors reported during one `on-events` call.
#[derive(Debug, Default)]
pub(crate) struct Output {
    /// Bytes reported so far in this call.
    pub(crate) bytes: usize,
    /// Each detection with its event's index in the batch.
    pub(crate) detections: Vec<(u32, Detection)>,
    /// Each error with its event's index.
    pub(crate) errors: Vec<(u32, String)>,
}

impl HostState {
    pub(crate) fn new(
        detector_id: String,
        stores: Arc<Stores>,
        clock: Arc<dyn Clock>,
        config: Limits,
        log_mode: LogMode,
    ) -> Self {
        let limits = StoreLimitsBuilder::new()
            .memory_size(config.memory_bytes)
            .instances(16)
            .tables(16)
            .table_elements(100_000)
            .memories(4)
            .trap_on_grow_failure(true)
            .build();
        Self {
            detector_id,
            stores,
            clock,
            table: ResourceTable::new(),
            wasi: sandbox_wasi(),
            limits,
            log_limiter: RateLimiter::new(config.log_lines_per_second),
            store_budget: config.store_calls_per_event,
            config,
            log_mode,
            logs: Vec::new(),
            handles: 0,
            output: None,
        }
    }

    /// Spends one store call of the per-event budget; a detector that
    /// spends more than its budget traps and loses its instance.
    pub(crate) fn charge_store_call(&mut self) -> wasmtime::Result<()> {
        if self.store_budget == 0 {
            return Err(wasmtime::format_err!(
                "detector {} exceeded its budget of {} store calls per event",
                self.detector_id,
                self.config.store_calls_per_event
            ));
        }
        self.store_budget -= 1;
        Ok(())
    }
}

/// WASI with no authority: no preopened directories, no environment, no
/// arguments, no network, stdio discarded. Guests whose toolchains import
/// WASI still link; they simply get nothing.
fn sandbox_wasi() -> WasiCtx {
    let mut b = WasiCtx::builder();
    b.allow_tcp(false)
        .allow_udp(false)
        .allow_ip_name_lookup(false)
        .socket_addr_check(|_, _| Box::pin(async { false }));
    b.build()
}

impl WasiView for HostState {
    fn ctx(&mut self) -> WasiCtxView<'_> {
        WasiCtxView {
            ctx: &mut self.wasi,
            table: &mut self.table,
        }
    }
}
