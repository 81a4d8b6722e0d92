//! Typed reading of event arguments, and constructors for values.

use crate::{Detection, Event, Field, Severity, Value};

/// Reading arguments by name without matching on [`Value`] by hand.
pub trait EventExt {
    /// The raw value of argument `name`.
    fn arg(&self, name: &str) -> Option<&Value>;
    /// A string argument.
    fn arg_str(&self, name: &str) -> Option<&str> {
        match self.arg(name)? {
            Value::Str(s) => Some(s),
            _ => None,
        }
    }
    /// An integer argument of either sign that fits in `u64`.
    fn arg_u64(&self, name: &str) -> Option<u64> {
        match self.arg(name)? {
            Value::Uint(v) => Some(*v),
            Value::Int(v) => u64::try_from(*v).ok(),
            _ => None,
        }
    }
    /// An integer argument of either sign that fits in `i64`.
    fn arg_i64(&self, name: &str) -> Option<i64> {
        match self.arg(name)? {
            Value::Int(v) => Some(*v),
            Value::Uint(v) => i64::try_from(*v).ok(),
            _ => None,
        }
    }
    /// A boolean argument.
    fn arg_bool(&self, name: &str) -> Option<bool> {
        match self.arg(name)? {
            Value::Boolean(v) => Some(*v),
            _ => None,
        }
    }
    /// A string-list argument (e.g. `argv`).
    fn arg_list(&self, name: &str) -> Option<&[String]> {
        match self.arg(name)? {
            Value::StrList(v) => Some(v),
            _ => None,
        }
    }
}

impl EventExt for Event {
    fn arg(&self, name: &str) -> Option<&Value> {
        self.args.iter().find(|f| f.name == name).map(|f| &f.value)
    }
}

impl From<&str> for Value {
    fn from(v: &str) -> Self {
        Value::Str(v.to_owned())
    }
}
impl From<String> for Value {
    fn from(v: String) -> Self {
        Value::Str(v)
    }
}
impl From<u64> for Value {
    fn from(v: u64) -> Self {
        Value::Uint(v)
    }
}
impl From<u32> for Value {
    fn from(v: u32) -> Self {
        Value::Uint(v.into())
    }
}
impl From<i64> for Value {
    fn from(v: i64) -> Self {
        Value::Int(v)
    }
}
impl From<bool> for Value {
    fn from(v: bool) -> Self {
        Value::Boolean(v)
    }
}
impl From<Vec<String>> for Value {
    fn from(v: Vec<String>) -> Self {
        Value::StrList(v)
    }
}

impl Detection {
    /// An empty detection with the definition's severity.
    pub fn new() -> Self {
        Detection {
            fields: Vec::new(),
            severity: None,
        }
    }

    /// Adds a field.
    pub fn field(mut self, name: &str, value: impl Into<Value>) -> Self {
        self.fields.push(Field {
            name: name.to_owned(),
            value: value.into(),
        });
        self
    }

    /// Overrides the severity.
    pub fn severity(mut self, severity: Severity) -> Self {
        self.severity = Some(severity);
        self
    }
}

impl Default for Detection {
    fn default() -> Self {
        Self::new()
    }
}
