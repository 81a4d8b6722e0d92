//! `sandtrap inspect`: what a component is, without running it on events.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use anyhow::Context;
use sandtrap_runtime::{DetectorComponent, Runtime};
use sandtrap_stores::Stores;

pub(crate) fn run(path: &Path, json: bool, cache_dir: Option<PathBuf>) -> anyhow::Result<bool> {
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
        println!("{}", serde_json::to_string_pretty(&doc)?);
        return Ok(true);
    }
    let i = c.info();
    println!("file:      {}", path.display());
    println!("contract:  sandtrap:detector@{}", c.contract());
    println!("size:      {} bytes", c.size());
    println!(
        "compile:   {:.1} ms{}",
        c.compile_time().as_secs_f64() * 1e3,
        if c.from_cache() { " (cached)" } else { "" }
    );
    println!("detector:  {} — {} v{}", i.id, i.name, i.version);
    if !i.description.is_empty() {
        println!("           {}", i.description);
    }
    let f = &i.finding;
    println!(
        "finding:   {} [{}] {} {}",
        f.name,
        f.severity.as_str(),
        f.mitre_technique,
        f.mitre_tactic
    );
    if !f.fields.is_empty() {
        println!("fields:    {}", f.fields.join(", "));
    }
    println!("selectors:");
    for s in &i.selectors {
        let filters: Vec<String> = s
            .filters
            .iter()
            .map(|x| {
                format!(
                    "{} {} {:?}",
                    x.field,
                    serde_json::to_value(x.op)
                        .map(|v| v.as_str().unwrap_or("").to_owned())
                        .unwrap_or_default(),
                    x.value
                )
            })
            .collect();
        if filters.is_empty() {
            println!("  {}", s.event);
        } else {
            println!("  {} where {}", s.event, filters.join(" and "));
        }
    }
    println!(
        "stores:    required [{}], optional [{}]",
        i.required_stores.join(", "),
        i.optional_stores.join(", ")
    );
    println!("imports:");
    for name in c.imports() {
        println!("  {name}");
    }
    Ok(true)
}
