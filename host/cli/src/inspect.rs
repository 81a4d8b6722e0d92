//! `sandtrap inspect`: what a component is, without running it on events.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use anyhow::Context;
use sandtrap_runtime::{DetectorComponent, Runtime};
use sandtrap_stores::Stores;

pub(crate) fn run(path: &Path, json: bool, cache_dir: Option<PathBuf>) -> anyhow::Result<bool> {
    let mut out = std::io::stdout().lock();
    let bytes = std::fs::read(path).with_context(|| format!("{}: cannot read", path.display()))?;
    let stores = Arc::new(Stores::builder().build());
    let rt = Runtime::builder().cache_dir(cache_dir).build(stores)?;
    let c = DetectorComponent::load(&rt, &path.display().to_string(), &bytes)?;
    if json {
        let doc = serde_json::json!({
            "file": path.display().to_string(),
            "contract": format!("sandtrap:detector@{}", c.contract()),
            "size": c.size(),
            "compile_ms": c.compile_time().as_secs_f64() * 1e3,
            "from_cache": c.from_cache(),
            "describe": c.info(),
            "imports": c.imports(),
            "exports": c.exports(),
        });
        writeln!(out, "{}", serde_json::to_string_pretty(&doc)?)?;
        return Ok(true);
    }
    let i = c.info();
    writeln!(out, "file:      {}", path.display())?;
    writeln!(out, "contract:  sandtrap:detector@{}", c.contract())?;
    writeln!(out, "size:      {} bytes", c.size())?;
    writeln!(
        out,
        "compile:   {:.1} ms{}",
        c.compile_time().as_secs_f64() * 1e3,
        if c.from_cache() { " (cached)" } else { "" }
    )?;
    writeln!(out, "detector:  {} — {} v{}", i.id, i.name, i.version)?;
    if !i.description.is_empty() {
        writeln!(out, "           {}", i.description)?;
    }
    let f = &i.finding;
    writeln!(
        out,
        "finding:   {} [{}] {} {}",
        f.name,
        f.severity.as_str(),
        f.mitre_technique,
        f.mitre_tactic
    )?;
    if !f.fields.is_empty() {
        writeln!(out, "fields:    {}", f.fields.join(", "))?;
    }
    writeln!(out, "selectors:")?;
    for s in &i.selectors {
        let filters: Vec<String> = s
            .filters
            .iter()
            .map(|x| format!("{} {} {:?}", x.field, x.op.name(), x.value))
            .collect();
        if filters.is_empty() {
            writeln!(out, "  {}", s.event)?;
        } else {
            writeln!(out, "  {} where {}", s.event, filters.join(" and "))?;
        }
    }
    writeln!(
        out,
        "stores:    required [{}], optional [{}]",
        i.required_stores.join(", "),
        i.optional_stores.join(", ")
    )?;
    writeln!(out, "imports:")?;
    for name in c.imports() {
        writeln!(out, "  {name}")?;
    }
    Ok(true)
}
