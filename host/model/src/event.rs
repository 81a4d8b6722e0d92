//! Events: what the collector (or a trace) hands to the stores and detectors.
//!
//! The JSON form of [`Event`] is the replay format documented in
//! `docs/events.md`; unknown fields are refused so a typo in a trace is an
//! error, not a silently empty argument.

use std::fmt;

use serde::de::{self, MapAccess, SeqAccess, Visitor};
use serde::ser::SerializeMap;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// One kernel event after decoding.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Event {
    /// Position in the stream; assigned by the host when absent.
    #[serde(default)]
    pub seq: u64,
    /// Nanoseconds since the Unix epoch; the host's clock when absent.
    #[serde(default)]
    pub timestamp: u64,
    /// Tracee-style event name, e.g. `sched_process_exec`.
    pub name: String,
    /// The process the event came from.
    #[serde(default)]
    pub process: ProcessContext,
    /// Decoded arguments, in the order the producer wrote them.
    #[serde(default, with = "args_map", skip_serializing_if = "Vec::is_empty")]
    pub args: Vec<Arg>,
}

impl Event {
    /// The argument named `name`.
    pub fn arg(&self, name: &str) -> Option<&Value> {
        self.args.iter().find(|a| a.name == name).map(|a| &a.value)
    }

    /// A string argument.
    pub fn arg_str(&self, name: &str) -> Option<&str> {
        match self.arg(name) {
            Some(Value::Str(s)) => Some(s),
            _ => None,
        }
    }

    /// Appends the event in the flat encoding detectors receive
    /// (`docs/wire-encoding.md`).
    pub fn encode(&self, out: &mut Vec<u8>) -> Result<(), sandtrap_wire::EncodeError> {
        use sandtrap_wire::WriteValue as W;
        let p = &self.process;
        let header = sandtrap_wire::EventHeader {
            seq: self.seq,
            timestamp: self.timestamp,
            name: &self.name,
            entity_id: p.entity_id,
            parent_entity_id: p.parent_entity_id,
            pid: p.pid,
            tid: p.tid,
            ppid: p.ppid,
            start_ticks: p.start_ticks,
            uid: p.uid,
            gid: p.gid,
            cgroup_id: p.cgroup_id,
            comm: &p.comm,
            exe: &p.exe,
            container_id: &p.container_id,
        };
        let args = self.args.iter().map(|a| {
            let v = match &a.value {
                Value::Str(s) => W::Str(s),
                Value::Int(v) => W::Int(*v),
                Value::Uint(v) => W::Uint(*v),
                Value::Bool(v) => W::Bool(*v),
                Value::Bytes(b) => W::Bytes(b),
                Value::StrList(l) => W::StrList(l),
            };
            (a.name.as_str(), v)
        });
        sandtrap_wire::encode_event(out, &header, args)
    }

    /// An integer argument of either signedness, if it fits in `u64`.
    pub fn arg_u64(&self, name: &str) -> Option<u64> {
        match self.arg(name) {
            Some(Value::Uint(v)) => Some(*v),
            Some(Value::Int(v)) => u64::try_from(*v).ok(),
            _ => None,
        }
    }
}

/// The process context every event carries.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ProcessContext {
    /// Filled by the host from (`pid`, `start_ticks`) when zero.
    pub entity_id: u64,
    /// Filled by the host from the process tree when zero.
    pub parent_entity_id: u64,
    /// Thread-group id (what userspace calls the pid).
    pub pid: u32,
    /// Thread id; equals `pid` for the main thread.
    pub tid: u32,
    /// Parent's thread-group id.
    pub ppid: u32,
    /// Start in clock ticks since boot (`/proc/PID/stat` field 22).
    pub start_ticks: u64,
    /// Parent's start in clock ticks, when the producer knows it.
    pub parent_start_ticks: u64,
    /// Task command name (at most 15 bytes in the kernel).
    pub comm: String,
    /// Executable path, when known.
    pub exe: String,
    /// Real user id.
    pub uid: u32,
    /// Real group id.
    pub gid: u32,
    /// cgroup v2 id of the task.
    pub cgroup_id: u64,
    /// cgroup path of the task, e.g. `/system.slice/docker-<id>.scope`.
    pub cgroup: String,
    /// Container id; filled by the host from `cgroup` when empty.
    pub container_id: String,
}

/// A named argument.
#[derive(Debug, Clone, PartialEq)]
pub struct Arg {
    /// Argument name, e.g. `pathname`.
    pub name: String,
    /// Its value.
    pub value: Value,
}

impl Arg {
    /// Shorthand constructor.
    pub fn new(name: impl Into<String>, value: impl Into<Value>) -> Self {
        Self {
            name: name.into(),
            value: value.into(),
        }
    }
}

/// A typed argument value. JSON: string, integer, boolean, array of
/// strings, or `{"base64": "…"}` for bytes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Value {
    /// Text.
    Str(String),
    /// Negative integers (JSON numbers below zero).
    Int(i64),
    /// Non-negative integers.
    Uint(u64),
    /// true / false.
    Bool(bool),
    /// Raw bytes.
    Bytes(Vec<u8>),
    /// A list of strings, e.g. argv.
    StrList(Vec<String>),
}

impl Value {
    /// The value as text for selector comparisons; `None` for bytes and lists.
    pub fn as_text(&self) -> Option<std::borrow::Cow<'_, str>> {
        use std::borrow::Cow;
        match self {
            Value::Str(s) => Some(Cow::Borrowed(s)),
            Value::Int(v) => Some(Cow::Owned(v.to_string())),
            Value::Uint(v) => Some(Cow::Owned(v.to_string())),
            Value::Bool(v) => Some(Cow::Borrowed(if *v { "true" } else { "false" })),
            Value::Bytes(_) | Value::StrList(_) => None,
        }
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
        if v >= 0 {
            Value::Uint(v as u64)
        } else {
            Value::Int(v)
        }
    }
}
impl From<bool> for Value {
    fn from(v: bool) -> Self {
        Value::Bool(v)
    }
}
impl From<Vec<String>> for Value {
    fn from(v: Vec<String>) -> Self {
        Value::StrList(v)
    }
}

impl Serialize for Value {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            Value::Str(v) => s.serialize_str(v),
            Value::Int(v) => s.serialize_i64(*v),
            Value::Uint(v) => s.serialize_u64(*v),
            Value::Bool(v) => s.serialize_bool(*v),
            Value::StrList(v) => v.serialize(s),
            Value::Bytes(v) => {
                use base64::Engine as _;
                let mut m = s.serialize_map(Some(1))?;
                m.serialize_entry(
                    "base64",
                    &base64::engine::general_purpose::STANDARD.encode(v),
                )?;
                m.end()
            }
        }
    }
}

impl<'de> Deserialize<'de> for Value {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Value;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a string, integer, boolean, array of strings or {\"base64\": …}")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Value, E> {
                Ok(Value::Str(v.to_owned()))
            }
            fn visit_string<E: de::Error>(self, v: String) -> Result<Value, E> {
                Ok(Value::Str(v))
            }
            fn visit_bool<E: de::Error>(self, v: bool) -> Result<Value, E> {
                Ok(Value::Bool(v))
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<Value, E> {
                Ok(Value::Uint(v))
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<Value, E> {
                Ok(Value::from(v))
            }
            fn visit_f64<E: de::Error>(self, v: f64) -> Result<Value, E> {
                Err(E::custom(format!(
                    "floating-point value {v} is not supported; use an integer"
                )))
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Value, A::Error> {
                let mut out = Vec::new();
                while let Some(s) = seq.next_element::<String>()? {
                    out.push(s);
                }
                Ok(Value::StrList(out))
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Value, A::Error> {
                use base64::Engine as _;
                let key: Option<String> = map.next_key()?;
                match key.as_deref() {
                    Some("base64") => {
                        let text: String = map.next_value()?;
                        if map.next_key::<String>()?.is_some() {
                            return Err(de::Error::custom(
                                "a bytes value has only the key \"base64\"",
                            ));
                        }
                        base64::engine::general_purpose::STANDARD
                            .decode(text.as_bytes())
                            .map(Value::Bytes)
                            .map_err(|e| de::Error::custom(format!("bad base64: {e}")))
                    }
                    Some(other) => Err(de::Error::custom(format!(
                        "unknown object value key {other:?}; only {{\"base64\": …}} is allowed"
                    ))),
                    None => Err(de::Error::custom("empty object is not a value")),
                }
            }
        }
        d.deserialize_any(V)
    }
}

/// Arguments travel as a JSON object whose key order is kept.
pub(crate) mod fields_map {
    pub(crate) use super::args_map::{deserialize, serialize};
}

mod args_map {
    use super::*;

    pub(crate) fn serialize<S: Serializer>(args: &[Arg], s: S) -> Result<S::Ok, S::Error> {
        let mut m = s.serialize_map(Some(args.len()))?;
        for a in args {
            m.serialize_entry(&a.name, &a.value)?;
        }
        m.end()
    }

    pub(crate) fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<Arg>, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Vec<Arg>;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("an object of argument names to values")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Vec<Arg>, A::Error> {
                let mut out: Vec<Arg> = Vec::with_capacity(map.size_hint().unwrap_or(4));
                while let Some((name, value)) = map.next_entry::<String, Value>()? {
                    if out.iter().any(|a| a.name == name) {
                        return Err(de::Error::custom(format!("duplicate argument {name:?}")));
                    }
                    out.push(Arg { name, value });
                }
                Ok(out)
            }
        }
        d.deserialize_map(V)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_and_keeps_order() {
        let line = r#"{"seq":3,"timestamp":10,"name":"x","process":{"pid":5,"comm":"sh"},"args":{"b":"s","a":-2,"c":7,"d":true,"e":["x","y"],"f":{"base64":"AAE="}}}"#;
        let ev: Event = serde_json::from_str(line).unwrap();
        assert_eq!(ev.args[0].name, "b");
        assert_eq!(ev.arg("a"), Some(&Value::Int(-2)));
        assert_eq!(ev.arg("c"), Some(&Value::Uint(7)));
        assert_eq!(ev.arg("f"), Some(&Value::Bytes(vec![0, 1])));
        let back: Event = serde_json::from_str(&serde_json::to_string(&ev).unwrap()).unwrap();
        assert_eq!(back, ev);
    }

    /// The encoding is sized before it is written (`sandtrap_wire`
    /// checks the size is exact), so that its buffer is allocated once.
    #[test]
    fn the_encoding_is_sized_exactly() {
        let lines = [
            r#"{"timestamp":1,"name":"x"}"#,
            r#"{"seq":3,"timestamp":10,"name":"sched_process_exec","process":{"pid":5,"comm":"sh","exe":"/bin/sh","container_id":"abc"},"args":{"b":"s","a":-2,"c":7,"d":true,"e":["x","yz",""],"f":{"base64":"AAE="},"g":[]}}"#,
        ];
        for line in lines {
            let ev: Event = serde_json::from_str(line).unwrap();
            let mut out = Vec::new();
            ev.encode(&mut out).unwrap();
            assert_eq!(out.capacity(), out.len(), "{line}: one allocation");
        }
    }

    #[test]
    fn refuses_unknown_fields_and_floats() {
        let err =
            serde_json::from_str::<Event>(r#"{"timestamp":1,"name":"x","arg":{}}"#).unwrap_err();
        assert!(err.to_string().contains("unknown field `arg`"), "{err}");
        let err = serde_json::from_str::<Event>(r#"{"timestamp":1,"name":"x","args":{"a":1.5}}"#)
            .unwrap_err();
        assert!(err.to_string().contains("floating-point"), "{err}");
        let err =
            serde_json::from_str::<Event>(r#"{"timestamp":1,"name":"x","args":{"a":1,"a":2}}"#)
                .unwrap_err();
        assert!(err.to_string().contains("duplicate argument"), "{err}");
    }
}
