//! The `host` interface: logging, the host clock, and the report of what
//! an `on-events` call found.

use crate::bindings::host::{Host, LogLevel};
use crate::state::{HostState, LogLine, LogMode};

const MAX_LOG_BYTES: usize = 4096;

/// Most bytes one `on-events` call may report: far above any real batch
/// of detections, and a bound on what a runaway guest makes the host copy.
pub(crate) const MAX_REPORT_BYTES: usize = 4 << 20;

impl Host for HostState {
    fn log(&mut self, level: LogLevel, mut message: String) -> wasmtime::Result<()> {
        if !self.log_limiter.allow(self.clock.now_ns()) {
            return Ok(());
        }
        if message.len() > MAX_LOG_BYTES {
            let mut cut = MAX_LOG_BYTES;
            while !message.is_char_boundary(cut) {
                cut -= 1;
            }
            message.truncate(cut);
            message.push('…');
        }
        let level = match level {
            LogLevel::Trace => "trace",
            LogLevel::Debug => "debug",
            LogLevel::Info => "info",
            LogLevel::Warn => "warn",
            LogLevel::Error => "error",
        };
        match self.log_mode {
            LogMode::Capture => self.logs.push(LogLine {
                detector: self.detector_id.clone(),
                level,
                message,
            }),
            LogMode::Tracing => {
                let d = &self.detector_id;
                match level {
                    "error" => tracing::error!(detector = %d, "{message}"),
                    "warn" => tracing::warn!(detector = %d, "{message}"),
                    "info" => tracing::info!(detector = %d, "{message}"),
                    "debug" => tracing::debug!(detector = %d, "{message}"),
                    _ => tracing::trace!(detector = %d, "{message}"),
                }
            }
        }
        Ok(())
    }

    fn now(&mut self) -> wasmtime::Result<u64> {
        Ok(self.clock.now_ns())
    }

    fn report(&mut self, output: Vec<u8>) -> wasmtime::Result<()> {
        let Some(out) = self.output.as_mut() else {
            return Err(wasmtime::format_err!("report called outside on-events"));
        };
        out.bytes = out.bytes.saturating_add(output.len());
        if out.bytes > MAX_REPORT_BYTES {
            return Err(wasmtime::format_err!(
                "reported more than {MAX_REPORT_BYTES} bytes in one call"
            ));
        }
        crate::convert::output(&output, out)
            .map_err(|e| wasmtime::format_err!("reported a malformed output: {e}"))
    }
}
