//! Running a scenario and explaining the result as a diff.

use std::fmt;
use std::path::Path;

use sandtrap_model::{Finding, Value};
use sandtrap_runtime::Fault;

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
    let mut builder = MockHost::builder()
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
    let mut matched = vec![false; findings.len()];
    let mut missing = Vec::new();
    for exp in &scenario.expect {
        let hit = findings
            .iter()
            .enumerate()
            .position(|(i, f)| !matched[i] && satisfies(f, exp, &detector));
        match hit {
            Some(i) => matched[i] = true,
            None => missing.push(exp.clone()),
        }
    }
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
        findings,
        detector,
    })
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
        Ok(())
    }
}
