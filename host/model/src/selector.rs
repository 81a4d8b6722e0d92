//! Host-side event selection: which events a detector is called for.
//!
//! Selectors are evaluated by the host before any wasm call, so an event
//! that no detector selected costs no trip across the sandbox boundary.

use std::borrow::Cow;

use serde::{Deserialize, Serialize};

use crate::event::{Event, Value};

/// Comparison of a field with a filter value.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum FilterOp {
    /// Equal text.
    Equal,
    /// Different text (also true when the field is absent).
    NotEqual,
    /// Starts with.
    Prefix,
    /// Ends with.
    Suffix,
    /// Contains.
    Contains,
    /// The field's value is an address that the writable reputation store
    /// named by the filter's value blacklists (under the store's conflict
    /// policy, CIDR prefixes included). False when no such store exists.
    /// The host looks it up before any wasm call, so a detector that only
    /// cares about blacklisted addresses is not called for the others.
    BlacklistedIn,
    /// The field equals one of the items of the detector's configuration
    /// key named by the filter's value (a list split on commas and
    /// whitespace, as the SDKs read lists). The host resolves the list
    /// for each instance ([`Selector::with_config`]), so a detector whose
    /// interest depends on its configuration is not called for the rest.
    InConfig,
    /// The field is a domain name (compared without case, a trailing dot
    /// ignored) that is one of the domains listed under the configuration
    /// key named by the filter's value, or a subdomain of one.
    DomainInConfig,
}

impl FilterOp {
    /// The contract's name for it (`not-equal`, `domain-in-config`, …).
    pub fn name(self) -> &'static str {
        match self {
            FilterOp::Equal => "equal",
            FilterOp::NotEqual => "not-equal",
            FilterOp::Prefix => "prefix",
            FilterOp::Suffix => "suffix",
            FilterOp::Contains => "contains",
            FilterOp::BlacklistedIn => "blacklisted-in",
            FilterOp::InConfig => "in-config",
            FilterOp::DomainInConfig => "domain-in-config",
        }
    }

    /// Whether the filter's value names a configuration key whose list
    /// the host resolves per instance.
    pub fn reads_config(self) -> bool {
        matches!(self, FilterOp::InConfig | FilterOp::DomainInConfig)
    }
}

/// Store lookups a filter may need; the host's stores implement it.
pub trait SelectorStores {
    /// Whether the reputation store named `store` blacklists `address`.
    fn blacklisted(&self, store: &str, address: &str) -> bool;
}

/// No stores: store-backed filters do not pass.
pub struct NoStores;

impl SelectorStores for NoStores {
    fn blacklisted(&self, _: &str, _: &str) -> bool {
        false
    }
}

/// Store-backed filters pass: for a first selection that is completed
/// later, once the stores hold everything written for earlier events.
pub struct AssumeListed;

impl SelectorStores for AssumeListed {
    fn blacklisted(&self, _: &str, _: &str) -> bool {
        true
    }
}

/// One condition on an event field.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FieldFilter {
    /// An argument name, or `process.comm`, `process.exe`, `process.uid`,
    /// `process.pid`, `container.id`.
    pub field: String,
    /// Comparison.
    pub op: FilterOp,
    /// Operand: the text compared, or the store (`blacklisted-in`) or the
    /// configuration key (`in-config`, `domain-in-config`) it names.
    pub value: String,
    /// For `in-config` and `domain-in-config`: the configured items, filled
    /// in per instance by [`Selector::with_config`] (domains lowercased,
    /// without a trailing dot). Empty, the filter passes nothing.
    #[serde(skip)]
    pub items: Vec<String>,
}

/// Events a detector wants: name (`*` for all) and filters that must all pass.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Selector {
    /// Event name or `*`.
    pub event: String,
    /// Conditions, all of which must hold.
    #[serde(default)]
    pub filters: Vec<FieldFilter>,
}

impl Selector {
    /// This selector for one instance: the lists of its `in-config` and
    /// `domain-in-config` filters read from `config`. A key that is
    /// absent lists nothing, so its filter passes no event.
    pub fn with_config(&self, config: &[(String, String)]) -> Selector {
        let mut s = self.clone();
        for f in s.filters.iter_mut().filter(|f| f.op.reads_config()) {
            let raw = config
                .iter()
                .find(|(k, _)| *k == f.value)
                .map_or("", |(_, v)| v.as_str());
            let items = raw
                .split(|c: char| c == ',' || c.is_whitespace())
                .filter(|s| !s.is_empty());
            f.items = if f.op == FilterOp::DomainInConfig {
                items
                    .map(|d| d.trim_end_matches('.').to_ascii_lowercase())
                    .filter(|d| !d.is_empty())
                    .collect()
            } else {
                items.map(str::to_owned).collect()
            };
        }
        s
    }

    /// Whether a filter of this selector needs the stores.
    pub fn uses_stores(&self) -> bool {
        self.filters.iter().any(|f| f.op == FilterOp::BlacklistedIn)
    }

    /// True when `ev` passes this selector, store-backed filters looked up
    /// in `stores`.
    pub fn matches(&self, ev: &Event, stores: &dyn SelectorStores) -> bool {
        (self.event == "*" || self.event == ev.name)
            && self.filters.iter().all(|f| f.matches(ev, stores))
    }
}

impl FieldFilter {
    /// Checks the filter against one event. A list argument passes when any
    /// element passes (and `not-equal` when no element equals).
    pub fn matches(&self, ev: &Event, stores: &dyn SelectorStores) -> bool {
        let p = &ev.process;
        let special: Option<Cow<'_, str>> = match self.field.as_str() {
            "process.comm" => Some(Cow::Borrowed(&p.comm)),
            "process.exe" => Some(Cow::Borrowed(&p.exe)),
            "process.uid" => Some(Cow::Owned(p.uid.to_string())),
            "process.pid" => Some(Cow::Owned(p.pid.to_string())),
            "container.id" => Some(Cow::Borrowed(&p.container_id)),
            _ => None,
        };
        if let Some(text) = special {
            return self.op_holds(&text, stores);
        }
        match ev.arg(&self.field) {
            None => self.op == FilterOp::NotEqual,
            Some(Value::StrList(items)) => {
                if self.op == FilterOp::NotEqual {
                    items.iter().all(|s| *s != self.value)
                } else {
                    items.iter().any(|s| self.op_holds(s, stores))
                }
            }
            Some(v) => match v.as_text() {
                Some(text) => self.op_holds(&text, stores),
                None => self.op == FilterOp::NotEqual,
            },
        }
    }

    fn op_holds(&self, text: &str, stores: &dyn SelectorStores) -> bool {
        let v = self.value.as_str();
        match self.op {
            FilterOp::BlacklistedIn => stores.blacklisted(v, text),
            FilterOp::Equal => text == v,
            FilterOp::NotEqual => text != v,
            FilterOp::Prefix => text.starts_with(v),
            FilterOp::Suffix => text.ends_with(v),
            FilterOp::Contains => text.contains(v),
            FilterOp::InConfig => self.items.iter().any(|i| i == text),
            FilterOp::DomainInConfig => {
                let name = text.trim_end_matches('.').as_bytes();
                self.items.iter().any(|d| in_domain(name, d.as_bytes()))
            }
        }
    }
}

/// Whether `name` is `domain` or a subdomain of it, without case;
/// `domain` is already lowercase.
fn in_domain(name: &[u8], domain: &[u8]) -> bool {
    let Some(start) = name.len().checked_sub(domain.len()) else {
        return false;
    };
    name[start..].eq_ignore_ascii_case(domain) && (start == 0 || name[start - 1] == b'.')
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::event::Arg;

    fn exec(path: &str) -> Event {
        Event {
            seq: 0,
            timestamp: 0,
            name: "sched_process_exec".into(),
            process: crate::ProcessContext {
                comm: "sh".into(),
                uid: 0,
                ..Default::default()
            },
            args: vec![
                Arg::new("pathname", path),
                Arg::new("argv", vec!["a".to_string(), "b".to_string()]),
            ],
        }
    }

    fn filter(field: &str, op: FilterOp, value: &str) -> FieldFilter {
        FieldFilter {
            field: field.into(),
            op,
            value: value.into(),
            items: Vec::new(),
        }
    }

    #[test]
    fn name_and_filters() {
        let s = Selector {
            event: "sched_process_exec".into(),
            filters: vec![filter("pathname", FilterOp::Prefix, "/dev/shm/")],
        };
        assert!(s.matches(&exec("/dev/shm/x"), &NoStores));
        assert!(!s.matches(&exec("/usr/bin/x"), &NoStores));
        let mut other = exec("/dev/shm/x");
        other.name = "openat".into();
        assert!(!s.matches(&other, &NoStores));
        let all = Selector {
            event: "*".into(),
            filters: vec![],
        };
        assert!(all.matches(&other, &NoStores));
    }

    #[test]
    fn special_fields_lists_and_absent_args() {
        let ev = exec("/bin/ls");
        assert!(filter("process.comm", FilterOp::Equal, "sh").matches(&ev, &NoStores));
        assert!(filter("process.uid", FilterOp::Equal, "0").matches(&ev, &NoStores));
        assert!(filter("argv", FilterOp::Equal, "b").matches(&ev, &NoStores));
        assert!(!filter("argv", FilterOp::NotEqual, "b").matches(&ev, &NoStores));
        assert!(filter("missing", FilterOp::NotEqual, "x").matches(&ev, &NoStores));
        assert!(!filter("missing", FilterOp::Equal, "x").matches(&ev, &NoStores));
    }

    #[test]
    fn blacklisted_in_asks_the_named_store() {
        struct Listed;
        impl SelectorStores for Listed {
            fn blacklisted(&self, store: &str, address: &str) -> bool {
                store == "ip-reputation" && address == "203.0.113.9"
            }
        }
        let connect = |addr: &str| Event {
            name: "security_socket_connect".into(),
            args: vec![Arg::new("remote_addr", addr)],
            ..exec("/x")
        };
        let f = filter("remote_addr", FilterOp::BlacklistedIn, "ip-reputation");
        assert!(f.matches(&connect("203.0.113.9"), &Listed));
        assert!(!f.matches(&connect("198.51.100.1"), &Listed));
        assert!(!f.matches(&connect("203.0.113.9"), &NoStores));
        let other = filter("remote_addr", FilterOp::BlacklistedIn, "elsewhere");
        assert!(!other.matches(&connect("203.0.113.9"), &Listed));
    }

    /// `name` spells each op as the contract and the configuration files
    /// (serde) do, so `inspect` and error messages use the same words.
    #[test]
    fn op_names_are_the_serialised_names() {
        use FilterOp::*;
        for op in [
            Equal,
            NotEqual,
            Prefix,
            Suffix,
            Contains,
            BlacklistedIn,
            InConfig,
            DomainInConfig,
        ] {
            assert_eq!(serde_json::to_value(op).unwrap(), op.name(), "{op:?}");
        }
    }

    #[test]
    fn config_lists_are_resolved_per_instance() {
        let dns = |query: &str| Event {
            name: "dns_response".into(),
            args: vec![
                Arg::new("query", query),
                Arg::new(
                    "answers",
                    vec!["a".to_string(), "x.evil.example".to_string()],
                ),
            ],
            ..exec("/x")
        };
        let s = Selector {
            event: "dns_response".into(),
            filters: vec![filter("query", FilterOp::DomainInConfig, "deny_domains")],
        };
        // Unresolved, or resolved without the key: nothing passes.
        assert!(!s.matches(&dns("evil.example"), &NoStores));
        assert!(!s.with_config(&[]).matches(&dns("evil.example"), &NoStores));

        let config = [(
            "deny_domains".to_owned(),
            "Evil.Example., ,bad.test".to_owned(),
        )];
        let s = s.with_config(&config);
        assert_eq!(s.filters[0].items, ["evil.example", "bad.test"]);
        for hit in ["evil.example", "c2.EVIL.example.", "a.b.bad.test"] {
            assert!(s.matches(&dns(hit), &NoStores), "{hit}");
        }
        for miss in [
            "notevil.example",
            "evil.example.com",
            "example",
            "",
            "é.bad.tesx",
        ] {
            assert!(!s.matches(&dns(miss), &NoStores), "{miss}");
        }
        // A list argument passes when one of its items does.
        let answers = filter("answers", FilterOp::DomainInConfig, "deny_domains");
        let answers = Selector {
            event: "*".into(),
            filters: vec![answers],
        }
        .with_config(&config);
        assert!(answers.matches(&dns("other.test"), &NoStores));

        let exact = Selector {
            event: "*".into(),
            filters: vec![filter("process.comm", FilterOp::InConfig, "shells")],
        }
        .with_config(&[("shells".to_owned(), "bash sh,zsh".to_owned())]);
        assert!(exact.matches(&exec("/x"), &NoStores), "comm sh is listed");
        let mut ev = exec("/x");
        ev.process.comm = "SH".into();
        assert!(!exact.matches(&ev, &NoStores), "in-config compares exactly");
    }
}
