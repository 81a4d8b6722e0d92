//! Container metadata from a runtime's Docker-compatible API (Docker, or
//! Podman's compatibility socket), spoken as HTTP/1.1 over a unix socket.
//!
//! The store calls the enricher once per new container on the event path,
//! so every request is bounded: short timeouts, a capped response, and any
//! failure is just "no metadata".

use std::io::{Read, Write};
use std::os::unix::net::UnixStream;
use std::path::{Path, PathBuf};
use std::time::Duration;

use sandtrap_model::{PodInfo, Runtime};
use sandtrap_stores::{ContainerEnricher, ContainerEnrichment};
use serde_json::Value;

/// Largest response read.
const MAX_RESPONSE: u64 = 1 << 20;
/// Sockets tried when none is configured.
pub const DEFAULT_SOCKETS: [&str; 2] = ["/var/run/docker.sock", "/run/podman/podman.sock"];

/// A client of one runtime socket.
#[derive(Debug, Clone)]
pub struct DockerApi {
    socket: PathBuf,
    timeout: Duration,
}

impl DockerApi {
    /// A client of the API at `socket`.
    pub fn new(socket: impl Into<PathBuf>) -> Self {
        Self {
            socket: socket.into(),
            timeout: Duration::from_millis(500),
        }
    }

    /// The first default socket that exists.
    pub fn detect() -> Option<Self> {
        DEFAULT_SOCKETS
            .iter()
            .map(Path::new)
            .find(|p| p.exists())
            .map(Self::new)
    }

    /// The socket this client talks to.
    pub fn socket(&self) -> &Path {
        &self.socket
    }

    /// `GET path`, returning the body of a 200 answer.
    fn get(&self, path: &str) -> Result<Vec<u8>, String> {
        let mut s = UnixStream::connect(&self.socket)
            .map_err(|e| format!("{}: {e}", self.socket.display()))?;
        s.set_read_timeout(Some(self.timeout))
            .map_err(|e| e.to_string())?;
        s.set_write_timeout(Some(self.timeout))
            .map_err(|e| e.to_string())?;
        write!(s, "GET {path} HTTP/1.1\r\nHost: docker\r\nUser-Agent: sandtrap\r\nConnection: close\r\n\r\n")
            .map_err(|e| e.to_string())?;
        let mut raw = Vec::new();
        s.take(MAX_RESPONSE)
            .read_to_end(&mut raw)
            .map_err(|e| e.to_string())?;
        parse_http(&raw)
    }

    /// Inspects container `id`.
    pub fn inspect(&self, id: &str) -> Result<ContainerEnrichment, String> {
        if !id.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Err(format!("{id:?} is not a container id"));
        }
        let body = self.get(&format!("/containers/{id}/json"))?;
        let doc: Value = serde_json::from_slice(&body).map_err(|e| format!("bad JSON: {e}"))?;
        Ok(from_inspect(&doc))
    }
}

impl ContainerEnricher for DockerApi {
    fn enrich(&self, id: &str, runtime: Runtime) -> Option<ContainerEnrichment> {
        if !matches!(runtime, Runtime::Docker | Runtime::Podman) {
            return None;
        }
        match self.inspect(id) {
            Ok(e) => Some(e),
            Err(e) => {
                tracing::debug!(container = id, "no metadata from the runtime: {e}");
                None
            }
        }
    }
}

/// Splits an HTTP/1.1 response; only `200` is a success. Handles both
/// `Content-Length` and chunked bodies.
pub fn parse_http(raw: &[u8]) -> Result<Vec<u8>, String> {
    let split = raw
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .ok_or("truncated HTTP response")?;
    let head = String::from_utf8_lossy(&raw[..split]);
    let body = &raw[split + 4..];
    let mut lines = head.lines();
    let status = lines.next().unwrap_or_default();
    let code = status.split_whitespace().nth(1).unwrap_or_default();
    if code != "200" {
        return Err(format!("runtime answered {status:?}"));
    }
    let chunked = lines.any(|l| {
        let l = l.to_ascii_lowercase();
        l.starts_with("transfer-encoding:") && l.contains("chunked")
    });
    if !chunked {
        return Ok(body.to_vec());
    }
    let mut out = Vec::new();
    let mut rest = body;
    loop {
        let eol = rest
            .windows(2)
            .position(|w| w == b"\r\n")
            .ok_or("truncated chunk size")?;
        let size_text = String::from_utf8_lossy(&rest[..eol]);
        let size = usize::from_str_radix(size_text.split(';').next().unwrap_or("").trim(), 16)
            .map_err(|_| format!("bad chunk size {size_text:?}"))?;
        rest = &rest[eol + 2..];
        if size == 0 {
            return Ok(out);
        }
        if rest.len() < size {
            return Err("truncated chunk".into());
        }
        out.extend_from_slice(&rest[..size]);
        rest = rest.get(size + 2..).unwrap_or_default();
    }
}

fn text(v: &Value, path: &[&str]) -> String {
    let mut cur = v;
    for p in path {
        match cur.get(p) {
            Some(next) => cur = next,
            None => return String::new(),
        }
    }
    cur.as_str().unwrap_or_default().to_owned()
}

/// The fields sandtrap keeps from a `/containers/{id}/json` document.
pub fn from_inspect(doc: &Value) -> ContainerEnrichment {
    let label = |k: &str| text(doc, &["Config", "Labels", k]);
    let pod_name = label("io.kubernetes.pod.name");
    let pod = (!pod_name.is_empty()).then(|| PodInfo {
        name: pod_name,
        uid: label("io.kubernetes.pod.uid"),
        namespace: label("io.kubernetes.pod.namespace"),
        sandbox: label("io.kubernetes.docker.type") == "podsandbox",
    });
    ContainerEnrichment {
        name: text(doc, &["Name"]).trim_start_matches('/').to_owned(),
        image: text(doc, &["Config", "Image"]),
        image_digest: text(doc, &["Image"]),
        start_time: rfc3339_ns(&text(doc, &["State", "StartedAt"])).unwrap_or(0),
        pod,
    }
}

/// `2024-05-01T12:34:56.123456789Z` (or with an offset) in ns since the
/// Unix epoch.
pub fn rfc3339_ns(s: &str) -> Option<u64> {
    let b = s.as_bytes();
    if b.len() < 20
        || b[4] != b'-'
        || b[7] != b'-'
        || b[10] != b'T'
        || b[13] != b':'
        || b[16] != b':'
    {
        return None;
    }
    let num = |r: std::ops::Range<usize>| s.get(r)?.parse::<i64>().ok();
    let (y, mo, d) = (num(0..4)?, num(5..7)?, num(8..10)?);
    let (h, mi, sec) = (num(11..13)?, num(14..16)?, num(17..19)?);
    if !(1..=12).contains(&mo) || !(1..=31).contains(&d) || h > 23 || mi > 59 || sec > 60 {
        return None;
    }
    let mut rest = &s[19..];
    let mut frac_ns = 0i64;
    if let Some(f) = rest.strip_prefix('.') {
        let digits = f.bytes().take_while(u8::is_ascii_digit).count();
        let mut scale = 100_000_000i64;
        for c in f[..digits].bytes().take(9) {
            frac_ns += i64::from(c - b'0') * scale;
            scale /= 10;
        }
        rest = &f[digits..];
    }
    let offset_s = match rest {
        "Z" | "z" => 0,
        o if o.len() == 6 && (o.starts_with('+') || o.starts_with('-')) => {
            let sign = if o.starts_with('-') { -1 } else { 1 };
            sign * (o.get(1..3)?.parse::<i64>().ok()? * 3600
                + o.get(4..6)?.parse::<i64>().ok()? * 60)
        }
        _ => return None,
    };
    // Days from civil (H. Hinnant).
    let y2 = if mo <= 2 { y - 1 } else { y };
    let era = y2.div_euclid(400);
    let yoe = y2 - era * 400;
    let mp = (mo + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    let days = era * 146_097 + doe - 719_468;
    let secs = days * 86_400 + h * 3600 + mi * 60 + sec - offset_s;
    u64::try_from(secs)
        .ok()
        .map(|s| s * 1_000_000_000 + frac_ns as u64)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc3339_variants() {
        assert_eq!(rfc3339_ns("1970-01-01T00:00:00Z"), Some(0));
        assert_eq!(
            rfc3339_ns("2000-02-29T00:00:01.5Z"),
            Some(951_782_401_500_000_000)
        );
        assert_eq!(
            rfc3339_ns("2000-02-29T02:00:01+02:00"),
            Some(951_782_401_000_000_000)
        );
        assert_eq!(
            rfc3339_ns("0001-01-01T00:00:00Z"),
            None,
            "Docker's zero time"
        );
        assert_eq!(rfc3339_ns("garbage"), None);
        assert_eq!(rfc3339_ns("2024-13-01T00:00:00Z"), None);
    }

    #[test]
    fn http_bodies_plain_chunked_and_errors() {
        assert_eq!(
            parse_http(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\n{}").unwrap(),
            b"{}"
        );
        let chunked = b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\n{\"a\r\n4\r\n\":1}\r\n0\r\n\r\n";
        assert_eq!(parse_http(chunked).unwrap(), b"{\"a\":1}");
        assert!(
            parse_http(b"HTTP/1.1 404 Not Found\r\n\r\n{}")
                .unwrap_err()
                .contains("404")
        );
        assert!(
            parse_http(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n").is_err()
        );
        assert!(
            parse_http(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nffff\r\nab").is_err()
        );
        assert!(parse_http(b"HTTP/1.1 200").is_err());
    }

    #[test]
    fn inspect_document_fields() {
        let doc: Value = serde_json::from_str(
            r#"{"Name":"/web","Image":"sha256:abc","State":{"StartedAt":"2024-01-01T00:00:00Z"},
                "Config":{"Image":"nginx:1.25","Labels":{"io.kubernetes.pod.name":"web-0",
                "io.kubernetes.pod.namespace":"shop","io.kubernetes.pod.uid":"u-1"}}}"#,
        )
        .unwrap();
        let e = from_inspect(&doc);
        assert_eq!(
            (e.name.as_str(), e.image.as_str(), e.image_digest.as_str()),
            ("web", "nginx:1.25", "sha256:abc")
        );
        assert_eq!(e.start_time, 1_704_067_200_000_000_000);
        let pod = e.pod.unwrap();
        assert_eq!(
            (pod.name.as_str(), pod.namespace.as_str(), pod.sandbox),
            ("web-0", "shop", false)
        );
        let bare = from_inspect(&serde_json::json!({"unexpected": [1, 2]}));
        assert!(bare.name.is_empty() && bare.pod.is_none());
    }
}
