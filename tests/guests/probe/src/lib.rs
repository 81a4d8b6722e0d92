//! The benchmarks' probe: on each event it makes `n` store calls of the
//! kind `op` names and returns `detections` detections, so the cost of a
//! store call from wasm is (time with calls − time without) / n.
//!
//! `op`: `none`, `get-process`, `ancestry5` (get-ancestry, depth 5),
//! `dns` (get-dns-response of a domain), `resolve64` (resolve-symbols-batch
//! of the 64 hex addresses in the `addresses` configuration key).

use std::hint::black_box;

use sandtrap_sdk::prelude::*;

/// The store call to make, decided once in `init` so that the per-event
/// cost the boundary figures measure is not a string comparison.
#[derive(Clone, Copy)]
enum Op {
    None,
    GetProcess,
    Ancestry5,
    Dns,
    Resolve64,
}

impl Op {
    fn parse(s: &str) -> Result<Op, String> {
        Ok(match s {
            "none" => Op::None,
            "get-process" => Op::GetProcess,
            "ancestry5" => Op::Ancestry5,
            "dns" => Op::Dns,
            "resolve64" => Op::Resolve64,
            other => return Err(format!("op: unknown op {other:?}")),
        })
    }
}

struct Probe {
    op: Op,
    n: u32,
    detections: u32,
    addresses: Vec<u64>,
}

impl Probe {
    // Each answer is read the way a detector typically reads it (a name or
    // two per record), so the figure is not the cost of an answer nobody
    // looks at. Out of line: inlined into the SDK's loop over a batch, the
    // four calls' code made the compiled loop keep its values on the
    // stack, and the boundary figures measured that instead.
    #[inline(never)]
    fn call(&self, entity: u64) {
        match self.op {
            Op::None => {}
            Op::GetProcess => {
                let p = stores::get_process(entity).ok();
                black_box(p.as_ref().map(|p| p.exe().len()));
            }
            Op::Ancestry5 => {
                let chain = stores::get_ancestry(entity, 5).unwrap_or_default();
                black_box(chain.iter().map(|p| p.name().len()).sum::<usize>());
            }
            Op::Dns => {
                let r = stores::get_dns_response("www.example.com").ok();
                black_box(
                    r.as_ref()
                        .map(|r| r.ips().iter().map(str::len).sum::<usize>()),
                );
            }
            Op::Resolve64 => {
                let syms = stores::resolve_symbols_batch(&self.addresses).unwrap_or_default();
                black_box(syms.iter().map(|s| s.name().len()).sum::<usize>());
            }
        }
    }
}

impl Detector for Probe {
    fn describe() -> Description {
        describe("probe", "Benchmark probe", "0.1.0")
            .description("Makes a configured number of store calls per event.")
            .selector(select("*"))
            .finding(finding("probe", Severity::Info).fields(&["n"]))
            .build()
    }

    fn init(config: &Config) -> Result<Self, String> {
        let num = |key: &str, default: u32| -> Result<u32, String> {
            config.get(key).map_or(Ok(default), |v| {
                v.parse().map_err(|e| format!("{key}: {e}"))
            })
        };
        let addresses = config
            .get("addresses")
            .unwrap_or("")
            .split(',')
            .filter(|s| !s.is_empty())
            .map(|s| u64::from_str_radix(s.trim().trim_start_matches("0x"), 16))
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| format!("addresses: {e}"))?;
        Ok(Probe {
            op: Op::parse(config.get("op").unwrap_or("none"))?,
            n: num("n", 1)?,
            detections: num("detections", 0)?,
            addresses,
        })
    }

    fn on_event(&mut self, ev: &Event) -> Result<Vec<Detection>, String> {
        let entity = ev.process().entity_id();
        if let Op::None = self.op {
            black_box(entity);
        } else {
            for _ in 0..self.n {
                self.call(entity);
            }
        }
        if self.detections == 0 {
            return Ok(Vec::new());
        }
        Ok((0..self.detections)
            .map(|_| Detection::new().field("n", u64::from(self.n)))
            .collect())
    }
}

export_detector!(Probe);
