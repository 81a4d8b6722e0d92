//! Connections to denied addresses.
//!
//! The host calls it only for connects whose destination the
//! `ip-reputation` store (owned by another detector) blacklists — a
//! `blacklisted-in` selector filter answered before any wasm call. It reads
//! the verdict (opened read-only on first use) and reports it with the
//! domain names that resolved to the address according to the DNS store.

use sandtrap_sdk::prelude::*;
use sandtrap_sdk::stores::ip_reputation::{LazyReader, Status};

/// The reputation store whose blacklist selects the connects.
const STORE: &str = "ip-reputation";

struct DeniedConnect {
    reputation: LazyReader,
}

fn severity_of(score: u8) -> Severity {
    match score {
        0..=3 => Severity::Low,
        4..=6 => Severity::Medium,
        7..=8 => Severity::High,
        _ => Severity::Critical,
    }
}

impl Detector for DeniedConnect {
    fn describe() -> Description {
        // The host asks the store before calling: connects to addresses it
        // does not blacklist never cross into the sandbox.
        describe("denied-connect", "Connection to a denied address", "0.1.0")
            .description("A process connected to an address the ip-reputation store blacklists.")
            .selector(select("security_socket_connect").filter(
                "remote_addr",
                FilterOp::BlacklistedIn,
                STORE,
            ))
            .uses("ip-reputation")
            .uses("dns")
            .finding(
                finding("denied_connection", Severity::High)
                    .description("Outbound connection to a blacklisted address")
                    .mitre("Command and Control", "T1071")
                    .fields(&[
                        "remote_addr",
                        "remote_port",
                        "domains",
                        "reputation_severity",
                        "tags",
                    ]),
            )
            .build()
    }

    fn init(config: &Config) -> Result<Self, String> {
        // `describe` cannot see the configuration, so the selector names
        // the store; another one would silently select nothing it knows.
        let store = config.get("store").unwrap_or(STORE);
        if store != STORE {
            return Err(format!(
                "config \"store\": this detector's selector asks the host about {STORE:?}; \
                 {store:?} needs a build of it whose selector names that store"
            ));
        }
        Ok(DeniedConnect {
            reputation: LazyReader::new(store),
        })
    }

    fn on_event(&mut self, ev: &Event) -> Result<Vec<Detection>, String> {
        let Some(addr) = ev.arg_str("remote_addr") else {
            return Ok(vec![]);
        };
        let Some(reader) = self.reputation.get() else {
            return Ok(vec![]); // nobody registered the store yet
        };
        let verdict = match reader.get(addr) {
            Ok(v) => v,
            Err(StoreError::NotFound) => return Ok(vec![]),
            Err(StoreError::InvalidArgument(_)) => return Ok(vec![]), // e.g. a unix socket path
            Err(e) => return Err(format!("ip-reputation store: {e:?}")),
        };
        if verdict.status() != Status::Blacklisted {
            return Ok(vec![]);
        }
        let dns = stores::get_dns_response(addr).ok();
        let domains = dns.as_ref().map(|r| r.domains()).unwrap_or_default();
        Ok(vec![
            Detection::new()
                .field("remote_addr", addr)
                .field("remote_port", ev.arg_u64("remote_port").unwrap_or(0))
                .field("domains", domains)
                .field("reputation_severity", u64::from(verdict.severity()))
                .field("tags", verdict.tags())
                .severity(severity_of(verdict.severity())),
        ])
    }
}

export_detector!(DeniedConnect);
