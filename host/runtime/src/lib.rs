//! The sandboxed detector runtime: wasmtime component hosting for sandtrap.
//!
//! One [`Runtime`] holds the engine and the linker that provides every
//! `sandtrap:detector` import over the host's [`sandtrap_stores::Stores`].
//! A [`DetectorComponent`] is a compiled, contract-checked component; a
//! [`Detector`] is a running instance of one with its own `Store`, memory
//! cap, CPU deadline and fault handling; the [`Dispatcher`] feeds events
//! through the stores and then to the detectors whose selectors match.
//!
//! ```no_run
//! # use std::sync::Arc;
//! # fn main() -> anyhow::Result<()> {
//! use sandtrap_runtime::{Detector, DetectorComponent, Dispatcher, Limits, Runtime};
//! let stores = Arc::new(sandtrap_stores::Stores::builder().build());
//! let rt = Arc::new(Runtime::builder().build(stores)?);
//! let bytes = std::fs::read("fileless_exec.wasm")?;
//! let component = DetectorComponent::load(&rt, "fileless_exec.wasm", &bytes)?;
//! let mut pipeline = Dispatcher::new(rt.clone());
//! pipeline.add(Detector::start(&rt, component, vec![], Limits::default())?)?;
//! # Ok(()) }
//! ```

mod bindings;
mod cache;
mod component;
mod convert;
mod detector;
mod dispatch;
mod engine;
mod error;
mod gather;
mod hotload;
mod imports;
mod limits;
mod state;
mod worker;

pub use component::DetectorComponent;
pub use detector::{Detector, DetectorStats, Fault, LATENCY_BUCKETS_NS};
pub use dispatch::{
    DEFAULT_QUEUE_CAPACITY, DispatchStats, Dispatcher, FINDING_ANCESTRY_DEPTH, Outcome,
};
pub use engine::{Mode, Runtime, RuntimeBuilder};
pub use error::LoadError;
pub use hotload::{Applied, DirWatcher, HotLoader, Settings, Update, scan_once};
pub use limits::Limits;
pub use state::{LogLine, LogMode};
