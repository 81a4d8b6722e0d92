//! Loading a directory of detectors, refusing bad ones one by one.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use anyhow::Context;
use sandtrap_runtime::{Detector, DetectorComponent, Dispatcher, LoadError, Runtime};

use crate::config::Config;

/// The `*.wasm` files of `dir`, sorted by name so load order is stable.
pub(crate) fn component_files(dir: &Path) -> anyhow::Result<Vec<PathBuf>> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .with_context(|| format!("{}: cannot read detectors directory", dir.display()))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "wasm") && p.is_file())
        .collect();
    files.sort();
    Ok(files)
}

/// Loads every component of `dir` into `dispatcher`. Errors are printed as
/// one line each and counted; the valid detectors still load.
pub(crate) fn load_dir(
    rt: &Arc<Runtime>,
    dispatcher: &mut Dispatcher,
    dir: &Path,
    config: &Config,
) -> anyhow::Result<usize> {
    let mut refused = 0;
    for path in component_files(dir)? {
        match load_one(rt, &path, config) {
            Ok(Some(d)) => {
                let id = d.id().to_owned();
                match dispatcher.add(d) {
                    Ok(()) => tracing::info!(detector = %id, path = %path.display(), "loaded"),
                    Err(e) => {
                        refused += 1;
                        eprintln!("sandtrap: {e}");
                    }
                }
            }
            Ok(None) => {}
            Err(e) => {
                refused += 1;
                eprintln!("sandtrap: {e}");
            }
        }
    }
    for id in config.detector_ids() {
        if config.enabled(id) && !dispatcher.detectors().iter().any(|d| d.id() == id) {
            tracing::warn!(detector = %id, "configured, but no loaded detector has this id");
        }
    }
    Ok(refused)
}

fn load_one(
    rt: &Arc<Runtime>,
    path: &Path,
    config: &Config,
) -> Result<Option<Detector>, LoadError> {
    let bytes = std::fs::read(path).map_err(|source| LoadError::Read {
        path: path.to_owned(),
        source,
    })?;
    let component = DetectorComponent::load(rt, &path.display().to_string(), &bytes)?;
    let id = component.info().id.clone();
    if !config.enabled(&id) {
        tracing::info!(detector = %id, "disabled by configuration");
        return Ok(None);
    }
    Detector::start(rt, component, config.init_config(&id), config.limits(&id)).map(Some)
}
