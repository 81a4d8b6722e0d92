//! The control socket and the metrics endpoint of a running host (root).

use std::io::{Read, Write};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use sandtrap_e2e::{examples_dir, sandtrap_bin};
use serde_json::Value;

fn ctl(socket: &std::path::Path, words: &[&str]) -> (bool, Value) {
    let out = Command::new(sandtrap_bin())
        .arg("ctl")
        .arg("--socket")
        .arg(socket)
        .args(words)
        .output()
        .unwrap();
    let v = serde_json::from_slice(&out.stdout).unwrap_or(Value::Null);
    (out.status.success(), v)
}

fn scrape(port: u16) -> String {
    let mut s = std::net::TcpStream::connect(("127.0.0.1", port)).unwrap();
    s.write_all(b"GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n")
        .unwrap();
    let mut text = String::new();
    s.read_to_string(&mut text).unwrap();
    text
}

#[test]
fn ctl_drives_a_running_host_and_metrics_are_served_on_loopback() {
    let root = std::fs::read_to_string("/proc/self/status").is_ok_and(|s| s.contains("Uid:\t0\t"));
    if !root || !std::path::Path::new("/sys/kernel/btf/vmlinux").exists() {
        eprintln!("skipped: needs root and kernel BTF");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let socket = dir.path().join("ctl.sock");
    let port = 20_000 + (std::process::id() % 20_000) as u16;
    // Loading every example (the Python and JavaScript ones are large)
    // takes seconds on an idle machine and much longer on a loaded one, so
    // the bounds below only catch a host that never comes up; the test
    // stops the host itself.
    let mut quiet = Command::new("sleep").arg("900").spawn().unwrap();
    let mut host = Command::new(sandtrap_bin())
        .args([
            "run",
            "--detectors",
            examples_dir().to_str().unwrap(),
            "--follow",
            &quiet.id().to_string(),
        ])
        .arg("--control")
        .arg(&socket)
        .args([
            "--metrics",
            &format!("127.0.0.1:{port}"),
            "--duration",
            "900",
        ])
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // Drained on a thread so the host never blocks on a full pipe.
    let (lines_tx, lines) = std::sync::mpsc::channel::<String>();
    let stderr = host.stderr.take().unwrap();
    std::thread::spawn(move || {
        use std::io::BufRead;
        for line in std::io::BufReader::new(stderr)
            .lines()
            .map_while(Result::ok)
        {
            let _ = lines_tx.send(line);
        }
    });
    let start = Instant::now();
    while !socket.exists() {
        if let Some(status) = host.try_wait().unwrap() {
            let said: Vec<String> = lines.try_iter().collect();
            panic!("the host exited ({status}) before its control socket appeared: {said:?}");
        }
        assert!(
            start.elapsed() < Duration::from_secs(600),
            "control socket never appeared"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
    use std::os::unix::fs::PermissionsExt;
    assert_eq!(
        std::fs::metadata(&socket).unwrap().permissions().mode() & 0o777,
        0o600
    );

    let (ok, list) = ctl(&socket, &["list"]);
    assert!(ok);
    let components = std::fs::read_dir(examples_dir())
        .unwrap()
        .filter(|e| {
            e.as_ref()
                .unwrap()
                .path()
                .extension()
                .is_some_and(|x| x == "wasm")
        })
        .count();
    assert_eq!(list.as_array().unwrap().len(), components);
    // The readiness line a supervisor waits for: every detector loaded,
    // the hooks attached.
    let ready = loop {
        let line = lines
            .recv_timeout(Duration::from_secs(600))
            .expect("no readiness line");
        if line.starts_with("sandtrap: running: ") {
            break line;
        }
    };
    let words: Vec<&str> = ready.split_whitespace().collect();
    assert_eq!(
        (words[2].parse::<usize>().ok(), words[3], words[5], words[6]),
        (Some(components), "detectors,", "hooks", "attached"),
        "{ready}"
    );
    assert!(words[4].parse::<u32>().is_ok_and(|n| n > 0), "{ready}");
    let (ok, r) = ctl(&socket, &["disable", "fileless-exec"]);
    assert!(ok && r["enabled"] == false, "{r}");
    let (ok, r) = ctl(&socket, &["unload", "webserver-shell"]);
    assert!(ok && r["unloaded"] == "webserver-shell", "{r}");
    let (ok, r) = ctl(&socket, &["unload", "webserver-shell"]);
    assert!(
        !ok && r["error"].as_str().unwrap().contains("no detector"),
        "{r}"
    );
    let path = examples_dir().join("webserver_shell.wasm");
    let (ok, r) = ctl(&socket, &["load", path.to_str().unwrap()]);
    assert!(ok && r["loaded"] == "webserver-shell", "{r}");
    let (ok, r) = ctl(&socket, &["load", "/etc/hostname"]);
    assert!(
        !ok && r["error"]
            .as_str()
            .unwrap()
            .contains("not a valid WebAssembly component"),
        "{r}"
    );
    let (ok, stats) = ctl(&socket, &["stats"]);
    assert!(
        ok && stats["detectors"].as_array().unwrap().len() == components,
        "{stats}"
    );
    assert!(stats["collector"]["lost_total"].is_u64());
    let (ok, stores) = ctl(&socket, &["stores"]);
    assert!(
        ok && stores
            .as_array()
            .unwrap()
            .iter()
            .any(|s| s["name"] == "process"),
        "{stores}"
    );
    let (ok, _) = ctl(&socket, &["frobnicate"]);
    assert!(!ok);

    std::thread::sleep(Duration::from_millis(1500));
    let text = scrape(port);
    assert!(text.starts_with("HTTP/1.1 200 OK"), "{text}");
    for needle in [
        "sandtrap_detector_events_total{detector=\"denied-connect\"}",
        "sandtrap_detector_calls_total{detector=\"denied-connect\"}",
        "sandtrap_detector_quarantined{detector=\"fileless-exec\"} 0",
        "sandtrap_detector_call_seconds_bucket{detector=\"webserver-shell\",le=\"+Inf\"}",
        "sandtrap_store_items{store=\"process\"}",
        "sandtrap_collector_lost_total 0",
    ] {
        assert!(text.contains(needle), "{needle} missing from:\n{text}");
    }

    // SIGTERM: the host stops cleanly.
    let _ = Command::new("kill").arg(host.id().to_string()).status();
    let status = host.wait().unwrap();
    assert!(status.success(), "{status:?}");
    let _ = quiet.kill();
    let _ = quiet.wait();
}
