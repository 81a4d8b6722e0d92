//! Parsing of DNS resource records in zone-file presentation (`name TTL [IN] TYPE data`).

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

/// Longest record line examined; a real A/AAAA/CNAME line is far shorter.
const MAX_LINE: usize = 1024;
/// Longest domain name (RFC 1035), without the trailing dot.
const MAX_NAME: usize = 253;
/// Longest label (RFC 1035).
const MAX_LABEL: usize = 63;

/// The data of a record the cache keeps.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum RData {
    /// An A or AAAA address.
    Addr(IpAddr),
    /// A CNAME target, normalised.
    Cname(String),
}

/// One A, AAAA or CNAME record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Record {
    /// Owner name, normalised.
    pub name: String,
    /// Time to live in seconds.
    pub ttl: u32,
    /// Address or alias.
    pub data: RData,
}

/// Why a line was skipped as malformed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Malformed(pub &'static str);

/// A record line: `Ok(Some)` for A/AAAA/CNAME, `Ok(None)` for a valid
/// record of another type or class (MX, TXT, CH …), `Err` for garbage.
pub(crate) fn parse_record(line: &str) -> Result<Option<Record>, Malformed> {
    if line.len() > MAX_LINE {
        return Err(Malformed("line too long"));
    }
    let mut tokens = line.split_ascii_whitespace();
    let name = tokens.next().ok_or(Malformed("empty line"))?;
    let name = normalize_name(name).ok_or(Malformed("bad owner name"))?;
    // TTL and class may come in either order (RFC 1035 §5.1).
    let mut ttl = None;
    let mut class_in = true;
    let rtype = loop {
        let t = tokens.next().ok_or(Malformed("missing type"))?;
        if t.bytes().all(|b| b.is_ascii_digit()) {
            if ttl.is_some() {
                return Err(Malformed("two TTLs"));
            }
            ttl = Some(
                t.parse::<u32>()
                    .map_err(|_| Malformed("TTL out of range"))?,
            );
        } else if let Some(is_in) = class(t) {
            class_in = is_in;
        } else {
            break t;
        }
    };
    let ttl = ttl.ok_or(Malformed("missing TTL"))?;
    if !rtype.bytes().all(|b| b.is_ascii_alphanumeric()) {
        return Err(Malformed("bad type"));
    }
    let data = tokens.next().ok_or(Malformed("missing data"))?;
    let known = ["A", "AAAA", "CNAME"]
        .iter()
        .any(|k| rtype.eq_ignore_ascii_case(k));
    if !known || !class_in {
        return Ok(None);
    }
    if tokens.next().is_some() {
        return Err(Malformed("trailing data"));
    }
    let data = if rtype.eq_ignore_ascii_case("A") {
        RData::Addr(IpAddr::V4(
            data.parse::<Ipv4Addr>()
                .map_err(|_| Malformed("bad IPv4 address"))?,
        ))
    } else if rtype.eq_ignore_ascii_case("AAAA") {
        RData::Addr(IpAddr::V6(
            data.parse::<Ipv6Addr>()
                .map_err(|_| Malformed("bad IPv6 address"))?,
        ))
    } else {
        RData::Cname(normalize_name(data).ok_or(Malformed("bad CNAME target"))?)
    };
    Ok(Some(Record { name, ttl, data }))
}

/// `Some(true)` for class IN, `Some(false)` for another class, `None` when
/// the token is not a class.
fn class(t: &str) -> Option<bool> {
    if t.eq_ignore_ascii_case("IN") {
        Some(true)
    } else {
        ["CH", "HS", "CS", "ANY"]
            .iter()
            .any(|c| t.eq_ignore_ascii_case(c))
            .then_some(false)
    }
}

/// A domain name as a cache key: lowercase, no trailing dot, letters,
/// digits, `-`, `_` and `*` in labels of 1–63 bytes, at most 253 bytes.
pub(crate) fn normalize_name(s: &str) -> Option<String> {
    let s = s.strip_suffix('.').unwrap_or(s);
    if s.is_empty() || s.len() > MAX_NAME {
        return None;
    }
    let ok = s.split('.').all(|label| {
        !label.is_empty()
            && label.len() <= MAX_LABEL
            && label
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'*'))
    });
    ok.then(|| s.to_ascii_lowercase())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rec(name: &str, ttl: u32, data: RData) -> Option<Record> {
        Some(Record {
            name: name.into(),
            ttl,
            data,
        })
    }

    #[test]
    fn parses_presentation_forms() {
        let v4 = RData::Addr("93.184.216.34".parse().unwrap());
        let cases = [
            (
                "example.com. 300 IN CNAME cdn.example.net.",
                rec("example.com", 300, RData::Cname("cdn.example.net".into())),
            ),
            (
                "cdn.example.net 60 A 93.184.216.34",
                rec("cdn.example.net", 60, v4.clone()),
            ),
            (
                "CDN.Example.NET.\t60\tin\ta\t93.184.216.34",
                rec("cdn.example.net", 60, v4.clone()),
            ),
            (
                "cdn.example.net IN 60 A 93.184.216.34",
                rec("cdn.example.net", 60, v4),
            ),
            (
                "v6.example 30 IN AAAA 2001:db8::1",
                rec(
                    "v6.example",
                    30,
                    RData::Addr("2001:db8::1".parse().unwrap()),
                ),
            ),
            ("example.com 300 IN MX 10 mail.example.com.", None),
            ("example.com 300 IN TXT \"v=spf1 -all\"", None),
            ("version.bind 0 CH A 1.2.3.4", None),
            ("_srv._tcp.example.com 5 IN TYPE65 x", None),
        ];
        for (line, want) in cases {
            assert_eq!(parse_record(line), Ok(want), "{line}");
        }
    }

    #[test]
    fn rejects_garbage() {
        let bad = [
            "",
            "   ",
            "example.com",
            "example.com A 1.2.3.4",
            "example.com 300 IN",
            "example.com 300 IN A",
            "example.com 300 IN A 1.2.3",
            "example.com 300 IN A 1.2.3.4 extra",
            "example.com 300 IN AAAA 1.2.3.4",
            "example.com 99999999999 IN A 1.2.3.4",
            "example.com 1 2 A 1.2.3.4",
            "exa mple.com",
            "ex..ample.com 1 A 1.2.3.4",
            "é.com 1 A 1.2.3.4",
            "x.com 1 CNAME é.com",
            "x.com 1 A? 1.2.3.4",
            ". 1 A 1.2.3.4",
        ];
        for line in bad {
            assert!(parse_record(line).is_err(), "{line:?} should be malformed");
        }
        assert!(parse_record(&"a".repeat(MAX_LINE + 1)).is_err());
        let long_label = format!("{}.com 1 A 1.2.3.4", "a".repeat(64));
        assert!(parse_record(&long_label).is_err());
    }

    #[test]
    fn names_normalise() {
        assert_eq!(
            normalize_name("WWW.Example.COM.").as_deref(),
            Some("www.example.com")
        );
        assert_eq!(
            normalize_name("*.example.com").as_deref(),
            Some("*.example.com")
        );
        assert_eq!(normalize_name("."), None);
        assert_eq!(normalize_name(""), None);
        assert_eq!(
            normalize_name(&"a.".repeat(127)),
            Some("a.".repeat(127).trim_end_matches('.').to_owned())
        );
        assert_eq!(normalize_name(&"a.".repeat(128)), None);
    }
}
