//! The `sandtrap` binary end to end: the demo replay, bad trace lines,
//! bad components and a detector whose init fails.

use std::process::{Command, Output};

use sandtrap_e2e::{examples_dir, misbehave, root, sandtrap_bin};
use serde_json::Value;

fn run(args: &[&str]) -> Output {
    Command::new(sandtrap_bin())
        .args(args)
        .current_dir(root())
        .output()
        .expect("sandtrap runs")
}

fn findings(out: &Output) -> Vec<Value> {
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|l| {
            serde_json::from_str(l)
                .unwrap_or_else(|e| panic!("finding line is not JSON ({e}): {l}"))
        })
        .collect()
}

fn summary(f: &[Value]) -> Vec<(String, u64)> {
    f.iter()
        .map(|f| {
            (
                f["detector"]["id"].as_str().unwrap().to_owned(),
                f["event"]["seq"].as_u64().unwrap(),
            )
        })
        .collect()
}

#[test]
fn demo_trace_fires_every_example_detector() {
    let dir = examples_dir();
    let out = run(&[
        "replay",
        "demo/trace.jsonl",
        "--detectors",
        dir.to_str().unwrap(),
        "--config",
        "demo/sandtrap.toml",
    ]);
    assert!(
        out.status.success(),
        "stderr: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let f = findings(&out);
    let expected: Vec<(String, u64)> = [
        ("webserver-shell", 4),
        ("ip-reputation-feed", 7),
        ("denied-connect", 8),
        ("fileless-exec", 11),
        ("denied-connect", 12),
        // xmrig from /dev/shm in a container: a miner run from memory.
        ("cryptominer", 22),
        ("fileless-exec", 22),
    ]
    .iter()
    .map(|(d, s)| ((*d).to_owned(), *s))
    .collect();
    assert_eq!(summary(&f), expected);

    // The host enriched the findings: ancestry of the web shell's curl, the
    // container of the miner, the domains behind the denied address.
    let c2 = &f[2];
    assert_eq!(
        c2["fields"]["domains"],
        serde_json::json!(["c2.evil.example", "edge.evil-cdn.example"])
    );
    assert_eq!(c2["severity"], "critical");
    let ancestry: Vec<&str> = c2["ancestry"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["name"].as_str().unwrap())
        .collect();
    assert_eq!(ancestry, ["sh", "nginx", "nginx"]);
    assert_eq!(c2["process"]["pid"], 2301);
    let miner = &f[5];
    assert_eq!(miner["container"]["name"], "shop-frontend");
    assert_eq!(miner["container"]["runtime"], "docker");
    assert_eq!(
        miner["event"]["process"]["container_id"]
            .as_str()
            .unwrap()
            .len(),
        64
    );
}

#[test]
fn pretty_format_draws_the_ancestry() {
    let out = run(&[
        "replay",
        "demo/trace.jsonl",
        "--detectors",
        examples_dir().to_str().unwrap(),
        "--config",
        "demo/sandtrap.toml",
        "--format",
        "pretty",
    ]);
    assert!(out.status.success());
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("[HIGH] fileless-exec — fileless_execution (T1620 Defense Evasion)"),
        "{text}"
    );
    assert!(text.contains("    nginx(800) /usr/sbin/nginx"), "{text}");
    assert!(text.contains("       └─ sh(2300) /bin/sh uid=33"), "{text}");
    assert!(text.contains("container: shop-frontend (docker"), "{text}");
}

#[test]
fn bad_trace_lines_are_reported_and_skipped() {
    let dir = tempfile::tempdir().unwrap();
    let trace = dir.path().join("t.jsonl");
    let good = r#"{"name":"sched_process_exec","process":{"pid":5,"start_ticks":9,"comm":"x"},"args":{"pathname":"memfd:x"}}"#;
    let lines = [
        good,
        "{not json",
        r#"{"name":"sched_process_exec","process":{"pid":"five"}}"#,
        r#"{"name":"openat","proces":{}}"#,
        "",
        r#"{"name":"x","args":{"n":1.5}}"#,
        good,
    ];
    std::fs::write(&trace, lines.join("\n")).unwrap();
    let out = run(&[
        "replay",
        trace.to_str().unwrap(),
        "--detectors",
        examples_dir().to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    let t = trace.display();
    for (line, what) in [
        (2, "key must be a string"),
        (3, "invalid type"),
        (4, "unknown field `proces`"),
        (6, "floating-point"),
    ] {
        assert!(
            err.contains(&format!("{t}:{line}: ")) && err.contains(what),
            "line {line} ({what}) not reported: {err}"
        );
    }
    assert!(err.contains("4 line(s) skipped"), "{err}");
    let f = findings(&out);
    assert_eq!(
        summary(&f),
        [
            ("fileless-exec".to_owned(), 1),
            ("fileless-exec".to_owned(), 2)
        ]
    );
}

#[test]
fn broken_components_are_refused_one_by_one_and_the_rest_runs() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    std::fs::copy(
        sandtrap_e2e::example("fileless_exec"),
        d.join("a_fileless.wasm"),
    )
    .unwrap();
    std::fs::write(d.join("b_garbage.wasm"), b"\0asm\x01\0\0\0garbage").unwrap();
    std::fs::write(d.join("c_text.wasm"), b"hello").unwrap();
    // Components built for the next contract and for the previous one.
    for (file, version) in [("d_future.wasm", "0.5.0"), ("d_past.wasm", "0.3.0")] {
        let component = wat::parse_str(format!(
            r#"(component
                (core module $m (func (export "f")))
                (core instance $i (instantiate $m))
                (func $f (canon lift (core func $i "f")))
                (instance $g (export "describe" (func $f)))
                (export "sandtrap:detector/guest@{version}" (instance $g)))"#
        ))
        .unwrap();
        std::fs::write(d.join(file), component).unwrap();
    }
    std::fs::copy(misbehave(), d.join("e_misbehave.wasm")).unwrap();
    let config = d.join("c.toml");
    std::fs::write(
        &config,
        "[detectors.misbehave.config]\nmode = \"init-fail\"\n",
    )
    .unwrap();
    let trace = d.join("t.jsonl");
    std::fs::write(&trace, r#"{"name":"sched_process_exec","process":{"pid":5,"comm":"x"},"args":{"pathname":"/dev/shm/x"}}"#).unwrap();

    let out = run(&[
        "replay",
        trace.to_str().unwrap(),
        "--detectors",
        d.to_str().unwrap(),
        "--config",
        config.to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    let lines: Vec<&str> = err
        .lines()
        .filter(|l| l.starts_with("sandtrap: "))
        .collect();
    assert_eq!(lines.len(), 5, "one line per refused component: {err}");
    assert!(
        lines[0].contains("b_garbage.wasm: not a valid WebAssembly component"),
        "{err}"
    );
    assert!(
        lines[1].contains("c_text.wasm: not a valid WebAssembly component"),
        "{err}"
    );
    assert!(
        lines[2].contains("d_future.wasm: built against contract sandtrap:detector@0.5.0, but this host serves sandtrap:detector@0.4.0"),
        "{err}"
    );
    assert!(
        lines[3].contains("d_past.wasm: built against contract sandtrap:detector@0.3.0, but this host serves sandtrap:detector@0.4.0"),
        "{err}"
    );
    assert!(
        lines[4].contains("detector misbehave")
            && lines[4].contains("init failed: refusing to start"),
        "{err}"
    );
    assert_eq!(summary(&findings(&out)), [("fileless-exec".to_owned(), 1)]);
}

#[test]
fn inspect_shows_contract_description_and_imports() {
    let out = run(&[
        "inspect",
        "--json",
        sandtrap_e2e::example("denied_connect").to_str().unwrap(),
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let doc: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(doc["contract"], "sandtrap:detector@0.4.0");
    assert_eq!(doc["describe"]["id"], "denied-connect");
    assert_eq!(doc["describe"]["finding"]["mitre_technique"], "T1071");
    let imports: Vec<&str> = doc["imports"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap())
        .collect();
    assert!(
        imports.contains(&"sandtrap:detector/ip-reputation@0.4.0"),
        "{imports:?}"
    );
    assert!(doc["size"].as_u64().unwrap() > 1000);

    let out = run(&["inspect", "Cargo.toml"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        String::from_utf8_lossy(&out.stderr)
            .contains("Cargo.toml: not a valid WebAssembly component")
    );
}

#[test]
fn failing_scenario_makes_sandtrap_test_exit_nonzero() {
    let dir = tempfile::tempdir().unwrap();
    let s = dir.path().join("s.yaml");
    std::fs::write(
        &s,
        "name: expects too much\nevents:\n  - name: sched_process_exec\n    process: {pid: 3}\n    args: {pathname: /bin/ls}\nexpect:\n  - event: 1\n",
    )
    .unwrap();
    let out = run(&[
        "test",
        sandtrap_e2e::example("fileless_exec").to_str().unwrap(),
        s.to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(1));
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("FAIL expects too much"), "{text}");
    assert!(
        text.contains("- expected  event 1 fileless-exec/*"),
        "{text}"
    );
    assert!(text.contains("0 passed, 1 failed"), "{text}");
}
