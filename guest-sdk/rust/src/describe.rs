//! Builders for `describe()`: selectors, the finding, the description.

use crate::{Description, FieldFilter, FilterOp, FindingDefinition, Selector, Severity};

/// Starts a description with the detector's id, name and version.
pub fn describe(id: &str, name: &str, version: &str) -> DescriptionBuilder {
    DescriptionBuilder(Description {
        id: id.to_owned(),
        name: name.to_owned(),
        version: version.to_owned(),
        description: String::new(),
        selectors: Vec::new(),
        required_stores: Vec::new(),
        optional_stores: Vec::new(),
        finding: finding("", Severity::Medium),
    })
}

/// Selects events named `event` (`*` for all).
pub fn select(event: &str) -> Selector {
    Selector {
        event: event.to_owned(),
        filters: Vec::new(),
    }
}

/// A finding definition with a name and default severity.
pub fn finding(name: &str, severity: Severity) -> FindingDefinition {
    FindingDefinition {
        name: name.to_owned(),
        description: String::new(),
        severity,
        mitre_tactic: String::new(),
        mitre_technique: String::new(),
        fields: Vec::new(),
    }
}

impl Selector {
    /// Adds a filter: `field op value`.
    pub fn filter(mut self, field: &str, op: FilterOp, value: &str) -> Self {
        self.filters.push(FieldFilter {
            field: field.to_owned(),
            op,
            value: value.to_owned(),
        });
        self
    }
}

impl FindingDefinition {
    /// Sets the description.
    pub fn description(mut self, text: &str) -> Self {
        self.description = text.to_owned();
        self
    }

    /// Sets the MITRE ATT&CK tactic and technique id.
    pub fn mitre(mut self, tactic: &str, technique: &str) -> Self {
        self.mitre_tactic = tactic.to_owned();
        self.mitre_technique = technique.to_owned();
        self
    }

    /// Declares the fields detections carry.
    pub fn fields(mut self, names: &[&str]) -> Self {
        self.fields = names.iter().map(|s| (*s).to_owned()).collect();
        self
    }
}

/// Builds a [`Description`].
pub struct DescriptionBuilder(Description);

impl DescriptionBuilder {
    /// Sets the description text.
    pub fn description(mut self, text: &str) -> Self {
        self.0.description = text.to_owned();
        self
    }

    /// Adds a selector.
    pub fn selector(mut self, s: Selector) -> Self {
        self.0.selectors.push(s);
        self
    }

    /// Declares a store the detector cannot run without.
    pub fn requires(mut self, store: &str) -> Self {
        self.0.required_stores.push(store.to_owned());
        self
    }

    /// Declares a store the detector uses when available.
    pub fn uses(mut self, store: &str) -> Self {
        self.0.optional_stores.push(store.to_owned());
        self
    }

    /// Sets the finding definition.
    pub fn finding(mut self, f: FindingDefinition) -> Self {
        self.0.finding = f;
        self
    }

    /// The description.
    pub fn build(self) -> Description {
        self.0
    }
}
