//! A detector that misbehaves on purpose. Config key `mode`:
//! `ok` (one detection per event), `init-fail`, `trap`, `loop`, `grow`,
//! `recurse`, `log-flood`, `store-flood`, or `boom-arg` (traps only on
//! events with the argument `boom`); `register` names an ip-reputation
//! store to register at init. Used by the end-to-end tests to show
//! the host survives each.

use std::hint::black_box;

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
            "error" => return Err(format!("cannot handle {}", ev.name)),
            _ => {}
        }
        Ok(vec![Detection::new().field("event", ev.name.as_str())])
    }
}

export_detector!(Misbehave);
