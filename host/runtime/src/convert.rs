//! Conversions between the model's types and the generated WIT types.
//!
//! Kept in one place so the host impls read as store calls, not field
//! shuffling, and so the mapping of the sentinel errors is written once.

use sandtrap_model as m;
use sandtrap_wire as wire;

use crate::bindings::{guest, ip_reputation as rep, types as w};

pub(crate) fn store_error(e: m::StoreError) -> w::StoreError {
    match e {
        m::StoreError::NotFound => w::StoreError::NotFound,
        m::StoreError::StoreUnhealthy => w::StoreError::StoreUnhealthy,
        m::StoreError::NotImplemented => w::StoreError::NotImplemented,
        m::StoreError::InvalidArgument(s) => w::StoreError::InvalidArgument(s),
    }
}

fn value_from_wire(v: wire::ValueRef<'_>) -> m::Value {
    match v {
        wire::ValueRef::Str(s) => m::Value::Str(s.to_owned()),
        wire::ValueRef::Int(i) => m::Value::Int(i),
        wire::ValueRef::Uint(u) => m::Value::Uint(u),
        wire::ValueRef::Bool(b) => m::Value::Bool(b),
        wire::ValueRef::Bytes(b) => m::Value::Bytes(b.to_vec()),
        wire::ValueRef::StrList(l) => m::Value::StrList(l.to_vec()),
    }
}

/// Reads what a detector reported (`docs/wire-encoding.md`, "Output")
/// into `out`. The SDKs' readers turn a malformed field into an absent
/// one; the host is strict instead, so a broken encoder fails its first
/// test rather than losing fields: any count, bound, kind or severity
/// that does not hold is an error naming the record, and nothing of the
/// buffer is kept.
pub(crate) fn output(buf: &[u8], out: &mut crate::state::Output) -> Result<(), String> {
    let items = wire::Records::<wire::OutputRecord<'_>>::new(buf);
    let announced = buf
        .get(..4)
        .map_or(0, |b| u32::from_le_bytes([b[0], b[1], b[2], b[3]]) as usize);
    if buf.len() < 4 || announced != items.len() {
        return Err(format!(
            "a list of {announced} records does not fit in {} bytes",
            buf.len()
        ));
    }
    let mut detections = Vec::new();
    let mut errors = Vec::new();
    for (j, item) in items.iter().enumerate() {
        let bytes = item.as_bytes();
        match item.kind() {
            wire::OutputKind::Detection => {
                let count = bytes
                    .get(16..20)
                    .and_then(|b| b.try_into().ok())
                    .map(u32::from_le_bytes)
                    .ok_or_else(|| format!("record {j}: truncated"))?
                    as usize;
                if count != item.field_count() {
                    return Err(format!(
                        "record {j}: {count} fields do not fit in {} bytes",
                        bytes.len()
                    ));
                }
                let severity = match item.severity() {
                    0 => None,
                    1 => Some(m::Severity::Info),
                    2 => Some(m::Severity::Low),
                    3 => Some(m::Severity::Medium),
                    4 => Some(m::Severity::High),
                    5 => Some(m::Severity::Critical),
                    other => return Err(format!("record {j}: severity {other} is not 0..=5")),
                };
                let mut fields: Vec<m::Arg> = Vec::with_capacity(count);
                for i in 0..count {
                    let f = item.field(i).ok_or_else(|| {
                        format!("record {j}: field {i} is out of bounds, not UTF-8 or of an unknown kind")
                    })?;
                    // The fields become a JSON object: a repeated name
                    // keeps its first value.
                    if !fields.iter().any(|a| a.name == f.name) {
                        fields.push(m::Arg {
                            name: f.name.to_owned(),
                            value: value_from_wire(f.value),
                        });
                    }
                }
                detections.push((item.index(), m::Detection { fields, severity }));
            }
            wire::OutputKind::Error => {
                let message = item.message();
                // An empty message is written (0, 0); anything else that
                // reads as empty did not fit.
                if message.is_empty() && bytes.get(8..16).is_some_and(|b| b.iter().any(|&x| x != 0))
                {
                    return Err(format!(
                        "record {j}: the message is out of bounds or not UTF-8"
                    ));
                }
                errors.push((item.index(), message.to_owned()));
            }
            wire::OutputKind::Unknown(k) => {
                return Err(format!("record {j}: unknown kind {k}"));
            }
        }
    }
    out.detections.append(&mut detections);
    out.errors.append(&mut errors);
    Ok(())
}

/// Encodes a store answer as a record list (`docs/wire-encoding.md`).
pub(crate) fn records<R, I>(records: I) -> Result<Vec<u8>, w::StoreError>
where
    R: wire::EncodeRecord,
    I: ExactSizeIterator<Item = R>,
{
    let mut out = Vec::new();
    wire::encode_records(&mut out, records).map_err(encode_error)?;
    Ok(out)
}

/// A record list built while a store is walked (see
/// [`wire::RecordsBuilder`]).
#[derive(Default)]
pub(crate) struct RecordList(wire::RecordsBuilder);

/// Room reserved per process record of an answer: the fixed part and a
/// name, a path and a short argv. A longer record grows the buffer once.
pub(crate) const PROCESS_RECORD_HINT: usize = 256;

impl RecordList {
    /// Room for `records` records of about `each` bytes.
    pub(crate) fn with_capacity(records: usize, each: usize) -> Self {
        RecordList(wire::RecordsBuilder::with_capacity(
            records,
            records.saturating_mul(each),
        ))
    }

    pub(crate) fn push(&mut self, record: &impl wire::EncodeRecord) {
        self.0.push(record);
    }

    pub(crate) fn finish(self) -> Result<Vec<u8>, w::StoreError> {
        self.0.finish().map_err(encode_error)
    }
}

fn encode_error(e: wire::EncodeError) -> w::StoreError {
    w::StoreError::InvalidArgument(format!("answer cannot be encoded: {e}"))
}

pub(crate) fn process(p: &m::ProcessInfo) -> wire::ProcessFields<'_> {
    wire::ProcessFields {
        entity_id: p.entity_id,
        parent_entity_id: p.parent_entity_id,
        start_time: p.start_time,
        exit_time: p.exit_time,
        pid: p.pid,
        ppid: p.ppid,
        uid: p.uid,
        gid: p.gid,
        name: &p.name,
        exe: &p.exe,
        container_id: &p.container_id,
        argv: &p.argv,
    }
}

pub(crate) fn container(c: &m::ContainerInfo) -> wire::ContainerFields<'_> {
    wire::ContainerFields {
        start_time: c.start_time,
        id: &c.id,
        name: &c.name,
        image: &c.image,
        image_digest: &c.image_digest,
        runtime: &c.runtime,
        pod: c.pod.as_ref().map(|p| wire::PodFields {
            name: &p.name,
            uid: &p.uid,
            namespace: &p.namespace,
            sandbox: p.sandbox,
        }),
    }
}

pub(crate) fn dns(d: &m::DnsResponse) -> wire::DnsFields<'_> {
    wire::DnsFields {
        query: &d.query,
        ips: &d.ips,
        domains: &d.domains,
    }
}

/// A symbol found for the address `query`.
pub(crate) fn symbol(query: u64, s: &m::SymbolInfo) -> wire::SymbolFields<'_> {
    wire::SymbolFields {
        query,
        address: s.address,
        name: &s.name,
        module: &s.module,
    }
}

pub(crate) fn reputation<'a>(source: &'a str, r: &'a m::Reputation) -> wire::ReputationFields<'a> {
    wire::ReputationFields {
        last_updated: r.last_updated,
        ip: &r.ip,
        source,
        tags: &r.tags,
        status: match r.status {
            m::ReputationStatus::Unknown => wire::Status::Unknown,
            m::ReputationStatus::Clean => wire::Status::Clean,
            m::ReputationStatus::Suspicious => wire::Status::Suspicious,
            m::ReputationStatus::Blacklisted => wire::Status::Blacklisted,
        },
        severity: r.severity,
    }
}

pub(crate) fn system_to_wit(s: m::SystemInfo) -> w::SystemInfo {
    w::SystemInfo {
        architecture: s.architecture,
        kernel_release: s.kernel_release,
        hostname: s.hostname,
        boot_time: s.boot_time,
        host_start_time: s.host_start_time,
        os_name: s.os_name,
        os_version: s.os_version,
        os_pretty_name: s.os_pretty_name,
        host_version: s.host_version,
        init_namespaces: s
            .init_namespaces
            .into_iter()
            .map(|n| w::NamespaceId {
                kind: n.kind,
                inode: n.inode,
            })
            .collect(),
    }
}

pub(crate) fn health_to_wit(h: m::HealthInfo) -> w::HealthInfo {
    w::HealthInfo {
        status: match h.status {
            m::HealthStatus::Unknown => w::HealthStatus::Unknown,
            m::HealthStatus::Healthy => w::HealthStatus::Healthy,
            m::HealthStatus::Unhealthy => w::HealthStatus::Unhealthy,
        },
        message: h.message,
        last_check: h.last_check,
    }
}

pub(crate) fn metrics_to_wit(x: m::StoreMetrics) -> w::StoreMetrics {
    w::StoreMetrics {
        item_count: x.item_count,
        success_count: x.success_count,
        error_count: x.error_count,
        cache_hits: x.cache_hits,
        cache_misses: x.cache_misses,
        last_access: x.last_access,
    }
}

pub(crate) fn metadata_to_wit(x: m::StoreMetadata) -> w::StoreMetadata {
    w::StoreMetadata {
        name: x.name,
        description: x.description,
        version: x.version,
        writable: x.writable,
        owner: x.owner,
    }
}

pub(crate) fn status_from_wit(s: rep::ReputationStatus) -> m::ReputationStatus {
    match s {
        rep::ReputationStatus::Unknown => m::ReputationStatus::Unknown,
        rep::ReputationStatus::Clean => m::ReputationStatus::Clean,
        rep::ReputationStatus::Suspicious => m::ReputationStatus::Suspicious,
        rep::ReputationStatus::Blacklisted => m::ReputationStatus::Blacklisted,
    }
}

pub(crate) fn reputation_from_wit(r: rep::Reputation) -> m::Reputation {
    m::Reputation {
        ip: r.ip,
        status: status_from_wit(r.status),
        severity: r.severity,
        tags: r.tags,
        last_updated: r.last_updated,
    }
}

pub(crate) fn policy_from_wit(p: rep::ConflictPolicy) -> m::ConflictPolicy {
    match p {
        rep::ConflictPolicy::LastWriteWins => m::ConflictPolicy::LastWriteWins,
        rep::ConflictPolicy::MaxSeverity => m::ConflictPolicy::MaxSeverity,
        rep::ConflictPolicy::Priority => m::ConflictPolicy::Priority,
    }
}

pub(crate) fn severity_from_wit(s: guest::Severity) -> m::Severity {
    match s {
        guest::Severity::Info => m::Severity::Info,
        guest::Severity::Low => m::Severity::Low,
        guest::Severity::Medium => m::Severity::Medium,
        guest::Severity::High => m::Severity::High,
        guest::Severity::Critical => m::Severity::Critical,
    }
}

pub(crate) fn description_from_wit(d: guest::Description) -> m::DetectorInfo {
    m::DetectorInfo {
        id: d.id,
        name: d.name,
        version: d.version,
        description: d.description,
        selectors: d
            .selectors
            .into_iter()
            .map(|s| m::Selector {
                event: s.event,
                filters: s
                    .filters
                    .into_iter()
                    .map(|f| m::FieldFilter {
                        field: f.field,
                        op: match f.op {
                            guest::FilterOp::Equal => m::FilterOp::Equal,
                            guest::FilterOp::NotEqual => m::FilterOp::NotEqual,
                            guest::FilterOp::Prefix => m::FilterOp::Prefix,
                            guest::FilterOp::Suffix => m::FilterOp::Suffix,
                            guest::FilterOp::Contains => m::FilterOp::Contains,
                            guest::FilterOp::BlacklistedIn => m::FilterOp::BlacklistedIn,
                            guest::FilterOp::InConfig => m::FilterOp::InConfig,
                            guest::FilterOp::DomainInConfig => m::FilterOp::DomainInConfig,
                        },
                        value: f.value,
                        items: Vec::new(),
                    })
                    .collect(),
            })
            .collect(),
        required_stores: d.required_stores,
        optional_stores: d.optional_stores,
        finding: m::FindingDefinition {
            name: d.finding.name,
            description: d.finding.description,
            severity: severity_from_wit(d.finding.severity),
            mitre_tactic: d.finding.mitre_tactic,
            mitre_technique: d.finding.mitre_technique,
            fields: d.finding.fields,
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::state::Output;

    const VECTOR: &[u8] = include_bytes!("../../../guest-sdk/wire/testdata/output.bin");

    fn read(buf: &[u8]) -> Result<Output, String> {
        let mut out = Output::default();
        output(buf, &mut out).map(|()| out)
    }

    #[test]
    fn the_output_vector_reads_as_its_detections_and_error() {
        let out = read(VECTOR).expect("well formed");
        let indices: Vec<u32> = out.detections.iter().map(|(i, _)| *i).collect();
        assert_eq!(indices, [0, 2, 2]);
        let (_, first) = &out.detections[0];
        assert_eq!(first.severity, None);
        assert_eq!(first.fields.len(), 6);
        assert_eq!(
            first.fields[1].value,
            m::Value::StrList(vec!["sh".into(), "-c".into(), "".into(), "écho ✓".into()])
        );
        assert_eq!(first.fields[3].value, m::Value::Int(-3));
        assert_eq!(first.fields[5].value, m::Value::Bytes(vec![0, 1, 0xff]));
        assert_eq!(out.detections[1].1.severity, Some(m::Severity::Critical));
        assert_eq!(out.detections[2].1.severity, Some(m::Severity::High));
        assert_eq!(out.errors, [(1, "dns store: timeout ✗".to_owned())]);
        assert_eq!(read(&[0, 0, 0, 0]).expect("empty").detections.len(), 0);
    }

    #[test]
    fn a_damaged_output_is_refused_whole_and_never_panics() {
        // The first record's header, after the count and four offsets.
        let first = 4 + 4 * 4;
        for (at, byte, why) in [
            (1, 1, "does not fit"),
            (first + 4, 7, "unknown kind 7"),
            (first + 5, 6, "severity 6"),
            (first + 16, 200, "fields do not fit"),
            (first + 20 + 8, 99, "field 0"),
        ] {
            let mut b = VECTOR.to_vec();
            b[at] = byte;
            let err = read(&b).expect_err(why);
            assert!(err.contains(why), "{why}: {err}");
        }
        assert!(read(&[]).is_err());
        // Every prefix and every byte replaced: an answer or an error.
        for n in 0..VECTOR.len() {
            let _ = read(&VECTOR[..n]);
        }
        let mut b = VECTOR.to_vec();
        for i in 0..b.len() {
            for x in [0x00, 0x7f, 0xff] {
                let old = std::mem::replace(&mut b[i], x);
                let _ = read(&b);
                b[i] = old;
            }
        }
    }
}
