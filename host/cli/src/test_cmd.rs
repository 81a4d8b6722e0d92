//! `sandtrap test`: scenarios against a detector, with a diff on failure.

use std::io::Write;
use std::path::{Path, PathBuf};

use sandtrap_testkit::{Scenario, run_scenario};

pub(crate) fn run(detector: &Path, scenarios: &[PathBuf], verbose: bool) -> anyhow::Result<bool> {
    let mut out = std::io::stdout().lock();
    let (mut passed, mut failed) = (0usize, 0usize);
    for path in scenarios {
        let report = Scenario::from_file(path).and_then(|s| run_scenario(detector, &s));
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
