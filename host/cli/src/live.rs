//! `sandtrap run` and `sandtrap record`: the pipeline fed by the kernel.

use std::io::Write;
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use anyhow::Context;
use sandtrap_collector::live::{Live, LiveOptions, boot_time_ns};
use sandtrap_collector::procfs::{ProcFs, fill_from_proc, seed_stores};
use sandtrap_collector::runtime_api::DockerApi;
use sandtrap_model::Event;
use sandtrap_runtime::{
    Applied, DEFAULT_QUEUE_CAPACITY, DirWatcher, Dispatcher, HotLoader, Outcome, Runtime,
};
use sandtrap_stores::Stores;

use crate::Format;
use crate::config::Config;

pub(crate) struct RunArgs {
    pub detectors: Option<PathBuf>,
    pub config: Option<PathBuf>,
    pub format: Format,
    pub duration: Option<Duration>,
    pub cache_dir: Option<PathBuf>,
    pub record: Option<PathBuf>,
    pub follow: Vec<u32>,
    pub runtime_socket: Option<PathBuf>,
    pub control: Option<PathBuf>,
    pub metrics: Option<String>,
}

fn stop_flag() -> anyhow::Result<Arc<AtomicBool>> {
    let stop = Arc::new(AtomicBool::new(false));
    for sig in [signal_hook::consts::SIGINT, signal_hook::consts::SIGTERM] {
        signal_hook::flag::register(sig, stop.clone()).context("installing signal handlers")?;
    }
    Ok(stop)
}

/// Runs live collection until interrupted (or `duration` passes). With
/// `detectors`, findings go to stdout; with `record`, events go to that
/// file (`-` for stdout) in the replay format.
pub(crate) fn run(args: &RunArgs) -> anyhow::Result<bool> {
    let config = Config::load(args.config.as_deref())?;
    let boot = boot_time_ns();
    let mut builder = Stores::builder()
        .system_info_from_machine()
        .kernel_symbols_from_machine();
    let runtime = match &args.runtime_socket {
        Some(p) => Some(DockerApi::new(p)),
        None => DockerApi::detect(),
    };
    match runtime {
        Some(api) => {
            tracing::info!(socket = %api.socket().display(), "container metadata from the runtime API");
            builder = builder.enricher(Arc::new(api));
        }
        None => {
            tracing::info!("no container runtime socket; containers carry ids and runtimes only")
        }
    }
    let stores = Arc::new(builder.build());
    let procfs = ProcFs::default();
    let (seeded, vanished) = seed_stores(&stores, &procfs, boot);
    tracing::info!(
        processes = seeded,
        vanished,
        "process tree seeded from /proc"
    );

    let rt = Arc::new(
        Runtime::builder()
            .cache_dir(args.cache_dir.clone())
            .build(stores.clone())?,
    );
    // Each detector on its own thread: one that stalls (until its deadline
    // or its breaker) delays no other detector and no event collection.
    let mut dispatcher = Dispatcher::threaded(rt.clone(), DEFAULT_QUEUE_CAPACITY);
    let mut refused = 0;
    if let Some(dir) = &args.detectors {
        refused = crate::load::load_dir(&rt, &mut dispatcher, dir, &config)?;
        if dispatcher.detectors().is_empty() {
            anyhow::bail!("{}: no detector could be loaded", dir.display());
        }
    }

    let opts = LiveOptions {
        follow: (!args.follow.is_empty()).then(|| args.follow.clone()),
        dns: true,
    };
    let mut live = Live::start(&opts)
        .context("live collection needs root (CAP_BPF, CAP_PERFMON) and kernel BTF")?;
    for hook in live.hooks() {
        match &hook.error {
            None => tracing::info!(hook = %hook.name, "attached"),
            Some(e) => eprintln!(
                "sandtrap: {} unavailable, continuing without it: {e}",
                hook.name
            ),
        }
    }
    if live.hooks().iter().all(|h| h.error.is_some()) {
        anyhow::bail!("no hook could be attached");
    }
    // One line when events start to flow, so a supervisor or a script can
    // wait for readiness instead of guessing how long loading takes.
    let attached = live.hooks().iter().filter(|h| h.error.is_none()).count();
    match &args.detectors {
        Some(_) => eprintln!(
            "sandtrap: running: {} detectors, {attached} hooks attached",
            dispatcher.ids().count()
        ),
        None => eprintln!("sandtrap: recording: {attached} hooks attached"),
    }

    let mut record: Option<Box<dyn Write>> = match &args.record {
        None => None,
        Some(p) if p.as_os_str() == "-" => {
            Some(Box::new(std::io::BufWriter::new(std::io::stdout())))
        }
        Some(p) => Some(Box::new(std::io::BufWriter::new(
            std::fs::File::create(p).with_context(|| format!("{}: cannot create", p.display()))?,
        ))),
    };
    let stop = stop_flag()?;
    // Detectors added, changed or removed while running are picked up.
    let hotload = args.detectors.as_ref().map(|dir| {
        HotLoader::spawn(
            rt.clone(),
            DirWatcher::primed(dir),
            Duration::from_millis(500),
        )
    });
    let settings = |id: &str| {
        config
            .enabled(id)
            .then(|| (config.init_config(id), config.limits(id)))
    };
    let control = match (&args.control, &args.detectors) {
        // The host is useful without its control socket: say so and go on.
        (Some(path), Some(_)) => match crate::control::serve(path, rt.clone()) {
            Ok(rx) => Some(rx),
            Err(e) => {
                eprintln!("sandtrap: control socket unavailable, continuing without it: {e:#}");
                None
            }
        },
        _ => None,
    };
    let exposition = match (&args.metrics, &args.detectors) {
        (Some(addr), Some(_)) => {
            let addr = addr
                .parse()
                .with_context(|| format!("--metrics {addr}: not an address"))?;
            match crate::metrics::serve(addr) {
                Ok((text, bound)) => {
                    tracing::info!("metrics on http://{bound}/metrics");
                    Some(text)
                }
                Err(e) => {
                    eprintln!("sandtrap: metrics unavailable, continuing without them: {e:#}");
                    None
                }
            }
        }
        _ => None,
    };
    let mut rendered: Option<Instant> = None;
    let started = Instant::now();
    let stdout = std::io::stdout();
    let mut out = std::io::BufWriter::new(stdout.lock());
    let mut faults = 0u64;
    let mut io_error: Option<std::io::Error> = None;
    while !stop.load(Ordering::Relaxed) && args.duration.is_none_or(|d| started.elapsed() < d) {
        live.poll(Duration::from_millis(10), &mut |mut ev: Event| {
            fill_from_proc(&stores, &procfs, boot, &mut ev);
            if let Some(w) = &mut record
                && let Err(e) = serde_json::to_writer(&mut *w, &ev)
                    .map_err(std::io::Error::from)
                    .and_then(|()| w.write_all(b"\n"))
            {
                io_error.get_or_insert(e);
            }
            if args.detectors.is_none() {
                return;
            }
            let outcome = dispatcher.process(ev);
            report(&mut out, args.format, &outcome, &mut faults, &mut io_error);
        });
        let outcome = dispatcher.poll();
        report(&mut out, args.format, &outcome, &mut faults, &mut io_error);
        if let Some((_, updates)) = &hotload {
            for update in updates.try_iter() {
                match dispatcher.apply(update, &settings) {
                    Applied::Loaded { id, replaced } => {
                        eprintln!(
                            "sandtrap: detector {id} {}",
                            if replaced { "replaced" } else { "loaded" }
                        )
                    }
                    Applied::Unloaded { id } => eprintln!("sandtrap: detector {id} unloaded"),
                    Applied::Refused(e) => eprintln!("sandtrap: {e}; the running version stays"),
                    Applied::Ignored => {}
                }
            }
        }
        let collector = [
            ("events_total", live.stats().events),
            ("records_total", live.stats().records),
            ("malformed_total", live.stats().malformed),
            ("lost_total", live.kernel_dropped()),
        ];
        if let Some(requests) = &control {
            let snapshot: std::collections::BTreeMap<&str, u64> =
                collector.iter().copied().collect();
            let snapshot = serde_json::json!(snapshot);
            for req in requests.try_iter() {
                crate::control::handle(req, &mut dispatcher, &settings, &snapshot);
            }
        }
        if let Some(text) = &exposition
            && rendered.is_none_or(|t| t.elapsed() >= Duration::from_secs(1))
        {
            rendered = Some(Instant::now());
            let body = crate::metrics::render(&dispatcher, &collector);
            if let Ok(mut t) = text.lock() {
                *t = body;
            }
        }
        if let Some(e) = io_error.take() {
            if e.kind() == std::io::ErrorKind::BrokenPipe {
                break;
            }
            return Err(e).context("writing output");
        }
    }
    if let Some(w) = &mut record {
        w.flush().context("writing the recording")?;
    }
    let last = dispatcher.close();
    report(&mut out, args.format, &last, &mut faults, &mut io_error);
    if let Some(e) = io_error.take()
        && e.kind() != std::io::ErrorKind::BrokenPipe
    {
        return Err(e).context("writing output");
    }
    let s = live.stats();
    eprintln!(
        "sandtrap: {} events ({} records, {} malformed, {} DNS payloads unparsed), {} lost in the kernel, {} findings",
        s.events,
        s.records,
        s.malformed,
        s.dns_unparsed,
        live.kernel_dropped(),
        dispatcher.stats().findings
    );
    Ok(refused == 0 && faults == 0)
}

/// Writes findings and reports faults; the first write error is kept for
/// the main loop to act on.
fn report(
    out: &mut impl Write,
    format: Format,
    outcome: &Outcome,
    faults: &mut u64,
    io_error: &mut Option<std::io::Error>,
) {
    *faults += outcome.faults.len() as u64;
    for fault in &outcome.faults {
        eprintln!(
            "sandtrap: detector {} fault: {}",
            fault.detector, fault.reason
        );
    }
    for f in &outcome.findings {
        let written = crate::pretty::emit(&mut *out, format, f);
        if let Err(e) = written.and_then(|()| out.flush()) {
            io_error.get_or_insert(e);
        }
    }
}
