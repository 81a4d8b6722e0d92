//! Human-readable findings, with the ancestry drawn as a tree.

use std::io::Write;

use sandtrap_model::{Finding, ProcessInfo, Value};

fn value(v: &Value) -> String {
    match v {
        Value::Str(s) => s.clone(),
        Value::StrList(l) => format!("[{}]", l.join(", ")),
        other => serde_json::to_string(other).unwrap_or_default(),
    }
}

fn label(p: &ProcessInfo) -> String {
    let exe = if p.exe.is_empty() {
        String::new()
    } else {
        format!(" {}", p.exe)
    };
    format!("{}({}){exe} uid={}", p.name, p.pid, p.uid)
}

/// Writes one finding in the chosen format: a JSON line, or the pretty view.
pub(crate) fn emit(
    out: &mut impl Write,
    format: crate::Format,
    f: &Finding,
) -> std::io::Result<()> {
    match format {
        crate::Format::Json => {
            serde_json::to_writer(&mut *out, f)?;
            out.write_all(b"\n")
        }
        crate::Format::Pretty => write(out, f),
    }
}

pub(crate) fn write(out: &mut impl Write, f: &Finding) -> std::io::Result<()> {
    let d = &f.definition;
    let mitre = if d.mitre_technique.is_empty() {
        String::new()
    } else {
        format!(" ({} {})", d.mitre_technique, d.mitre_tactic)
    };
    writeln!(
        out,
        "[{}] {} — {}{mitre}",
        f.severity.as_str().to_uppercase(),
        f.detector.id,
        d.name
    )?;
    writeln!(
        out,
        "  event #{} {} at {}",
        f.event.seq,
        f.event.name,
        iso8601(f.timestamp)
    )?;
    for a in &f.fields {
        writeln!(out, "  {} = {}", a.name, value(&a.value))?;
    }
    // Oldest ancestor first, the process itself last. Events without a
    // process (a DNS answer seen on the wire) have no tree to draw.
    if f.process.is_some() || f.event.process.pid != 0 {
        let mut chain: Vec<String> = f.ancestry.iter().rev().map(label).collect();
        match &f.process {
            Some(p) => chain.push(format!("{}  ◀", label(p))),
            None => chain.push(format!(
                "{}({})  ◀",
                f.event.process.comm, f.event.process.pid
            )),
        }
        writeln!(out, "  process tree:")?;
        for (depth, line) in chain.iter().enumerate() {
            if depth == 0 {
                writeln!(out, "    {line}")?;
            } else {
                writeln!(out, "    {}└─ {line}", "   ".repeat(depth - 1))?;
            }
        }
    }
    if let Some(c) = &f.container {
        // Ids come from outside; cut on a character boundary.
        let name: String = if c.name.is_empty() {
            c.id.chars().take(12).collect()
        } else {
            c.name.clone()
        };
        write!(out, "  container: {name} ({}", c.runtime)?;
        if !c.image.is_empty() {
            write!(out, ", image {}", c.image)?;
        }
        if let Some(pod) = &c.pod {
            write!(out, ", pod {}/{}", pod.namespace, pod.name)?;
        }
        writeln!(out, ")")?;
    }
    writeln!(out)
}

/// UTC time of `ns` since the Unix epoch, to the millisecond.
fn iso8601(ns: u64) -> String {
    let secs = ns / 1_000_000_000;
    let millis = (ns / 1_000_000) % 1000;
    let (days, rem) = (secs / 86_400, secs % 86_400);
    // Civil date from days since 1970-01-01 (H. Hinnant's algorithm).
    let z = days as i64 + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}.{millis:03}Z",
        rem / 3600,
        (rem / 60) % 60,
        rem % 60
    )
}

#[cfg(test)]
mod tests {
    #[test]
    fn iso8601_of_known_instants() {
        assert_eq!(super::iso8601(0), "1970-01-01T00:00:00.000Z");
        assert_eq!(
            super::iso8601(951_782_400_123_000_000),
            "2000-02-29T00:00:00.123Z"
        );
        assert_eq!(
            super::iso8601(1_763_800_000_056_000_000),
            "2025-11-22T08:26:40.056Z"
        );
    }
}
