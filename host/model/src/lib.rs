//! Plain data of sandtrap: events, findings and store records.
//!
//! Every other crate speaks these types. They serialise with serde (the
//! replay and finding formats are their JSON form) and know nothing of
//! wasmtime or aya, so stores, collectors and tools can share them.

pub mod detector;
pub mod error;
pub mod event;
pub mod finding;
pub mod ids;
pub mod records;
pub mod selector;

pub use detector::DetectorInfo;
pub use error::StoreError;
pub use event::{Arg, Event, ProcessContext, Value};
pub use finding::{Detection, DetectorRef, Finding, FindingDefinition, Severity};
pub use ids::{USER_HZ, entity_id, ns_to_ticks, ticks_to_ns};
pub use records::*;
pub use selector::{AssumeListed, FieldFilter, FilterOp, NoStores, Selector, SelectorStores};

/// Version of the WIT contract (`sandtrap:detector@CONTRACT_VERSION`) this
/// build serves.
pub const CONTRACT_VERSION: &str = "0.4.0";
