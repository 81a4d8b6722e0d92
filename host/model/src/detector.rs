//! What a detector says about itself through `describe()`.

use serde::{Deserialize, Serialize};

use crate::finding::FindingDefinition;
use crate::selector::Selector;

/// A detector's self-description.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct DetectorInfo {
    /// Stable unique id, e.g. `fileless-exec`.
    pub id: String,
    /// Display name.
    pub name: String,
    /// Version of the detector.
    pub version: String,
    /// What it detects.
    pub description: String,
    /// Events it wants.
    pub selectors: Vec<Selector>,
    /// Stores it cannot run without.
    pub required_stores: Vec<String>,
    /// Stores it uses when present.
    pub optional_stores: Vec<String>,
    /// The finding it produces.
    pub finding: FindingDefinition,
}

impl DetectorInfo {
    /// Checks what the host relies on: a usable id and selectors.
    pub fn validate(&self) -> Result<(), String> {
        let id_ok = !self.id.is_empty()
            && self.id.len() <= 64
            && self
                .id
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_' || b == b'.');
        if !id_ok {
            return Err(format!(
                "detector id {:?} must be 1-64 characters of [A-Za-z0-9._-]",
                self.id
            ));
        }
        if self.finding.name.is_empty() {
            return Err("the finding definition has no name".into());
        }
        for s in &self.selectors {
            if s.event.is_empty() {
                return Err("a selector has an empty event name".into());
            }
            if let Some(f) = s.filters.iter().find(|f| f.field.is_empty()) {
                return Err(format!(
                    "a filter of selector {:?} has an empty field name ({:?})",
                    s.event, f.value
                ));
            }
            if let Some(f) = s
                .filters
                .iter()
                .find(|f| f.op == crate::FilterOp::BlacklistedIn && f.value.is_empty())
            {
                return Err(format!(
                    "the blacklisted-in filter on {:?} of selector {:?} names no store",
                    f.field, s.event
                ));
            }
            if let Some(f) = s
                .filters
                .iter()
                .find(|f| f.op.reads_config() && f.value.is_empty())
            {
                return Err(format!(
                    "the {} filter on {:?} of selector {:?} names no configuration key",
                    f.op.name(),
                    f.field,
                    s.event
                ));
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::selector::{FieldFilter, FilterOp};

    fn connect_selector(store: &str) -> DetectorInfo {
        DetectorInfo {
            id: "reader".into(),
            finding: FindingDefinition {
                name: "seen".into(),
                ..Default::default()
            },
            selectors: vec![Selector {
                event: "security_socket_connect".into(),
                filters: vec![FieldFilter {
                    field: "remote_addr".into(),
                    op: FilterOp::BlacklistedIn,
                    value: store.into(),
                    items: Vec::new(),
                }],
            }],
            ..Default::default()
        }
    }

    #[test]
    fn a_config_list_filter_must_name_its_key() {
        let mut info = connect_selector("ip-reputation");
        info.selectors[0].filters[0].op = FilterOp::DomainInConfig;
        info.selectors[0].filters[0].value = "deny_domains".into();
        assert_eq!(info.validate(), Ok(()));
        info.selectors[0].filters[0].value = String::new();
        let err = info.validate().unwrap_err();
        assert!(
            err.contains("domain-in-config") && err.contains("configuration key"),
            "{err}"
        );
    }

    #[test]
    fn a_blacklisted_in_filter_must_name_its_store() {
        assert_eq!(connect_selector("ip-reputation").validate(), Ok(()));
        let err = connect_selector("").validate().unwrap_err();
        assert!(
            err.contains("blacklisted-in filter on \"remote_addr\"")
                && err.contains("names no store"),
            "{err}"
        );
    }
}
