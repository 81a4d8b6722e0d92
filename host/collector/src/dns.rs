//! DNS responses seen on the wire, turned into `dns_response` events.
//!
//! Packets come from the kernel truncated and possibly hostile; parsing is
//! done by a maintained DNS implementation and every failure is an `Err`,
//! never a panic.

use hickory_proto::op::{Message, MessageType};
use hickory_proto::rr::RData;
use sandtrap_model::{Arg, Event, ProcessContext, Value};

/// Why a packet did not become an event.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DnsError {
    /// Not a well-formed DNS message.
    #[error("malformed DNS message: {0}")]
    Malformed(String),
    /// A query, not a response.
    #[error("not a response")]
    NotAResponse,
    /// A response with no answer of a kind the cache keeps.
    #[error("no A, AAAA or CNAME answer")]
    NoAnswers,
}

/// Parses a DNS response payload (the UDP payload) into a `dns_response`
/// event at `timestamp`, with answers in zone-file presentation form.
pub fn response_event(payload: &[u8], timestamp: u64) -> Result<Event, DnsError> {
    let msg = Message::from_vec(payload).map_err(|e| DnsError::Malformed(e.to_string()))?;
    if msg.message_type() != MessageType::Response {
        return Err(DnsError::NotAResponse);
    }
    let query = msg
        .queries()
        .first()
        .map(|q| q.name().to_ascii().trim_end_matches('.').to_owned())
        .unwrap_or_default();
    let answers: Vec<String> = msg
        .answers()
        .iter()
        .filter_map(|r| {
            let (kind, data) = match r.data() {
                RData::A(a) => ("A", a.0.to_string()),
                RData::AAAA(a) => ("AAAA", a.0.to_string()),
                RData::CNAME(c) => ("CNAME", c.0.to_ascii()),
                _ => return None,
            };
            Some(format!(
                "{} {} IN {kind} {data}",
                r.name().to_ascii(),
                r.ttl()
            ))
        })
        .collect();
    if answers.is_empty() {
        return Err(DnsError::NoAnswers);
    }
    Ok(Event {
        seq: 0,
        timestamp,
        name: "dns_response".into(),
        process: ProcessContext::default(),
        args: vec![
            Arg::new("query", query),
            Arg::new("answers", Value::StrList(answers)),
        ],
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A response for c2.evil.example: CNAME to edge.cdn.example, A 203.0.113.50.
    fn sample() -> Vec<u8> {
        use hickory_proto::op::Query;
        use hickory_proto::rr::{Name, Record, RecordType, rdata};
        let q = Name::from_ascii("c2.evil.example.").unwrap();
        let edge = Name::from_ascii("edge.cdn.example.").unwrap();
        let mut m = Message::new();
        m.set_id(7).set_message_type(MessageType::Response);
        m.add_query(Query::query(q.clone(), RecordType::A));
        m.add_answer(Record::from_rdata(
            q,
            300,
            RData::CNAME(rdata::CNAME(edge.clone())),
        ));
        m.add_answer(Record::from_rdata(
            edge,
            60,
            RData::A(rdata::A::new(203, 0, 113, 50)),
        ));
        m.to_vec().unwrap()
    }

    #[test]
    fn answers_in_presentation_form() {
        let ev = response_event(&sample(), 5).unwrap();
        assert_eq!(ev.arg_str("query"), Some("c2.evil.example"));
        assert_eq!(
            ev.arg("answers"),
            Some(&Value::StrList(vec![
                "c2.evil.example. 300 IN CNAME edge.cdn.example.".into(),
                "edge.cdn.example. 60 IN A 203.0.113.50".into(),
            ]))
        );
    }

    #[test]
    fn truncated_and_hostile_packets_are_errors() {
        let full = sample();
        for cut in 0..full.len() {
            // Never a panic; most prefixes are malformed.
            let _ = response_event(&full[..cut], 0);
        }
        assert!(matches!(
            response_event(&full[..5], 0),
            Err(DnsError::Malformed(_))
        ));
        // A compression pointer loop.
        let mut evil = full[..12].to_vec();
        evil[5] = 1; // one question
        evil[7] = 0; // no answers
        evil.extend_from_slice(&[0xc0, 12, 0, 1, 0, 1]);
        assert!(response_event(&evil, 0).is_err());
        let mut query = full.clone();
        query[2] &= 0x7f; // QR bit off
        assert_eq!(response_event(&query, 0), Err(DnsError::NotAResponse));
    }
}
