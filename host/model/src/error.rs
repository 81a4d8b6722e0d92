//! The sentinel errors of the data-store API.

use serde::{Deserialize, Serialize};

/// Why a store call did not return a record. Mirrors the seed's sentinels;
/// the WIT `store-error` variant is the same set.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case", tag = "kind", content = "detail")]
pub enum StoreError {
    /// The entity does not exist.
    #[error("entity not found")]
    NotFound,
    /// The store is missing, disabled or degraded.
    #[error("datastore is unhealthy")]
    StoreUnhealthy,
    /// The store does not support the operation.
    #[error("operation not implemented")]
    NotImplemented,
    /// An argument was malformed.
    #[error("invalid argument: {0}")]
    InvalidArgument(String),
}
