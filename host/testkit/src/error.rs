//! Errors of the mock host; each names the scenario file or detector.

use std::path::PathBuf;

/// Why a scenario could not run (as opposed to running and failing).
#[derive(Debug, thiserror::Error)]
pub enum TestkitError {
    /// The file could not be read.
    #[error("{}: cannot read: {source}", path.display())]
    Io {
        /// The file.
        path: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
    /// The scenario is malformed.
    #[error("{}{}: {message}", path.display(), line.map(|l| format!(":{l}")).unwrap_or_default())]
    Parse {
        /// The file.
        path: PathBuf,
        /// 1-based line, when known.
        line: Option<usize>,
        /// What is wrong.
        message: String,
    },
    /// A detector could not be loaded or started.
    #[error(transparent)]
    Load(#[from] sandtrap_runtime::LoadError),
    /// A store fixture was refused.
    #[error("{}: store fixture: {message}", path.display())]
    Fixture {
        /// The scenario file.
        path: PathBuf,
        /// What the store said.
        message: String,
    },
}
