//! The control socket: `sandtrap ctl` talks to a running host.
//!
//! One request per connection: a command line in, one JSON document out.
//! The socket is created with owner-only permissions (root, for the live
//! host). Components are compiled on the control thread, so `load` never
//! stalls the event path; everything that touches the pipeline is done by
//! the pipeline thread between two events.

use std::io::{BufRead, BufReader, Write};
use std::os::unix::fs::{FileTypeExt, PermissionsExt};
use std::os::unix::net::{UnixListener, UnixStream};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::mpsc::{Receiver, Sender, channel};
use std::time::Duration;

use anyhow::Context;
use sandtrap_runtime::{Applied, DetectorComponent, Dispatcher, Runtime, Settings, Update};
use serde_json::{Value, json};

/// A request for the pipeline thread, with where to send the answer.
pub(crate) struct Request {
    command: Command,
    reply: Sender<Value>,
}

enum Command {
    List,
    Load(PathBuf, Box<Update>),
    Unload(String),
    Enable(String, bool),
    Stats,
    Stores,
}

/// Binds `path` (replacing a stale socket, refusing any other file) and
/// serves it from a thread.
pub(crate) fn serve(path: &Path, rt: Arc<Runtime>) -> anyhow::Result<Receiver<Request>> {
    if let Ok(meta) = std::fs::symlink_metadata(path) {
        anyhow::ensure!(
            meta.file_type().is_socket(),
            "{}: exists and is not a socket",
            path.display()
        );
        std::fs::remove_file(path)
            .with_context(|| format!("{}: cannot remove stale socket", path.display()))?;
    }
    let listener =
        UnixListener::bind(path).with_context(|| format!("{}: cannot bind", path.display()))?;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600))?;
    let (tx, rx) = channel();
    std::thread::Builder::new()
        .name("sandtrap-control".into())
        .spawn(move || {
            for conn in listener.incoming().flatten() {
                if let Err(e) = answer(conn, &rt, &tx) {
                    tracing::debug!("control connection: {e:#}");
                }
            }
        })?;
    Ok(rx)
}

fn answer(conn: UnixStream, rt: &Runtime, tx: &Sender<Request>) -> anyhow::Result<()> {
    conn.set_read_timeout(Some(Duration::from_secs(5)))?;
    let mut line = String::new();
    BufReader::new(conn.try_clone()?)
        .take(64 << 10)
        .read_line(&mut line)?;
    let reply = match parse(line.trim(), rt) {
        Ok(command) => {
            let (reply_tx, reply_rx) = channel();
            tx.send(Request {
                command,
                reply: reply_tx,
            })
            .context("the host is shutting down")?;
            reply_rx
                .recv_timeout(Duration::from_secs(30))
                .unwrap_or_else(|_| json!({"error": "no answer from the pipeline"}))
        }
        Err(e) => json!({ "error": e }),
    };
    let mut conn = conn;
    serde_json::to_writer_pretty(&mut conn, &reply)?;
    conn.write_all(b"\n")?;
    Ok(())
}

use std::io::Read as _;

fn parse(line: &str, rt: &Runtime) -> Result<Command, String> {
    let mut words = line.split_whitespace();
    let verb = words.next().unwrap_or_default();
    let arg = words.next();
    let need = |what: &str| {
        arg.map(str::to_owned)
            .ok_or_else(|| format!("usage: {verb} {what}"))
    };
    Ok(match verb {
        "list" => Command::List,
        "stats" => Command::Stats,
        "stores" => Command::Stores,
        "unload" => Command::Unload(need("ID")?),
        "enable" => Command::Enable(need("ID")?, true),
        "disable" => Command::Enable(need("ID")?, false),
        "load" => {
            let path = PathBuf::from(need("PATH")?);
            let bytes = std::fs::read(&path).map_err(|e| format!("{}: {e}", path.display()))?;
            let origin = path.display().to_string();
            let update = match DetectorComponent::load(rt, &origin, &bytes) {
                Ok(component) => Update::Ready {
                    path: path.clone(),
                    component,
                },
                Err(error) => return Err(error.to_string()),
            };
            Command::Load(path, Box::new(update))
        }
        other => {
            return Err(format!(
                "unknown command {other:?}; try list, load PATH, unload ID, enable ID, disable ID, stats, stores"
            ));
        }
    })
}

/// Handles one request on the pipeline thread.
pub(crate) fn handle(req: Request, d: &mut Dispatcher, settings: Settings<'_>, collector: &Value) {
    let reply = match req.command {
        Command::List => json!(
            d.detectors()
                .iter()
                .map(|x| json!({
                    "id": x.id(),
                    "name": x.component().info().name,
                    "version": x.component().info().version,
                    "origin": x.component().origin(),
                    "enabled": x.enabled(),
                    "quarantined": x.quarantined(),
                }))
                .collect::<Vec<_>>()
        ),
        Command::Load(path, update) => match d.apply(*update, settings) {
            Applied::Loaded { id, replaced } => {
                json!({"loaded": id, "replaced": replaced, "path": path})
            }
            Applied::Refused(e) => json!({"error": e.to_string()}),
            Applied::Ignored => json!({"error": "the detector is disabled by configuration"}),
            Applied::Unloaded { id } => json!({"unloaded": id}),
        },
        Command::Unload(id) => {
            if d.remove(&id) {
                json!({"unloaded": id})
            } else {
                json!({"error": format!("no detector {id:?}")})
            }
        }
        Command::Enable(id, on) => {
            if d.set_enabled(&id, on) {
                json!({"id": id, "enabled": on})
            } else {
                json!({"error": format!("no detector {id:?}")})
            }
        }
        Command::Stats => json!({
            "pipeline": d.stats(),
            "collector": collector,
            "detectors": d.detectors().iter().map(|x| json!({
                "id": x.id(),
                "enabled": x.enabled(),
                "quarantined": x.quarantined(),
                "last_fault": x.last_fault(),
                "stats": x.stats(),
            })).collect::<Vec<_>>(),
        }),
        Command::Stores => {
            let reg = d.runtime().stores().registry();
            json!(
                reg.list()
                    .into_iter()
                    .map(|name| json!({
                        "name": name,
                        "metadata": reg.get_metadata(&name).ok(),
                        "health": reg.get_health(&name).ok(),
                        "metrics": reg.get_metrics(&name).ok(),
                    }))
                    .collect::<Vec<_>>()
            )
        }
    };
    let _ = req.reply.send(reply);
}

/// `sandtrap ctl`: sends one command and prints the answer.
pub(crate) fn client(socket: &Path, words: &[String]) -> anyhow::Result<bool> {
    let mut conn = UnixStream::connect(socket)
        .with_context(|| format!("{}: is `sandtrap run --control` running?", socket.display()))?;
    conn.set_read_timeout(Some(Duration::from_secs(60)))?;
    // Paths are resolved by the host, which may run elsewhere in the tree.
    let mut words = words.to_vec();
    if words.first().map(String::as_str) == Some("load")
        && let Some(p) = words.get_mut(1)
        && let Ok(abs) = std::fs::canonicalize(&*p)
    {
        *p = abs.display().to_string();
    }
    writeln!(conn, "{}", words.join(" "))?;
    let mut reply = String::new();
    conn.read_to_string(&mut reply)?;
    let ok = serde_json::from_str::<Value>(&reply)
        .map(|v| v.get("error").is_none())
        .unwrap_or(false);
    print!("{reply}");
    Ok(ok)
}
