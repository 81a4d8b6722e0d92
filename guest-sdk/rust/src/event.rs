//! Constructors for finding values and detections.

use crate::{Detection, Field, Severity, StrList, Value};

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
impl From<StrList<'_>> for Value {
    fn from(v: StrList<'_>) -> Self {
        Value::StrList(v.to_vec())
    }
}
impl From<&[&str]> for Value {
    fn from(v: &[&str]) -> Self {
        Value::StrList(v.iter().map(|s| (*s).to_owned()).collect())
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
