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
    /// Operand.
    pub value: String,
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
        }
    }
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
}
