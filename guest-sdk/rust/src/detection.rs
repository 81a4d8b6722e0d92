//! Detections: what a detector returns for an event, and how the glue
//! hands them to the host as one flat buffer.

use sandtrap_wire::{EncodeError, OutputFields, WriteValue};

use crate::{Severity, StrList};

/// A value of a detection's field.
#[derive(Debug, Clone, PartialEq)]
#[allow(missing_docs, reason = "one variant per kind of value")]
pub enum Value {
    Str(String),
    Int(i64),
    Uint(u64),
    Boolean(bool),
    Bytes(Vec<u8>),
    StrList(Vec<String>),
}

/// One named field of a detection.
#[derive(Debug, Clone, PartialEq)]
pub struct Field {
    /// Its name, one of the definition's `fields`.
    pub name: String,
    /// Its value.
    pub value: Value,
}

/// One positive result. The host adds the definition, the event, the
/// process with its ancestry and the container.
#[derive(Debug, Clone, PartialEq)]
pub struct Detection {
    /// The fields, in order; a repeated name keeps its first value.
    pub fields: Vec<Field>,
    /// Overrides the definition's severity.
    pub severity: Option<Severity>,
}

/// What one event of a batch produced, in the order the detector found it.
pub(crate) enum Found {
    Detection(Detection),
    Error(String),
}

fn severity_code(s: Option<Severity>) -> u8 {
    match s {
        None => 0,
        Some(Severity::Info) => 1,
        Some(Severity::Low) => 2,
        Some(Severity::Medium) => 3,
        Some(Severity::High) => 4,
        Some(Severity::Critical) => 5,
    }
}

fn field_value(f: &Field) -> (&str, WriteValue<'_, String>) {
    let v = match &f.value {
        Value::Str(s) => WriteValue::Str(s),
        Value::Int(v) => WriteValue::Int(*v),
        Value::Uint(v) => WriteValue::Uint(*v),
        Value::Boolean(v) => WriteValue::Bool(*v),
        Value::Bytes(b) => WriteValue::Bytes(b),
        Value::StrList(l) => WriteValue::StrList(l),
    };
    (&f.name, v)
}

/// Most bytes the host accepts in one call's output; beyond it the call
/// would trap, so the glue reports what fits and says what it dropped.
pub(crate) const MAX_REPORT_BYTES: usize = 4 << 20;

fn item(
    index: u32,
    f: &Found,
) -> OutputFields<'_, impl Clone + ExactSizeIterator<Item = (&str, WriteValue<'_, String>)>> {
    match f {
        Found::Detection(d) => OutputFields::Detection {
            index,
            severity: severity_code(d.severity),
            fields: d.fields.iter().map(field_value),
        },
        Found::Error(message) => OutputFields::Error { index, message },
    }
}

/// Encodes `found` as the output record list of `docs/wire-encoding.md`.
/// Output over [`MAX_REPORT_BYTES`] keeps the records that fit, in order,
/// and ends with one error, at the first event left out, counting what
/// was dropped.
pub(crate) fn encode_output(out: &mut Vec<u8>, found: &[(u32, Found)]) -> Result<(), EncodeError> {
    sandtrap_wire::encode_records(out, found.iter().map(|(i, f)| item(*i, f)))?;
    if out.len() <= MAX_REPORT_BYTES {
        return Ok(());
    }
    // Room for the framing and the closing error.
    let budget = MAX_REPORT_BYTES - (64 << 10);
    let mut kept = sandtrap_wire::RecordsBuilder::default();
    let mut size = 0;
    let mut item_bytes = Vec::new();
    for (n, (index, f)) in found.iter().enumerate() {
        item_bytes.clear();
        sandtrap_wire::EncodeRecord::encode(&item(*index, f), &mut item_bytes)?;
        if size + item_bytes.len() + 4 * (n + 2) > budget {
            let message = format!(
                "output over {MAX_REPORT_BYTES} bytes: {} of {} detections and errors dropped",
                found.len() - n,
                found.len()
            );
            kept.push(&item(*index, &Found::Error(message)));
            break;
        }
        size += item_bytes.len();
        kept.push(&item(*index, f));
    }
    *out = kept.finish()?;
    Ok(())
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

#[cfg(test)]
mod tests {
    use sandtrap_wire::{OutputKind, OutputRecord, Records, ValueRef};

    use super::*;

    /// The items of `guest-sdk/wire/testdata/output.bin` (described in
    /// `answers.json`), built through the public API.
    #[test]
    fn the_output_vector_is_reproduced_byte_for_byte() {
        let argv = ["sh", "-c", "", "écho ✓"];
        let found = [
            (
                0,
                Found::Detection(
                    Detection::new()
                        .field("pathname", "memfd:x (deleted)")
                        .field("argv", &argv[..])
                        .field("count", 7u64)
                        .field("delta", -3i64)
                        .field("ok", true)
                        .field("raw", Value::Bytes(vec![0, 1, 0xff])),
                ),
            ),
            (1, Found::Error("dns store: timeout ✗".to_owned())),
            (
                2,
                Found::Detection(Detection::new().severity(Severity::Critical)),
            ),
            (
                2,
                Found::Detection(
                    Detection::new()
                        .field("remote_addr", "93.184.216.34")
                        .field("domains", Vec::<String>::new())
                        .severity(Severity::High),
                ),
            ),
        ];
        let mut out = vec![0xAA; 7];
        encode_output(&mut out, &found).expect("encodes");
        assert_eq!(out, include_bytes!("../../wire/testdata/output.bin"));
    }

    #[test]
    fn output_over_the_limit_keeps_what_fits_and_says_what_was_dropped() {
        let big = || Found::Detection(Detection::new().field("blob", "x".repeat(3 << 20)));
        let found = [(0, big()), (1, big()), (2, Found::Error("late".to_owned()))];
        let mut out = Vec::new();
        encode_output(&mut out, &found).expect("encodes");
        assert!(out.len() <= MAX_REPORT_BYTES, "{}", out.len());
        let items = Records::<OutputRecord<'_>>::new(&out);
        assert_eq!(items.len(), 2);
        let kept = items.first().expect("the first detection");
        assert_eq!((kept.kind(), kept.index()), (OutputKind::Detection, 0));
        assert!(
            matches!(kept.field(0).map(|f| f.value), Some(ValueRef::Str(s)) if s.len() == 3 << 20)
        );
        let note = items.get(1).expect("the closing error");
        assert_eq!((note.kind(), note.index()), (OutputKind::Error, 1));
        assert!(note.message().contains("2 of 3"), "{}", note.message());
    }
}
