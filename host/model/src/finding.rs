//! Findings: what detectors report, after the host enriched them.

use serde::{Deserialize, Serialize};

use crate::event::{Arg, Event};
use crate::records::{ContainerInfo, ProcessInfo};

/// Severity of a finding.
#[derive(
    Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize,
)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// Informational.
    Info,
    /// Low.
    Low,
    /// Medium.
    #[default]
    Medium,
    /// High.
    High,
    /// Critical.
    Critical,
}

impl Severity {
    /// Lower-case name.
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Info => "info",
            Severity::Low => "low",
            Severity::Medium => "medium",
            Severity::High => "high",
            Severity::Critical => "critical",
        }
    }
}

/// What a detector declares it produces.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct FindingDefinition {
    /// Finding name, e.g. `fileless_execution`.
    pub name: String,
    /// One or two sentences.
    pub description: String,
    /// Default severity.
    pub severity: Severity,
    /// MITRE ATT&CK tactic, e.g. `Defense Evasion`.
    pub mitre_tactic: String,
    /// MITRE ATT&CK technique id, e.g. `T1620`.
    pub mitre_technique: String,
    /// Names of the fields a detection carries.
    pub fields: Vec<String>,
}

/// A detector's raw answer for one event.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Detection {
    /// Detector-provided fields.
    pub fields: Vec<Arg>,
    /// Overrides the definition's severity.
    pub severity: Option<Severity>,
}

/// Identity of the detector that produced a finding.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct DetectorRef {
    /// Detector id.
    pub id: String,
    /// Display name.
    pub name: String,
    /// Detector version.
    pub version: String,
}

/// A detection, enriched by the host; one JSON line of output.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Finding {
    /// Time of the triggering event, ns since the Unix epoch.
    pub timestamp: u64,
    /// Who found it.
    pub detector: DetectorRef,
    /// What was found.
    pub definition: FindingDefinition,
    /// Effective severity.
    pub severity: Severity,
    /// Detector-provided fields.
    #[serde(with = "crate::event::fields_map")]
    pub fields: Vec<Arg>,
    /// The event that triggered it.
    pub event: Event,
    /// The process, when the tree knows it.
    pub process: Option<ProcessInfo>,
    /// `[0]` is the parent, `[1]` the grandparent, …
    pub ancestry: Vec<ProcessInfo>,
    /// The container, when the process runs in one.
    pub container: Option<ContainerInfo>,
}
