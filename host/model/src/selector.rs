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
    /// True when `ev` passes this selector.
    pub fn matches(&self, ev: &Event) -> bool {
        (self.event == "*" || self.event == ev.name) && self.filters.iter().all(|f| f.matches(ev))
    }
}

impl FieldFilter {
    /// Checks the filter against one event. A list argument passes when any
    /// element passes (and `not-equal` when no element equals).
    pub fn matches(&self, ev: &Event) -> bool {
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
            return self.op_holds(&text);
        }
        match ev.arg(&self.field) {
            None => self.op == FilterOp::NotEqual,
            Some(Value::StrList(items)) => {
                if self.op == FilterOp::NotEqual {
                    items.iter().all(|s| *s != self.value)
                } else {
                    items.iter().any(|s| self.op_holds(s))
                }
            }
            Some(v) => match v.as_text() {
                Some(text) => self.op_holds(&text),
                None => self.op == FilterOp::NotEqual,
            },
        }
    }

    fn op_holds(&self, text: &str) -> bool {
        let v = self.value.as_str();
        match self.op {
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
        assert!(s.matches(&exec("/dev/shm/x")));
        assert!(!s.matches(&exec("/usr/bin/x")));
        let mut other = exec("/dev/shm/x");
        other.name = "openat".into();
        assert!(!s.matches(&other));
        let all = Selector {
            event: "*".into(),
            filters: vec![],
        };
        assert!(all.matches(&other));
    }

    #[test]
    fn special_fields_lists_and_absent_args() {
        let ev = exec("/bin/ls");
        assert!(filter("process.comm", FilterOp::Equal, "sh").matches(&ev));
        assert!(filter("process.uid", FilterOp::Equal, "0").matches(&ev));
        assert!(filter("argv", FilterOp::Equal, "b").matches(&ev));
        assert!(!filter("argv", FilterOp::NotEqual, "b").matches(&ev));
        assert!(filter("missing", FilterOp::NotEqual, "x").matches(&ev));
        assert!(!filter("missing", FilterOp::Equal, "x").matches(&ev));
    }
}
