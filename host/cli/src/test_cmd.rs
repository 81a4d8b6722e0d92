//! `sandtrap test`: scenarios against a detector, with a diff on failure.

use std::io::Write;
use std::path::{Path, PathBuf};

use anyhow::Context;
use sandtrap_testkit::{Scenario, run_scenario_cached};

pub(crate) fn run(
    detector: &Path,
    scenarios: &[PathBuf],
    verbose: bool,
    cache_dir: Option<PathBuf>,
) -> anyhow::Result<bool> {
    // Every scenario gets a fresh host; without a cache each would compile
    // the component again, which for a Python or JavaScript guest is seconds.
    let scratch;
    let cache_dir = match cache_dir {
        Some(dir) => dir,
        None => {
            scratch = tempfile::tempdir().context("creating a compile cache directory")?;
            scratch.path().to_owned()
        }
    };
    let mut out = std::io::stdout().lock();
    let (mut passed, mut failed) = (0usize, 0usize);
    for path in scenarios {
        let report = Scenario::from_file(path)
            .and_then(|s| run_scenario_cached(detector, &s, Some(&cache_dir)));
        match report {
            Ok(r) if r.passed() => {
                passed += 1;
                write!(out, "{r}")?;
                if verbose {
                    for f in &r.findings {
                        writeln!(out, "       {}", serde_json::to_string(f)?)?;
                    }
                }
            }
            Ok(r) => {
                failed += 1;
                write!(out, "{r}")?;
            }
            Err(e) => {
                failed += 1;
                writeln!(out, "FAIL {e}")?;
            }
        }
    }
    writeln!(out, "{passed} passed, {failed} failed")?;
    Ok(failed == 0)
}
