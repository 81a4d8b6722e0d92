//! The on-disk cache of compiled components, keyed by content and engine.
//!
//! Entries are written by this host only (write to a temporary name, then
//! rename), and the key includes the engine's compatibility hash, so a
//! stale or foreign entry is never deserialised: wasmtime additionally
//! checks the header and refuses a mismatch, which we treat as a miss.

use std::path::Path;

use wasmtime::Engine;
use wasmtime::component::Component;

pub(crate) fn load(engine: &Engine, path: &Path) -> Option<Component> {
    // Read into memory rather than map the file: a mapped entry that some
    // other process truncates would take the host down with SIGBUS.
    let bytes = std::fs::read(path).ok()?;
    // SAFETY: the file was produced by `Component::serialize` of an engine
    // with the same compatibility hash (it is part of the file name) and
    // written atomically by `store` below into a directory the host owns;
    // wasmtime still checks its header and refuses a mismatch.
    #[allow(unsafe_code, reason = "deserialising our own precompiled artefacts")]
    let loaded = unsafe { Component::deserialize(engine, &bytes) };
    match loaded {
        Ok(c) => Some(c),
        Err(e) => {
            tracing::warn!(path = %path.display(), "ignoring unusable compile cache entry: {e:#}");
            let _ = std::fs::remove_file(path);
            None
        }
    }
}

pub(crate) fn store(component: &Component, path: &Path) {
    let result = (|| -> anyhow::Result<()> {
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir)?;
        }
        let bytes = component.serialize()?;
        let tmp = path.with_extension(format!("tmp{}", std::process::id()));
        std::fs::write(&tmp, bytes)?;
        std::fs::rename(&tmp, path)?;
        Ok(())
    })();
    if let Err(e) = result {
        tracing::warn!(path = %path.display(), "cannot write compile cache entry: {e:#}");
    }
}
