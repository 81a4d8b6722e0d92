//! A detector that misbehaves on purpose. Config key `mode`:
//! `ok` (one detection per event), `init-fail`, `trap`, `loop`, `grow`,
//! `recurse`, `log-flood`, `store-flood`, `flood-findings`, `ambient`,
//! `stale-handle`, `forged-writer`, `bad-report` (a malformed output),
//! `huge-report` (5 MiB of output), `report-in-init` (reports outside
//! `on-events`), or `boom-arg` (traps only on events with the argument
//! `boom`); `register` names an ip-reputation
//! store to register at init. Used by the end-to-end tests to show
//! the host survives each.

use std::hint::black_box;

use sandtrap_sdk::bindings::sandtrap::detector::host;
use sandtrap_sdk::prelude::*;

struct Misbehave {
    mode: String,
    hoard: Vec<Vec<u8>>,
}

#[inline(never)]
fn recurse(n: u64) -> u64 {
    let buf = black_box([n; 64]);
    if n == u64::MAX {
        0
    } else {
        recurse(n + 1) + buf[7]
    }
}

impl Detector for Misbehave {
    fn describe() -> Description {
        describe("misbehave", "Misbehaving detector", "0.1.0")
            .description("Fails in the way its configuration asks.")
            .selector(select("*"))
            .finding(finding("misbehave_saw_event", Severity::Info).fields(&["event"]))
            .build()
    }

    fn init(config: &Config) -> Result<Self, String> {
        let mode = config.get("mode").unwrap_or("ok").to_owned();
        if mode == "init-fail" {
            return Err("refusing to start: mode is init-fail".into());
        }
        if mode == "report-in-init" {
            // An empty, well-formed output, but outside on-events.
            host::report(&[0, 0, 0, 0]);
        }
        if let Some(name) = config.get("register") {
            use sandtrap_sdk::stores::ip_reputation::{ConflictPolicy, register};
            register(name, ConflictPolicy::LastWriteWins, &[])
                .map_err(|e| format!("register {name}: {e:?}"))?;
        }
        Ok(Misbehave {
            mode,
            hoard: Vec::new(),
        })
    }

    fn on_event(&mut self, ev: &Event) -> Result<Vec<Detection>, String> {
        match self.mode.as_str() {
            "trap" => panic!("trapping on purpose"),
            "boom-arg" if ev.arg("boom").is_some() => panic!("boom"),
            "loop" => loop {
                black_box(&self.hoard);
            },
            "grow" => loop {
                self.hoard.push(vec![1u8; 1 << 20]);
            },
            "recurse" => {
                black_box(recurse(0));
            }
            "log-flood" => {
                for i in 0..10_000 {
                    log::info(&format!("flood {i}"));
                }
            }
            "store-flood" => loop {
                let _ = stores::get_process(black_box(42));
            },
            "error" => return Err(format!("cannot handle {}", ev.name())),
            // A record list announcing one record with no offset table.
            "bad-report" => host::report(&[1, 0, 0, 0]),
            "huge-report" => host::report(&vec![0u8; 5 << 20]),
            // Holds the call until the process named by `gate` exists, so
            // a test decides when a slow call ends.
            "gate" => {
                if let Some(id) = ev.arg_u64("gate") {
                    while stores::get_process(black_box(id)).is_err() {}
                }
            }
            "flood-findings" => {
                return Ok((0..1000)
                    .map(|i| Detection::new().field("n", i as u64))
                    .collect());
            }
            "ambient" => {
                // Everything a sandbox must deny: files, sockets, env, args.
                let fs = std::fs::read("/etc/hostname")
                    .map(|b| b.len().to_string())
                    .unwrap_or_else(|e| e.to_string());
                let net = std::net::TcpStream::connect("127.0.0.1:22")
                    .map(|_| "connected".to_owned())
                    .unwrap_or_else(|e| e.to_string());
                let env = std::env::vars().count() as u64;
                let args = std::env::args().count() as u64;
                return Ok(vec![
                    Detection::new()
                        .field("fs", fs)
                        .field("net", net)
                        .field("env", env)
                        .field("args", args),
                ]);
            }
            "stale-handle" | "forged-writer" => {
                use sandtrap_sdk::stores::ip_reputation::{Reader, Writer, open};
                let reader = open("ip-reputation").map_err(|e| format!("{e:?}"))?;
                let handle = reader.handle();
                if self.mode == "stale-handle" {
                    drop(reader);
                    // The handle is dead: the host must trap, not crash.
                    #[allow(unsafe_code, reason = "a hostile detector on purpose")]
                    let ghost = unsafe { Reader::from_handle(handle) };
                    let _ = ghost.get("192.0.2.1");
                } else {
                    // A reader's handle dressed up as the owner's writer.
                    #[allow(unsafe_code, reason = "a hostile detector on purpose")]
                    let fake = unsafe { Writer::from_handle(handle) };
                    let _ = fake.clear("config");
                }
            }
            _ => {}
        }
        Ok(vec![Detection::new().field("event", ev.name())])
    }
}

export_detector!(Misbehave);
