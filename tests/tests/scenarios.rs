//! Every example detector's scenarios pass through the testkit library,
//! the face detector authors use from `cargo test`.

use sandtrap_e2e::{example, root};
use sandtrap_testkit::{Scenario, run_scenario, run_scenario_cached};

#[test]
fn every_example_scenario_passes() {
    // Python and JavaScript guests take seconds to compile: once each.
    let cache = tempfile::tempdir().unwrap();
    let mut ran = 0;
    for dir in std::fs::read_dir(root().join("example-detectors")).unwrap() {
        let dir = dir.unwrap().path();
        let name = dir.file_name().unwrap().to_string_lossy().replace('-', "_");
        let component = example(&name);
        let mut files: Vec<_> = std::fs::read_dir(dir.join("scenarios"))
            .unwrap()
            .map(|e| e.unwrap().path())
            .collect();
        files.sort();
        assert!(!files.is_empty(), "{name} ships no scenarios");
        for file in files {
            let scenario = Scenario::from_file(&file).unwrap();
            let report = run_scenario_cached(&component, &scenario, Some(cache.path())).unwrap();
            assert!(report.passed(), "{report}");
            ran += 1;
        }
    }
    assert!(ran >= 8, "only {ran} scenarios ran");
}

#[test]
fn a_wrong_expectation_fails_with_a_diff() {
    let path = root().join("example-detectors/fileless-exec/scenarios/memfd-exec.yaml");
    let text = std::fs::read_to_string(&path)
        .unwrap()
        .replace("severity: high", "severity: low");
    let scenario = Scenario::from_yaml(&path, &text).unwrap();
    let report = run_scenario(&example("fileless_exec"), &scenario).unwrap();
    assert!(!report.passed());
    let diff = report.to_string();
    assert!(
        diff.contains("- expected  event 2 fileless-exec/fileless_execution [low]"),
        "{diff}"
    );
    assert!(
        diff.contains("+ unexpected event 2 fileless-exec/fileless_execution [high]"),
        "{diff}"
    );
}

#[test]
fn scenario_with_an_unknown_key_is_refused_with_its_line() {
    let text = "name: x\nevents:\n  - name: openat\n    procss: {pid: 1}\n";
    let err = Scenario::from_yaml("bad.yaml".as_ref(), text)
        .unwrap_err()
        .to_string();
    assert!(err.starts_with("bad.yaml:4"), "{err}");
    assert!(err.contains("unknown field `procss`"), "{err}");
    let err = Scenario::from_yaml("typo.yaml".as_ref(), "name: x\nevents: []\nexpekt: []\n")
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("typo.yaml:3") && err.contains("expekt"),
        "{err}"
    );
}

#[test]
fn mock_host_results_are_identical_across_runs() {
    let path = root().join("example-detectors/denied-connect/scenarios/with-feed.yaml");
    let scenario = Scenario::from_file(&path).unwrap();
    let run = || {
        let r = run_scenario(&example("denied_connect"), &scenario).unwrap();
        serde_json::to_string(&r.findings).unwrap()
    };
    assert_eq!(run(), run());
}
