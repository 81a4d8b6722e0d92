//! The `sandtrap` command: replay traces, test detectors, inspect components.
//!
//! Exit status: 0 when everything ran cleanly, 1 when some input was
//! refused or a test failed (what was valid still ran), 2 on usage errors.

mod config;
mod control;
mod inspect;
mod live;
mod load;
mod metrics;
mod pretty;
mod replay;
mod test_cmd;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand, ValueEnum};

// Events are built on the dispatcher's thread and freed on the detectors'
// threads; glibc's malloc serialises such frees on its arena locks, which
// made `sandtrap run` slower with worker threads than without.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// sandtrap: a runtime-security detector host with WebAssembly detectors.
#[derive(Parser)]
#[command(name = "sandtrap", version, about)]
struct Cli {
    /// Log filter (also RUST_LOG), e.g. `info` or `sandtrap_runtime=debug`.
    #[arg(long, global = true, default_value = "warn")]
    log: String,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run detectors over a recorded trace (JSON lines, see docs/events.md).
    Replay {
        /// The trace; `-` reads standard input.
        trace: PathBuf,
        /// Directory of detector components (*.wasm).
        #[arg(long)]
        detectors: PathBuf,
        /// TOML configuration (detector config and limits).
        #[arg(long)]
        config: Option<PathBuf>,
        /// Output format of findings.
        #[arg(long, value_enum, default_value_t = Format::Json)]
        format: Format,
        /// kallsyms file for the kernel-symbol store (default: /proc/kallsyms).
        #[arg(long)]
        kallsyms: Option<PathBuf>,
        /// Directory for compiled components (default: none).
        #[arg(long)]
        cache_dir: Option<PathBuf>,
    },
    /// Live detection: eBPF collection on this machine (needs root).
    Run {
        /// Directory of detector components (*.wasm).
        #[arg(long)]
        detectors: PathBuf,
        /// TOML configuration (detector config and limits).
        #[arg(long)]
        config: Option<PathBuf>,
        /// Output format of findings.
        #[arg(long, value_enum, default_value_t = Format::Json)]
        format: Format,
        /// Stop after this many seconds (default: until SIGINT/SIGTERM).
        #[arg(long)]
        duration: Option<f64>,
        /// Directory for compiled components, so restarts do not compile again.
        #[arg(long, default_value = "/var/cache/sandtrap")]
        cache_dir: PathBuf,
        /// Trace only these pids and their descendants.
        #[arg(long, value_delimiter = ',')]
        follow: Vec<u32>,
        /// Docker-compatible runtime API socket for container metadata
        /// (default: /var/run/docker.sock or /run/podman/podman.sock when present).
        #[arg(long)]
        runtime_socket: Option<PathBuf>,
        /// Control socket for `sandtrap ctl` (owner-only permissions).
        #[arg(long, default_value = "/run/sandtrap.sock")]
        control: PathBuf,
        /// Prometheus metrics address, or `off`.
        #[arg(long, default_value = "127.0.0.1:9464")]
        metrics: String,
    },
    /// Talk to a running host: list, load PATH, unload ID, enable ID,
    /// disable ID, stats, stores.
    Ctl {
        /// The host's control socket.
        #[arg(long, default_value = "/run/sandtrap.sock")]
        socket: PathBuf,
        /// The command and its argument.
        #[arg(required = true)]
        command: Vec<String>,
    },
    /// Record live events in the replay format (JSON lines).
    Record {
        /// Output file; `-` for standard output.
        #[arg(long)]
        out: PathBuf,
        /// Stop after this many seconds (default: until SIGINT/SIGTERM).
        #[arg(long)]
        duration: Option<f64>,
        /// Trace only these pids and their descendants.
        #[arg(long, value_delimiter = ',')]
        follow: Vec<u32>,
    },
    /// Run scenarios against a detector with the mock host.
    Test {
        /// The detector component.
        detector: PathBuf,
        /// Scenario files (YAML, see docs/scenarios.md).
        #[arg(required = true)]
        scenarios: Vec<PathBuf>,
        /// Print every finding of passing scenarios too.
        #[arg(long)]
        verbose: bool,
        /// Keep compiled components here across runs (default: a temporary
        /// directory, so the detector compiles once per run).
        #[arg(long)]
        cache_dir: Option<PathBuf>,
    },
    /// Show a component's contract version, description and imports.
    Inspect {
        /// The component.
        component: PathBuf,
        /// Print JSON instead of text.
        #[arg(long)]
        json: bool,
        /// Directory for compiled components (default: none).
        #[arg(long)]
        cache_dir: Option<PathBuf>,
    },
}

/// Finding output formats.
#[derive(Clone, Copy, ValueEnum)]
pub(crate) enum Format {
    /// One JSON object per line.
    Json,
    /// Human-readable, with the process ancestry drawn as a tree.
    Pretty,
}

fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(c) => c,
        Err(e) => {
            let _ = e.print();
            return if e.use_stderr() {
                ExitCode::from(2)
            } else {
                ExitCode::SUCCESS
            };
        }
    };
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(&cli.log));
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .init();
    let result = match cli.command {
        Command::Replay {
            trace,
            detectors,
            config,
            format,
            kallsyms,
            cache_dir,
        } => replay::run(&replay::Args {
            trace,
            detectors,
            config,
            format,
            kallsyms,
            cache_dir,
        }),
        Command::Run {
            detectors,
            config,
            format,
            duration,
            cache_dir,
            follow,
            runtime_socket,
            control,
            metrics,
        } => live::run(&live::RunArgs {
            detectors: Some(detectors),
            config,
            format,
            duration: duration.map(std::time::Duration::from_secs_f64),
            cache_dir: Some(cache_dir),
            record: None,
            follow,
            runtime_socket,
            control: Some(control),
            metrics: (metrics != "off").then_some(metrics),
        }),
        Command::Ctl { socket, command } => control::client(&socket, &command),
        Command::Record {
            out,
            duration,
            follow,
        } => live::run(&live::RunArgs {
            detectors: None,
            config: None,
            format: Format::Json,
            duration: duration.map(std::time::Duration::from_secs_f64),
            cache_dir: None,
            record: Some(out),
            follow,
            runtime_socket: None,
            control: None,
            metrics: None,
        }),
        Command::Test {
            detector,
            scenarios,
            verbose,
            cache_dir,
        } => test_cmd::run(&detector, &scenarios, verbose, cache_dir),
        Command::Inspect {
            component,
            json,
            cache_dir,
        } => inspect::run(&component, json, cache_dir),
    };
    match result {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => ExitCode::from(1),
        Err(e) => {
            if is_broken_pipe(&e) {
                return ExitCode::SUCCESS;
            }
            eprintln!("sandtrap: {e:#}");
            ExitCode::from(1)
        }
    }
}

fn is_broken_pipe(e: &anyhow::Error) -> bool {
    e.chain().any(|c| {
        c.downcast_ref::<std::io::Error>()
            .is_some_and(|io| io.kind() == std::io::ErrorKind::BrokenPipe)
    })
}
