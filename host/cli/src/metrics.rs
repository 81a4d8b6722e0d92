//! Prometheus metrics over HTTP, bound to loopback unless told otherwise.
//!
//! The pipeline thread renders the text exposition now and then; the
//! server thread only hands out the latest rendering, so a scrape never
//! touches the pipeline.

use std::fmt::Write as _;
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use anyhow::Context;
use sandtrap_runtime::{Dispatcher, LATENCY_BUCKETS_NS};

/// The latest rendering, shared with the server thread.
pub(crate) type Exposition = Arc<Mutex<String>>;

/// Serves `GET /metrics` on `addr` from a thread.
pub(crate) fn serve(addr: SocketAddr) -> anyhow::Result<(Exposition, SocketAddr)> {
    let listener =
        TcpListener::bind(addr).with_context(|| format!("metrics: cannot bind {addr}"))?;
    let bound = listener.local_addr()?;
    let text: Exposition = Arc::new(Mutex::new(String::new()));
    let shared = text.clone();
    std::thread::Builder::new().name("sandtrap-metrics".into()).spawn(move || {
        for conn in listener.incoming().flatten() {
            let _ = conn.set_read_timeout(Some(Duration::from_secs(2)));
            let mut conn = conn;
            let mut buf = [0u8; 2048];
            let n = conn.read(&mut buf).unwrap_or(0);
            let request = String::from_utf8_lossy(&buf[..n]);
            let path = request.split_whitespace().nth(1).unwrap_or("");
            let reply = if request.starts_with("GET ") && (path == "/metrics" || path.starts_with("/metrics?")) {
                let body = shared.lock().map(|s| s.clone()).unwrap_or_default();
                format!("HTTP/1.1 200 OK\r\nContent-Type: text/plain; version=0.0.4\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}", body.len())
            } else {
                "HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\nConnection: close\r\n\r\n".to_owned()
            };
            let _ = conn.write_all(reply.as_bytes());
        }
    })?;
    Ok((text, bound))
}

fn label(v: &str) -> String {
    v.replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('\n', "\\n")
}

/// Renders every metric of the pipeline, its stores and the collector.
pub(crate) fn render(d: &Dispatcher, collector: &[(&str, u64)]) -> String {
    let mut o = String::new();
    let det = d.detectors();
    let mut counter =
        |name: &str, help: &str, f: &dyn Fn(&sandtrap_runtime::DetectorStats) -> u64| {
            let _ = writeln!(
                o,
                "# HELP sandtrap_detector_{name} {help}\n# TYPE sandtrap_detector_{name} counter"
            );
            for x in &det {
                let _ = writeln!(
                    o,
                    "sandtrap_detector_{name}{{detector=\"{}\"}} {}",
                    label(x.id()),
                    f(&x.stats())
                );
            }
        };
    counter("events_total", "Events delivered.", &|s| s.events);
    counter(
        "calls_total",
        "Calls into the detector; each carries one or more events.",
        &|s| s.calls,
    );
    counter("findings_total", "Detections returned.", &|s| s.detections);
    counter(
        "shed_total",
        "Events shed by the events-per-second limit.",
        &|s| s.shed,
    );
    counter(
        "suppressed_total",
        "Detections suppressed by the findings-per-second limit.",
        &|s| s.suppressed,
    );
    counter("errors_total", "Errors returned by the detector.", &|s| {
        s.errors
    });
    counter("traps_total", "Instances lost to traps.", &|s| s.faults);
    let _ = writeln!(
        o,
        "# HELP sandtrap_detector_quarantined 1 when quarantined.\n# TYPE sandtrap_detector_quarantined gauge"
    );
    for x in &det {
        let _ = writeln!(
            o,
            "sandtrap_detector_quarantined{{detector=\"{}\"}} {}",
            label(x.id()),
            u8::from(x.quarantined().is_some())
        );
    }
    let _ = writeln!(
        o,
        "# HELP sandtrap_detector_call_seconds Latency of calls into the detector.\n# TYPE sandtrap_detector_call_seconds histogram"
    );
    for x in &det {
        let s = x.stats();
        let id = label(x.id());
        let mut cumulative = 0;
        for (i, bound) in LATENCY_BUCKETS_NS.iter().enumerate() {
            cumulative += s.latency_buckets[i];
            let _ = writeln!(
                o,
                "sandtrap_detector_call_seconds_bucket{{detector=\"{id}\",le=\"{}\"}} {cumulative}",
                *bound as f64 / 1e9
            );
        }
        cumulative += s.latency_buckets[LATENCY_BUCKETS_NS.len()];
        let _ = writeln!(
            o,
            "sandtrap_detector_call_seconds_bucket{{detector=\"{id}\",le=\"+Inf\"}} {cumulative}"
        );
        let _ = writeln!(
            o,
            "sandtrap_detector_call_seconds_sum{{detector=\"{id}\"}} {}",
            s.latency_sum_ns as f64 / 1e9
        );
        let _ = writeln!(
            o,
            "sandtrap_detector_call_seconds_count{{detector=\"{id}\"}} {cumulative}"
        );
    }
    let reg = d.runtime().stores().registry();
    let stores: Vec<_> = reg
        .list()
        .into_iter()
        .filter_map(|n| Some((reg.get_metrics(&n).ok()?, reg.get_health(&n).ok()?, n)))
        .collect();
    for (name, help, kind) in [
        ("items", "Items held.", "gauge"),
        ("hits_total", "Lookups that found their key.", "counter"),
        ("misses_total", "Lookups that did not.", "counter"),
        ("healthy", "1 when healthy.", "gauge"),
    ] {
        let _ = writeln!(
            o,
            "# HELP sandtrap_store_{name} {help}\n# TYPE sandtrap_store_{name} {kind}"
        );
        for (m, h, store) in &stores {
            let v = match name {
                "items" => m.item_count.max(0) as u64,
                "hits_total" => m.cache_hits,
                "misses_total" => m.cache_misses,
                _ => u64::from(h.status == sandtrap_model::HealthStatus::Healthy),
            };
            let _ = writeln!(o, "sandtrap_store_{name}{{store=\"{}\"}} {v}", label(store));
        }
    }
    for (name, value) in collector {
        let _ = writeln!(
            o,
            "# TYPE sandtrap_collector_{name} counter\nsandtrap_collector_{name} {value}"
        );
    }
    let s = d.stats();
    let _ = writeln!(
        o,
        "# TYPE sandtrap_pipeline_events_total counter\nsandtrap_pipeline_events_total {}",
        s.events
    );
    let _ = writeln!(
        o,
        "# TYPE sandtrap_pipeline_unselected_total counter\nsandtrap_pipeline_unselected_total {}",
        s.unselected
    );
    o
}
