//! Typed errors of the runtime; each names the file or detector it is about.

use std::path::PathBuf;

/// Why a component could not become a running detector.
#[derive(Debug, thiserror::Error)]
pub enum LoadError {
    /// The file could not be read.
    #[error("{}: cannot read: {source}", path.display())]
    Read {
        /// The file.
        path: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
    /// The bytes are not a valid WebAssembly component.
    #[error("{origin}: not a valid WebAssembly component: {message}")]
    NotAComponent {
        /// File or name the bytes came from.
        origin: String,
        /// What the validator said.
        message: String,
    },
    /// The component does not export the detector interface.
    #[error(
        "{origin}: not a sandtrap detector: it exports no `sandtrap:detector/guest` interface (exports: {exports})"
    )]
    NotADetector {
        /// File or name.
        origin: String,
        /// What it exports instead.
        exports: String,
    },
    /// Built against an incompatible contract version.
    #[error(
        "{origin}: built against contract sandtrap:detector@{found}, but this host serves sandtrap:detector@{expected}"
    )]
    ContractMismatch {
        /// File or name.
        origin: String,
        /// The component's version.
        found: String,
        /// The host's version.
        expected: String,
    },
    /// An import the host does not provide.
    #[error("{origin}: cannot link: {message}")]
    Link {
        /// File or name.
        origin: String,
        /// The linker's message.
        message: String,
    },
    /// `describe()` trapped or returned nonsense.
    #[error("{origin}: describe() failed: {message}")]
    Describe {
        /// File or name.
        origin: String,
        /// What went wrong.
        message: String,
    },
    /// A required store is not available.
    #[error("detector {detector} ({origin}): required store {store:?} is not available")]
    MissingStore {
        /// File or name.
        origin: String,
        /// Detector id.
        detector: String,
        /// Store name.
        store: String,
    },
    /// `init()` failed or trapped.
    #[error("detector {detector} ({origin}): init failed: {message}")]
    Init {
        /// File or name.
        origin: String,
        /// Detector id.
        detector: String,
        /// The guest's error or the trap.
        message: String,
    },
    /// Another loaded detector already has this id.
    #[error(
        "detector {detector} ({origin}): a detector with this id is already loaded from {other}"
    )]
    DuplicateId {
        /// File or name.
        origin: String,
        /// Detector id.
        detector: String,
        /// Where the other one came from.
        other: String,
    },
    /// The engine could not be set up.
    #[error("engine: {0}")]
    Engine(String),
}
