//! Running a scenario and explaining the result as a diff.

use std::fmt;
use std::path::Path;

use sandtrap_model::{Finding, Value};
use sandtrap_runtime::{Fault, LogLine};

use crate::error::TestkitError;
use crate::host::MockHost;
use crate::scenario::{Expectation, Scenario};

/// Result of one scenario.
#[derive(Debug)]
pub struct ScenarioReport {
    /// Scenario name.
    pub name: String,
    /// Scenario file.
    pub path: String,
    /// Expectations no finding satisfied.
    pub missing: Vec<Expectation>,
    /// Findings no expectation asked for.
    pub unexpected: Vec<Finding>,
    /// Detector faults during the run.
    pub faults: Vec<Fault>,
    /// Every finding, in order.
    pub findings: Vec<Finding>,
    /// Id of the detector under test.
    pub detector: String,
    /// What the detectors logged, in order.
    pub logs: Vec<LogLine>,
}

impl ScenarioReport {
    /// True when every expectation was met, nothing else was found, and no
    /// detector faulted.
    pub fn passed(&self) -> bool {
        self.missing.is_empty() && self.unexpected.is_empty() && self.faults.is_empty()
    }
}

/// Runs `scenario` against the component at `component`: supporting
/// detectors first, then the one under test.
pub fn run_scenario(component: &Path, scenario: &Scenario) -> Result<ScenarioReport, TestkitError> {
    run_scenario_cached(component, scenario, None)
}

/// [`run_scenario`] with compiled components kept in `cache_dir`.
pub fn run_scenario_cached(
    component: &Path,
    scenario: &Scenario,
    cache_dir: Option<&Path>,
) -> Result<ScenarioReport, TestkitError> {
    let mut builder = MockHost::builder()
        .cache_dir(cache_dir)
        .fixtures(scenario.stores.clone())
        .clock(scenario.clock)
        .origin(&scenario.path.display().to_string());
    for extra in &scenario.detectors {
        let path = scenario.resolve(&extra.component);
        builder = builder.detector_file(&path, extra.config.clone().into_iter().collect())?;
    }
    builder = builder.detector_file(component, scenario.config.clone().into_iter().collect())?;
    let mut host = builder.build()?;
    let detector = host.detector_ids().last().cloned().unwrap_or_default();
    let mut findings = Vec::new();
    for ev in &scenario.events {
        findings.extend(host.send(ev.clone()));
    }
    // Expectations may be loose (only an event number), so pair them with
    // findings by maximum bipartite matching: the order of expectations
    // in the file never decides the verdict.
    let edges: Vec<Vec<usize>> = scenario
        .expect
        .iter()
        .map(|e| {
            (0..findings.len())
                .filter(|&i| satisfies(&findings[i], e, &detector))
                .collect()
        })
        .collect();
    let owner = max_matching(&edges, findings.len());
    let mut matched = vec![false; findings.len()];
    let mut used = vec![false; scenario.expect.len()];
    for (finding, exp) in owner.iter().enumerate() {
        if let Some(e) = exp {
            matched[finding] = true;
            used[*e] = true;
        }
    }
    let missing: Vec<Expectation> = scenario
        .expect
        .iter()
        .zip(&used)
        .filter(|(_, u)| !**u)
        .map(|(e, _)| e.clone())
        .collect();
    let unexpected = findings
        .iter()
        .zip(&matched)
        .filter(|(_, m)| !**m)
        .map(|(f, _)| f.clone())
        .collect();
    Ok(ScenarioReport {
        name: scenario.name.clone(),
        path: scenario.path.display().to_string(),
        missing,
        unexpected,
        faults: host.faults().to_vec(),
        logs: host.take_logs(),
        findings,
        detector,
    })
}

/// Kuhn's augmenting paths: `edges[e]` lists the findings expectation `e`
/// accepts; returns, per finding, the expectation it is paired with.
fn max_matching(edges: &[Vec<usize>], findings: usize) -> Vec<Option<usize>> {
    fn augment(
        e: usize,
        edges: &[Vec<usize>],
        seen: &mut [bool],
        owner: &mut [Option<usize>],
    ) -> bool {
        for &f in &edges[e] {
            if seen[f] {
                continue;
            }
            seen[f] = true;
            if owner[f].is_none_or(|other| augment(other, edges, seen, owner)) {
                owner[f] = Some(e);
                return true;
            }
        }
        false
    }
    let mut owner = vec![None; findings];
    for e in 0..edges.len() {
        let mut seen = vec![false; findings];
        augment(e, edges, &mut seen, &mut owner);
    }
    owner
}

fn normal(v: &Value) -> Value {
    match v {
        Value::Int(i) if *i >= 0 => Value::Uint(*i as u64),
        other => other.clone(),
    }
}

fn satisfies(f: &Finding, e: &Expectation, default_detector: &str) -> bool {
    f.event.seq == e.event
        && f.detector.id == e.detector.as_deref().unwrap_or(default_detector)
        && e.finding.as_ref().is_none_or(|n| *n == f.definition.name)
        && e.severity.is_none_or(|s| s == f.severity)
        && e.fields.iter().all(|(k, v)| {
            f.fields
                .iter()
                .any(|a| a.name == *k && normal(&a.value) == normal(v))
        })
}

fn show_value(v: &Value) -> String {
    serde_json::to_string(v).unwrap_or_else(|_| "?".into())
}

impl fmt::Display for ScenarioReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.passed() {
            return writeln!(
                f,
                "ok   {} ({}): {} finding(s)",
                self.name,
                self.path,
                self.findings.len()
            );
        }
        writeln!(f, "FAIL {} ({})", self.name, self.path)?;
        for e in &self.missing {
            let fields: Vec<String> = e
                .fields
                .iter()
                .map(|(k, v)| format!("{k}={}", show_value(v)))
                .collect();
            writeln!(
                f,
                "  - expected  event {} {}/{}{} {{{}}}",
                e.event,
                e.detector.as_deref().unwrap_or(&self.detector),
                e.finding.as_deref().unwrap_or("*"),
                e.severity
                    .map(|s| format!(" [{}]", s.as_str()))
                    .unwrap_or_default(),
                fields.join(", ")
            )?;
        }
        for x in &self.unexpected {
            let fields: Vec<String> = x
                .fields
                .iter()
                .map(|a| format!("{}={}", a.name, show_value(&a.value)))
                .collect();
            writeln!(
                f,
                "  + unexpected event {} {}/{} [{}] {{{}}}",
                x.event.seq,
                x.detector.id,
                x.definition.name,
                x.severity.as_str(),
                fields.join(", ")
            )?;
        }
        for fault in &self.faults {
            writeln!(f, "  ! fault     {}: {}", fault.detector, fault.reason)?;
        }
        for l in &self.logs {
            writeln!(
                f,
                "  · log       {} [{}] {}",
                l.detector, l.level, l.message
            )?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::max_matching;

    #[test]
    fn loose_expectation_first_does_not_steal_the_only_fit_of_a_strict_one() {
        // Expectation 0 accepts findings 0 and 1; expectation 1 only 0.
        let owner = max_matching(&[vec![0, 1], vec![0]], 2);
        assert_eq!(owner, [Some(1), Some(0)]);
    }

    #[test]
    fn unmatched_sides_stay_unmatched() {
        assert_eq!(max_matching(&[vec![], vec![1]], 3), [None, Some(1), None]);
    }
}
