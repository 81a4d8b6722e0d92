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
    /// Effective limits of detectors with overrides.
    #[serde(skip)]
    resolved: BTreeMap<String, Limits>,
}

/// One detector's section.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct DetectorConfig {
    /// Passed to `init`.
    #[serde(default)]
    pub config: BTreeMap<String, toml::Value>,
    /// Overrides of the `[limits]` table, key by key.
    #[serde(default)]
    pub limits: Option<toml::Table>,
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
        let mut config: Self =
            toml::from_str(&text).map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))?;
        // Resolve every override now, so a bad key fails the start, not a detector later.
        for (id, d) in &config.detectors {
            if let Some(overrides) = &d.limits {
                let mut table = toml::Table::try_from(&config.limits)?;
                table.extend(overrides.clone());
                let limits: Limits = toml::Value::Table(table).try_into().map_err(|e| {
                    anyhow::anyhow!("{}: [detectors.{id}.limits]: {e}", path.display())
                })?;
                config.resolved.insert(id.clone(), limits);
            }
        }
        Ok(config)
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

    /// `[limits]` with the detector's own overrides applied.
    pub(crate) fn limits(&self, id: &str) -> Limits {
        self.resolved
            .get(id)
            .cloned()
            .unwrap_or_else(|| self.limits.clone())
    }

    /// Detector ids the file configures.
    pub(crate) fn detector_ids(&self) -> impl Iterator<Item = &str> {
        self.detectors.keys().map(String::as_str)
    }

    pub(crate) fn enabled(&self, id: &str) -> bool {
        self.detectors.get(id).is_none_or(|d| d.enabled)
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    fn load(text: &str) -> anyhow::Result<Config> {
        let dir = tempfile::tempdir()?;
        let path = dir.path().join("c.toml");
        std::fs::write(&path, text)?;
        Config::load(Some(&path))
    }

    #[test]
    fn detector_limits_override_the_global_table_key_by_key() {
        let c = load(
            "[limits]\ncall_deadline = 20\nmemory_bytes = 1048576\n\n[detectors.x.limits]\ncall_deadline = 5\n",
        )
        .unwrap();
        let x = c.limits("x");
        assert_eq!(x.call_deadline, Duration::from_millis(5));
        assert_eq!(x.memory_bytes, 1 << 20, "inherited from [limits]");
        assert_eq!(c.limits("other").call_deadline, Duration::from_millis(20));
    }

    #[test]
    fn bad_keys_name_the_file_and_table() {
        let err = load("[detectors.x.limits]\nmemory = 3\n")
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("[detectors.x.limits]") && err.contains("memory"),
            "{err}"
        );
        let err = load("[detektors.x]\n").unwrap_err().to_string();
        assert!(err.contains("detektors"), "{err}");
    }

    #[test]
    fn config_values_become_strings() {
        let c = load("[detectors.x.config]\nlist = [\"a\", \"b\"]\nn = 3\ns = \"v\"\n").unwrap();
        let mut got = c.init_config("x");
        got.sort();
        assert_eq!(
            got,
            [
                ("list".into(), "a,b".into()),
                ("n".into(), "3".into()),
                ("s".into(), "v".into())
            ]
        );
    }
}
