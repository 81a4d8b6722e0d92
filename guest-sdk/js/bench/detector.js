// The read micro-benchmark of the JavaScript SDK (bench/run.sh): measures,
// inside the engine a detector really gets, what one read of each kind of
// event field costs, and reports the figures as a finding on the trace's
// last event (`bench_report`).
//
// Each sample times K reads of one field, each on a fresh Event (so a read
// is the event's first read of that field), and subtracts the same loop
// reading nothing. A second read right after the first (a detector that
// tests a field, then reports it) is timed as both reads minus the first. Every kind is sampled on every event, interleaved, so a
// busy machine slows every kind alike; trimmed means (10–90th percentile of
// the samples) keep preemptions out of the figures.
import { exportDetector, select, detection, readBatch, now } from "sandtrap";

// Reads per sample: enough to lift a sample well above the clock's
// resolution (QuickJS carries the host clock as a double: 256 ns steps).
const K = 8;

// The fields a bench event carries (bench/gen-trace.mjs writes them in
// this order: sockfd, type, family, remote_addr, remote_port, argv, label).
const KINDS = {
  "u32 (ev.pid)": (e) => e.pid,
  "u64 Number (ev.seq)": (e) => e.seq,
  "u64 BigInt (ev.entityId)": (e) => e.entityId,
  "str ev.comm": (e) => e.comm,
  "str ev.name": (e) => e.name,
  "str ev.exe": (e) => e.exe,
  "str arg ev.str('remote_addr'), 4th of 7": (e) => e.str("remote_addr"),
  "int arg ev.int('remote_port'), 5th of 7": (e) => e.int("remote_port"),
  "absent arg ev.str('missing')": (e) => e.str("missing"),
  "non-ASCII str arg ev.str('label'), 7th": (e) => e.str("label"),
  "list arg ev.list('argv'), 3 items": (e) => e.list("argv"),
  "five fields (name, comm, pid, remote_addr, remote_port)": (e) =>
    e.name.length + e.comm.length + e.pid + (e.str("remote_addr")?.length ?? 0) + (e.int("remote_port") ?? 0),
};
// Kinds whose second read is measured too: name of the kind → its first read.
const AGAIN = {
  "str ev.comm, second read": "str ev.comm",
  "str arg ev.str('remote_addr'), second read": "str arg ev.str('remote_addr'), 4th of 7",
};

const samples = {};
for (const k of ["none", "frame (batch of K, per event)", ...Object.keys(KINDS), ...Object.keys(AGAIN)]) samples[k] = [];

function clock() {
  const t = now();
  return typeof t === "bigint" ? Number(t % 1000000000000n) : t;
}

// A batch of K copies of one event (docs/wire-encoding.md), so that
// readBatch gives K fresh Events over it.
function batchOf(encoded) {
  const head = 4 + 4 * K;
  const b = new Uint8Array(head + K * encoded.length);
  const dv = new DataView(b.buffer);
  dv.setUint32(0, K, true);
  for (let i = 0; i < K; i++) {
    dv.setUint32(4 + 4 * i, head + i * encoded.length, true);
    b.set(encoded, head + i * encoded.length);
  }
  return b;
}

let sink = 0;
function time(evs, f) {
  const t0 = clock();
  for (let i = 0; i < K; i++) if (f(evs[i]) === sink) sink++;
  return clock() - t0;
}
function timeTwice(evs, f) {
  const t0 = clock();
  for (let i = 0; i < K; i++) if (f(evs[i]) === sink || f(evs[i]) === sink) sink++;
  return clock() - t0;
}

function sample(ev) {
  const batch = batchOf(ev.encoded);
  samples.none.push(time(readBatch(batch), (e) => e));
  const t0 = clock();
  const evs = readBatch(batch);
  samples["frame (batch of K, per event)"].push(clock() - t0);
  if (evs.length !== K) throw new Error("bench batch did not frame");
  for (const k in KINDS) samples[k].push(time(readBatch(batch), KINDS[k]));
  for (const k in AGAIN) samples[k].push(timeTwice(readBatch(batch), KINDS[AGAIN[k]]));
}

function trimmedMean(xs) {
  const s = xs.slice().sort((a, b) => a - b);
  const lo = Math.floor(s.length * 0.1);
  const hi = Math.max(lo + 1, Math.ceil(s.length * 0.9));
  let sum = 0;
  for (let i = lo; i < hi; i++) sum += s[i];
  return sum / (hi - lo);
}

function report() {
  const none = trimmedMean(samples.none);
  const out = { samples: samples.none.length, reads_per_sample: K, empty_loop_ns: Math.round(none / K) };
  for (const k in samples) {
    if (k === "none" || samples[k].length === 0) continue;
    // The frame sample has no loop to subtract: it is K events' framing.
    let t = trimmedMean(samples[k]) - none;
    if (k.startsWith("frame")) t += none;
    else if (k in AGAIN) t -= trimmedMean(samples[AGAIN[k]]) - none;
    out[k] = Math.round(t / K);
  }
  return out;
}

export const guest = exportDetector({
  describe: {
    id: "js-read-bench",
    name: "JavaScript SDK read benchmark",
    version: "1",
    description: "Times event field reads inside the engine; not a detector.",
    selectors: [select("*")],
    finding: { name: "bench", severity: "info" },
  },
  onEvent(ev) {
    if (ev.name === "bench_report") return detection({ figures: JSON.stringify(report()) });
    sample(ev);
    return null;
  },
});
