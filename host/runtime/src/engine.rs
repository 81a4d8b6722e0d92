//! The shared engine, linker and epoch clock; compiling with an on-disk cache.

use std::hash::Hasher;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use sandtrap_stores::{Clock, Stores, SystemClock};
use sha2::{Digest, Sha256};
use wasmtime::component::{Component, Linker};
use wasmtime::{Config, Engine};

use crate::error::LoadError;
use crate::state::{HostState, LogMode};

/// Length of one epoch tick; call deadlines are counted in ticks.
pub(crate) const EPOCH_TICK: Duration = Duration::from_millis(2);

/// How calls into detectors are bounded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// Wall-clock deadlines through epoch interruption (the live host).
    Live,
    /// Fuel budgets: the same guest input always stops at the same point
    /// (the mock host and tests).
    Deterministic,
}

/// Builds a [`Runtime`].
pub struct RuntimeBuilder {
    mode: Mode,
    cache_dir: Option<PathBuf>,
    log_mode: LogMode,
    clock: Option<Arc<dyn Clock>>,
}

impl RuntimeBuilder {
    /// Epoch or fuel.
    pub fn mode(mut self, mode: Mode) -> Self {
        self.mode = mode;
        self
    }

    /// Directory for compiled components; none disables the cache.
    pub fn cache_dir(mut self, dir: Option<PathBuf>) -> Self {
        self.cache_dir = dir;
        self
    }

    /// Where detector logs go.
    pub fn log_mode(mut self, mode: LogMode) -> Self {
        self.log_mode = mode;
        self
    }

    /// Clock behind the `host.now` import; defaults to the system clock.
    pub fn clock(mut self, clock: Arc<dyn Clock>) -> Self {
        self.clock = Some(clock);
        self
    }

    /// Creates the engine and linker over `stores`.
    pub fn build(self, stores: Arc<Stores>) -> Result<Runtime, LoadError> {
        let mut config = Config::new();
        config.wasm_component_model(true);
        config.concurrency_support(false);
        config.max_wasm_stack(512 << 10);
        #[cfg(feature = "perfmap")]
        config.profiler(wasmtime::ProfilingStrategy::PerfMap);
        match self.mode {
            Mode::Live => config.epoch_interruption(true),
            Mode::Deterministic => config.consume_fuel(true),
        };
        let engine = Engine::new(&config).map_err(|e| LoadError::Engine(format!("{e:#}")))?;
        let mut linker = Linker::new(&engine);
        crate::imports::add_to_linker(&mut linker)
            .map_err(|e| LoadError::Engine(format!("{e:#}")))?;
        let ticker = (self.mode == Mode::Live).then(|| EpochTicker::start(engine.clone()));
        Ok(Runtime {
            engine,
            linker,
            stores,
            clock: self.clock.unwrap_or_else(|| Arc::new(SystemClock)),
            mode: self.mode,
            log_mode: self.log_mode,
            cache_dir: self.cache_dir,
            _ticker: ticker,
        })
    }
}

/// One engine and linker shared by every detector.
pub struct Runtime {
    pub(crate) engine: Engine,
    pub(crate) linker: Linker<HostState>,
    pub(crate) stores: Arc<Stores>,
    pub(crate) clock: Arc<dyn Clock>,
    pub(crate) mode: Mode,
    pub(crate) log_mode: LogMode,
    cache_dir: Option<PathBuf>,
    _ticker: Option<EpochTicker>,
}

/// A compiled component and how it was obtained.
pub(crate) struct Compiled {
    pub(crate) component: Component,
    pub(crate) compile_time: Duration,
    pub(crate) from_cache: bool,
}

impl Runtime {
    /// Starts a builder with the defaults: live mode, no cache, logs to tracing.
    pub fn builder() -> RuntimeBuilder {
        RuntimeBuilder {
            mode: Mode::Live,
            cache_dir: None,
            log_mode: LogMode::Tracing,
            clock: None,
        }
    }

    /// The stores detectors read.
    pub fn stores(&self) -> &Arc<Stores> {
        &self.stores
    }

    /// The bounding mode.
    pub fn mode(&self) -> Mode {
        self.mode
    }

    /// Compiles `bytes`, through the cache when one is configured.
    pub(crate) fn compile(&self, origin: &str, bytes: &[u8]) -> Result<Compiled, LoadError> {
        let start = Instant::now();
        let cache_path = self.cache_dir.as_deref().map(|d| self.cache_path(d, bytes));
        if let Some(path) = &cache_path
            && let Some(component) = crate::cache::load(&self.engine, path)
        {
            return Ok(Compiled {
                component,
                compile_time: start.elapsed(),
                from_cache: true,
            });
        }
        let component =
            Component::from_binary(&self.engine, bytes).map_err(|e| LoadError::NotAComponent {
                origin: origin.to_owned(),
                message: format!("{e:#}"),
            })?;
        if let Some(path) = &cache_path {
            crate::cache::store(&component, path);
        }
        Ok(Compiled {
            component,
            compile_time: start.elapsed(),
            from_cache: false,
        })
    }

    fn cache_path(&self, dir: &Path, bytes: &[u8]) -> PathBuf {
        struct Sha(Sha256);
        impl Hasher for Sha {
            fn finish(&self) -> u64 {
                0
            }
            fn write(&mut self, bytes: &[u8]) {
                self.0.update(bytes);
            }
        }
        let mut h = Sha(Sha256::new());
        std::hash::Hash::hash(&self.engine.precompile_compatibility_hash(), &mut h);
        h.0.update(match self.mode {
            Mode::Live => b"live".as_slice(),
            Mode::Deterministic => b"fuel".as_slice(),
        });
        h.0.update(bytes);
        dir.join(format!("{}.cwasm", hex::encode(h.0.finalize())))
    }
}

/// Advances the engine's epoch every [`EPOCH_TICK`] until dropped.
struct EpochTicker {
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

impl EpochTicker {
    fn start(engine: Engine) -> Self {
        let stop = Arc::new(AtomicBool::new(false));
        let flag = stop.clone();
        let thread = std::thread::Builder::new()
            .name("sandtrap-epoch".into())
            .spawn(move || {
                while !flag.load(Ordering::Relaxed) {
                    std::thread::sleep(EPOCH_TICK);
                    engine.increment_epoch();
                }
            })
            .ok();
        Self { stop, thread }
    }
}

impl Drop for EpochTicker {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}
