//! The TOML configuration file: per-detector configuration and limits.

use std::collections::BTreeMap;
use std::path::Path;

use anyhow::Context;
use sandtrap_runtime::Limits;
use serde::Deserialize;

/// The whole file.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct Config {
    /// Limits for detectors without their own.
    #[serde(default)]
    pub limits: Limits,
    /// Per detector id.
    #[serde(default)]
    pub detectors: BTreeMap<String, DetectorConfig>,
}

/// One detector's section.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct DetectorConfig {
    /// Passed to `init`.
    #[serde(default)]
    pub config: BTreeMap<String, toml::Value>,
    /// Overrides of the default limits.
    #[serde(default)]
    pub limits: Option<Limits>,
    /// False skips the detector.
    #[serde(default = "yes")]
    pub enabled: bool,
}

fn yes() -> bool {
    true
}

impl Config {
    pub(crate) fn load(path: Option<&Path>) -> anyhow::Result<Self> {
        let Some(path) = path else {
            return Ok(Self::default());
        };
        let text = std::fs::read_to_string(path)
            .with_context(|| format!("{}: cannot read", path.display()))?;
        toml::from_str(&text).map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))
    }

    /// The `init` configuration of detector `id`: strings as they are,
    /// arrays joined with commas, other values in TOML syntax.
    pub(crate) fn init_config(&self, id: &str) -> Vec<(String, String)> {
        let Some(d) = self.detectors.get(id) else {
            return Vec::new();
        };
        d.config
            .iter()
            .map(|(k, v)| {
                let text = match v {
                    toml::Value::String(s) => s.clone(),
                    toml::Value::Array(items) => items
                        .iter()
                        .map(|i| match i {
                            toml::Value::String(s) => s.clone(),
                            other => other.to_string(),
                        })
                        .collect::<Vec<_>>()
                        .join(","),
                    other => other.to_string(),
                };
                (k.clone(), text)
            })
            .collect()
    }

    pub(crate) fn limits(&self, id: &str) -> Limits {
        self.detectors
            .get(id)
            .and_then(|d| d.limits.clone())
            .unwrap_or_else(|| self.limits.clone())
    }

    pub(crate) fn enabled(&self, id: &str) -> bool {
        self.detectors.get(id).is_none_or(|d| d.enabled)
    }
}
