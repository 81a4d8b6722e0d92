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
        f.event.seq, f.event.name, f.timestamp
    )?;
    for a in &f.fields {
        writeln!(out, "  {} = {}", a.name, value(&a.value))?;
    }
    // Oldest ancestor first, the process itself last.
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
    if let Some(c) = &f.container {
        let name = if c.name.is_empty() {
            &c.id[..c.id.len().min(12)]
        } else {
            c.name.as_str()
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
