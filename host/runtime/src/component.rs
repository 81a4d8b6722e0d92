//! Turning bytes into a checked, pre-instantiated detector component.

use std::sync::Arc;
use std::time::Duration;

use sandtrap_model::{CONTRACT_VERSION, DetectorInfo};
use wasmtime::Store;
use wasmtime::component::ComponentExportIndex;

use crate::bindings::{DetectorIndices, DetectorPre};
use crate::convert;
use crate::engine::Runtime;
use crate::error::LoadError;
use crate::limits::Limits;
use crate::state::HostState;

const PACKAGE: &str = "sandtrap:detector/";
const GUEST: &str = "sandtrap:detector/guest@";

/// A compiled detector component, ready to instantiate many times.
pub struct DetectorComponent {
    pub(crate) origin: String,
    pub(crate) pre: DetectorPre<HostState>,
    /// `on-events`, called with a batch lowered by [`crate::gather::Gather`]
    /// rather than through the generated bindings.
    pub(crate) on_events: ComponentExportIndex,
    /// The generated bindings' export indices, for instances made from
    /// `pre`'s `InstancePre` directly.
    pub(crate) indices: DetectorIndices,
    pub(crate) info: DetectorInfo,
    pub(crate) contract: String,
    pub(crate) imports: Vec<String>,
    pub(crate) exports: Vec<String>,
    pub(crate) size: usize,
    pub(crate) compile_time: Duration,
    pub(crate) from_cache: bool,
}

impl DetectorComponent {
    /// Compiles and checks `bytes`: the contract version, the imports, and
    /// what `describe()` returns. `origin` names the source in errors.
    pub fn load(rt: &Runtime, origin: &str, bytes: &[u8]) -> Result<Arc<Self>, LoadError> {
        let compiled = rt.compile(origin, bytes)?;
        let component = compiled.component;
        let ty = component.component_type();
        let imports: Vec<String> = ty.imports(&rt.engine).map(|(n, _)| n.to_owned()).collect();
        let exports: Vec<String> = ty.exports(&rt.engine).map(|(n, _)| n.to_owned()).collect();
        let contract = check_contract(origin, &imports, &exports)?;
        let pre = rt
            .linker
            .instantiate_pre(&component)
            .map_err(|e| LoadError::Link {
                origin: origin.to_owned(),
                message: format!("{e:#}"),
            })?;
        let pre = DetectorPre::new(pre).map_err(|e| LoadError::Link {
            origin: origin.to_owned(),
            message: format!("{e:#}"),
        })?;
        let on_events = component
            .get_export_index(None, format!("{GUEST}{contract}"))
            .and_then(|guest| component.get_export_index(Some(&guest), "on-events"))
            .ok_or_else(|| LoadError::Link {
                origin: origin.to_owned(),
                message: format!("no on-events export in {GUEST}{contract}"),
            })?;
        let indices = DetectorIndices::new(pre.instance_pre()).map_err(|e| LoadError::Link {
            origin: origin.to_owned(),
            message: format!("{e:#}"),
        })?;
        let info = describe(rt, origin, &pre)?;
        Ok(Arc::new(Self {
            origin: origin.to_owned(),
            pre,
            on_events,
            indices,
            info,
            contract,
            imports,
            exports,
            size: bytes.len(),
            compile_time: compiled.compile_time,
            from_cache: compiled.from_cache,
        }))
    }

    /// Where it came from (a path or a name).
    pub fn origin(&self) -> &str {
        &self.origin
    }

    /// What `describe()` returned.
    pub fn info(&self) -> &DetectorInfo {
        &self.info
    }

    /// Contract version it was built against.
    pub fn contract(&self) -> &str {
        &self.contract
    }

    /// Names of everything it imports (WASI included).
    pub fn imports(&self) -> &[String] {
        &self.imports
    }

    /// Names of everything it exports.
    pub fn exports(&self) -> &[String] {
        &self.exports
    }

    /// Size of the component file in bytes.
    pub fn size(&self) -> usize {
        self.size
    }

    /// Time to compile (or to load from the cache).
    pub fn compile_time(&self) -> Duration {
        self.compile_time
    }

    /// True when the compiled code came from the on-disk cache.
    pub fn from_cache(&self) -> bool {
        self.from_cache
    }
}

/// The version of `sandtrap:detector` a component was built against, if it
/// is one this host can serve. Versions 0.x are compatible within a minor
/// version, others within a major version, as semver prescribes.
fn check_contract(
    origin: &str,
    imports: &[String],
    exports: &[String],
) -> Result<String, LoadError> {
    let Some(version) = exports.iter().find_map(|n| n.strip_prefix(GUEST)) else {
        return Err(LoadError::NotADetector {
            origin: origin.to_owned(),
            exports: if exports.is_empty() {
                "none".into()
            } else {
                exports.join(", ")
            },
        });
    };
    let mismatch = |found: &str| LoadError::ContractMismatch {
        origin: origin.to_owned(),
        found: found.to_owned(),
        expected: CONTRACT_VERSION.to_owned(),
    };
    if !compatible(version, CONTRACT_VERSION) {
        return Err(mismatch(version));
    }
    for name in imports.iter().filter(|n| n.starts_with(PACKAGE)) {
        match name.split_once('@') {
            Some((_, v)) if compatible(v, CONTRACT_VERSION) => {}
            Some((_, v)) => return Err(mismatch(v)),
            None => return Err(mismatch("(unversioned)")),
        }
    }
    Ok(version.to_owned())
}

fn compatible(a: &str, b: &str) -> bool {
    fn parts(v: &str) -> Option<(u64, u64)> {
        let mut it = v.split(['.', '-', '+']);
        Some((it.next()?.parse().ok()?, it.next()?.parse().ok()?))
    }
    match (parts(a), parts(b)) {
        (Some((0, am)), Some((0, bm))) => am == bm,
        (Some((a, _)), Some((b, _))) => a == b && a != 0,
        _ => false,
    }
}

fn describe(
    rt: &Runtime,
    origin: &str,
    pre: &DetectorPre<HostState>,
) -> Result<DetectorInfo, LoadError> {
    let fail = |message: String| LoadError::Describe {
        origin: origin.to_owned(),
        message,
    };
    let mut store = crate::detector::new_store(rt, origin.to_owned(), &Limits::default());
    crate::detector::arm(rt, &mut store, &Limits::default());
    let instance = pre
        .instantiate(&mut store)
        .map_err(|e| fail(format!("{e:#}")))?;
    crate::detector::arm(rt, &mut store, &Limits::default());
    let desc = instance
        .sandtrap_detector_guest()
        .call_describe(&mut store)
        .map_err(|e| fail(format!("{e:#}")))?;
    let info = convert::description_from_wit(desc);
    info.validate().map_err(fail)?;
    drop::<Store<HostState>>(store);
    Ok(info)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn semver_rules() {
        assert!(compatible("0.1.0", "0.1.0"));
        assert!(compatible("0.1.3", "0.1.0"));
        assert!(!compatible("0.2.0", "0.1.0"));
        assert!(!compatible("1.0.0", "0.1.0"));
        assert!(compatible("1.4.0", "1.0.0"));
        assert!(!compatible("garbage", "0.1.0"));
    }

    #[test]
    fn contract_errors_name_both_versions() {
        for foreign in ["0.3.0", "0.5.0"] {
            let export = format!("sandtrap:detector/guest@{foreign}");
            let err = check_contract("x.wasm", &[], &[export]).unwrap_err();
            let text = err.to_string();
            assert!(
                text.contains("x.wasm")
                    && text.contains(&format!("@{foreign}"))
                    && text.contains(&format!("@{CONTRACT_VERSION}")),
                "{text}"
            );
        }
        let err = check_contract("y.wasm", &[], &["wasi:cli/run@0.2.0".into()]).unwrap_err();
        assert!(err.to_string().contains("not a sandtrap detector"), "{err}");
        let err = check_contract(
            "z.wasm",
            &["sandtrap:detector/processes@9.0.0".into()],
            &[format!("sandtrap:detector/guest@{CONTRACT_VERSION}")],
        )
        .unwrap_err();
        assert!(err.to_string().contains("@9.0.0"), "{err}");
    }
}
