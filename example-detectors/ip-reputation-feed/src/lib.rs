//! Owner of the shared `ip-reputation` store.
//!
//! At `init` it registers the store (so it holds the only writer) and
//! loads the addresses and prefixes of its configuration. It then watches
//! DNS answers: when a denied domain resolves, the addresses it resolved
//! to are written too (source `dns`), and a finding is reported, so
//! connections to them are caught even though no list named them.
//!
//! Configuration keys: `store` (default `ip-reputation`), `blacklist`
//! (addresses/CIDRs), `suspicious` (addresses/CIDRs), `deny_domains`,
//! `severity` (1–10, default 8), `tags`, `policy`
//! (`last-write-wins` | `max-severity` | `priority`).

use sandtrap_sdk::prelude::*;
use sandtrap_sdk::stores::ip_reputation::{
    self, ConflictPolicy, Reputation, ReputationStatus, SourcePriority, Writer,
};

struct Feed {
    writer: Writer,
    deny_domains: Vec<String>,
    severity: u8,
    tags: Vec<String>,
}

fn entries(
    ips: &[&str],
    status: ReputationStatus,
    severity: u8,
    tags: &[String],
    now: u64,
) -> Vec<Reputation> {
    ips.iter()
        .map(|ip| Reputation {
            ip: (*ip).to_owned(),
            status,
            severity,
            tags: tags.to_vec(),
            last_updated: now,
        })
        .collect()
}

fn normalise(domain: &str) -> String {
    domain.trim_end_matches('.').to_ascii_lowercase()
}

impl Detector for Feed {
    fn describe() -> Description {
        describe("ip-reputation-feed", "IP reputation feed", "0.1.0")
            .description("Registers the ip-reputation store, loads configured lists and adds addresses of denied domains seen in DNS answers.")
            // The host reads `deny_domains` from each instance's configuration
            // and calls the feed only for answers about those domains.
            .selector(select("dns_response").filter(
                "query",
                FilterOp::DomainInConfig,
                "deny_domains",
            ))
            .uses("dns")
            .finding(
                finding("denied_domain_resolved", Severity::Medium)
                    .description("A denied domain was resolved; its addresses are now denied")
                    .mitre("Command and Control", "T1071.004")
                    .fields(&["domain", "ips"]),
            )
            .build()
    }

    fn init(config: &Config) -> Result<Self, String> {
        let name = config.get("store").unwrap_or("ip-reputation");
        let policy = match config.get("policy").unwrap_or("max-severity") {
            "last-write-wins" => ConflictPolicy::LastWriteWins,
            "max-severity" => ConflictPolicy::MaxSeverity,
            "priority" => ConflictPolicy::Priority,
            other => return Err(format!("config \"policy\": unknown policy {other:?}")),
        };
        let severity = config.u64_or("severity", 8)?;
        let severity = u8::try_from(severity)
            .ok()
            .filter(|s| (1..=10).contains(s))
            .ok_or_else(|| format!("config \"severity\": {severity} is not in 1..=10"))?;
        let tags: Vec<String> = config.list("tags").into_iter().map(str::to_owned).collect();
        let priorities = [("config", 10), ("dns", 5)].map(|(source, priority)| SourcePriority {
            source: source.to_owned(),
            priority,
        });
        let writer = ip_reputation::register(name, policy, &priorities)
            .map_err(|e| format!("cannot register store {name:?}: {e:?}"))?;
        let now = log::now();
        let mut list = entries(
            &config.list("blacklist"),
            ReputationStatus::Blacklisted,
            severity,
            &tags,
            now,
        );
        list.extend(entries(
            &config.list("suspicious"),
            ReputationStatus::Suspicious,
            severity.min(5),
            &tags,
            now,
        ));
        let written = writer
            .write_batch("config", &list)
            .map_err(|e| format!("config entry rejected: {e:?}"))?;
        log::info(&format!("store {name}: {written} configured entries"));
        Ok(Feed {
            writer,
            deny_domains: config
                .list("deny_domains")
                .into_iter()
                .map(normalise)
                .collect(),
            severity,
            tags,
        })
    }

    fn on_event(&mut self, ev: &Event) -> Result<Vec<Detection>, String> {
        let Some(query) = ev.arg_str("query").map(normalise) else {
            return Ok(vec![]);
        };
        let denied = self
            .deny_domains
            .iter()
            .any(|d| query == *d || query.ends_with(&format!(".{d}")));
        if !denied {
            return Ok(vec![]);
        }
        // The host updated the DNS cache before calling us: the answer of
        // this very event is already there, CNAMEs followed.
        let response = match stores::get_dns_response(&query) {
            Ok(r) => r,
            Err(StoreError::NotFound) => return Ok(vec![]),
            Err(e) => return Err(format!("dns store: {e:?}")),
        };
        if response.ips().is_empty() {
            return Ok(vec![]);
        }
        let ips: Vec<&str> = response.ips().iter().collect();
        let mut tags = self.tags.clone();
        tags.push(format!("domain:{query}"));
        let list = entries(
            &ips,
            ReputationStatus::Blacklisted,
            self.severity,
            &tags,
            ev.timestamp(),
        );
        self.writer
            .write_batch("dns", &list)
            .map_err(|e| format!("write failed: {e:?}"))?;
        Ok(vec![
            Detection::new()
                .field("domain", query.as_str())
                .field("ips", response.ips()),
        ])
    }
}

export_detector!(Feed);
