//! Logging through the host, tagged with the detector id and rate-limited.

use crate::bindings::sandtrap::detector::host::{self, LogLevel};

/// Trace-level line.
pub fn trace(message: &str) {
    host::log(LogLevel::Trace, message);
}

/// Debug-level line.
pub fn debug(message: &str) {
    host::log(LogLevel::Debug, message);
}

/// Info-level line.
pub fn info(message: &str) {
    host::log(LogLevel::Info, message);
}

/// Warning.
pub fn warn(message: &str) {
    host::log(LogLevel::Warn, message);
}

/// Error.
pub fn error(message: &str) {
    host::log(LogLevel::Error, message);
}

/// The host clock, nanoseconds since the Unix epoch (fixed under the mock host).
pub fn now() -> u64 {
    host::now()
}
