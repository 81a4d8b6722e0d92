//! `sandtrap replay`: the live pipeline, fed from a trace file.

use std::io::{BufRead, BufReader, Read, Write};
use std::path::PathBuf;
use std::sync::Arc;

use anyhow::Context;
use sandtrap_model::Event;
use sandtrap_runtime::{Dispatcher, Runtime};
use sandtrap_stores::{KernelSymbols, Stores};

use crate::Format;
use crate::config::Config;

/// Longest trace line accepted; longer ones are refused, not buffered.
const MAX_LINE: usize = 1 << 20;

pub(crate) struct Args {
    pub trace: PathBuf,
    pub detectors: PathBuf,
    pub config: Option<PathBuf>,
    pub format: Format,
    pub kallsyms: Option<PathBuf>,
    pub cache_dir: Option<PathBuf>,
}

pub(crate) fn run(args: &Args) -> anyhow::Result<bool> {
    let config = Config::load(args.config.as_deref())?;
    let mut builder = Stores::builder().system_info_from_machine();
    builder = match &args.kallsyms {
        Some(p) => {
            let text = std::fs::read_to_string(p)
                .with_context(|| format!("{}: cannot read", p.display()))?;
            builder.kernel_symbols(KernelSymbols::from_kallsyms_text(&text))
        }
        None => builder.kernel_symbols_from_machine(),
    };
    let stores = Arc::new(builder.build());
    let rt = Arc::new(
        Runtime::builder()
            .cache_dir(args.cache_dir.clone())
            .build(stores)?,
    );
    let mut dispatcher = Dispatcher::new(rt.clone());
    let refused = crate::load::load_dir(&rt, &mut dispatcher, &args.detectors, &config)?;
    if dispatcher.detectors().is_empty() {
        anyhow::bail!("{}: no detector could be loaded", args.detectors.display());
    }

    let name = args.trace.display().to_string();
    let input: Box<dyn Read> = if name == "-" {
        Box::new(std::io::stdin().lock())
    } else {
        Box::new(std::fs::File::open(&args.trace).with_context(|| format!("{name}: cannot open"))?)
    };
    let mut reader = BufReader::new(input);
    let stdout = std::io::stdout();
    let mut out = std::io::BufWriter::new(stdout.lock());
    let mut bad_lines = 0u64;
    let mut faults = 0u64;
    let mut line_no = 0u64;
    let mut buf = Vec::new();
    loop {
        buf.clear();
        let n = (&mut reader)
            .take(MAX_LINE as u64 + 1)
            .read_until(b'\n', &mut buf)
            .with_context(|| format!("{name}: read error"))?;
        if n == 0 {
            break;
        }
        line_no += 1;
        if buf.len() > MAX_LINE && !buf.ends_with(b"\n") {
            bad_lines += 1;
            eprintln!("sandtrap: {name}:{line_no}: line longer than {MAX_LINE} bytes, skipped");
            skip_rest_of_line(&mut reader)?;
            continue;
        }
        let text = match std::str::from_utf8(&buf) {
            Ok(t) => t.trim(),
            Err(e) => {
                bad_lines += 1;
                eprintln!("sandtrap: {name}:{line_no}: not UTF-8: {e}");
                continue;
            }
        };
        if text.is_empty() {
            continue;
        }
        let ev: Event = match serde_json::from_str(text) {
            Ok(ev) => ev,
            Err(e) => {
                bad_lines += 1;
                eprintln!("sandtrap: {name}:{line_no}: {e}");
                continue;
            }
        };
        let outcome = dispatcher.process(ev);
        faults += outcome.faults.len() as u64;
        for fault in &outcome.faults {
            eprintln!(
                "sandtrap: {name}:{line_no}: detector {} fault: {}",
                fault.detector, fault.reason
            );
        }
        for f in &outcome.findings {
            crate::pretty::emit(&mut out, args.format, f)?;
        }
    }
    let quarantined: Vec<(String, String)> = dispatcher
        .detectors()
        .iter()
        .filter_map(|d| Some((d.id().to_owned(), d.quarantined()?.to_owned())))
        .collect();
    let last = dispatcher.close();
    faults += last.faults.len() as u64;
    for f in &last.findings {
        crate::pretty::emit(&mut out, args.format, f)?;
    }
    out.flush()?;
    let stats = dispatcher.stats();
    tracing::info!(
        events = stats.events,
        unselected = stats.unselected,
        calls = stats.calls,
        findings = stats.findings,
        "replay done"
    );
    if bad_lines > 0 {
        eprintln!("sandtrap: {name}: {bad_lines} line(s) skipped");
    }
    for (id, why) in quarantined {
        eprintln!("sandtrap: detector {id} is quarantined: {why}");
    }
    Ok(bad_lines == 0 && refused == 0 && faults == 0)
}

fn skip_rest_of_line(reader: &mut impl BufRead) -> anyhow::Result<()> {
    loop {
        let buf = reader.fill_buf()?;
        if buf.is_empty() {
            return Ok(());
        }
        if let Some(i) = buf.iter().position(|b| *b == b'\n') {
            reader.consume(i + 1);
            return Ok(());
        }
        let len = buf.len();
        reader.consume(len);
    }
}
