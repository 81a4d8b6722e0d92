// The detector of the engine conformance test (../engines.mjs): reports,
// for every event, everything the SDK decodes from it as one JSON string,
// so the test can compare what QuickJS and StarlingMonkey read with
// guest-sdk/wire/testdata/batch.json. For an event named `answers` it
// reports instead what the SDK decodes from the answers of every store
// call that returns records, in the form of answers.json. Events named
// `output`, `fail` and `quiet` drive what it reports (see `spelledOut`),
// so the test can check the engine's encoding of detections against
// output.bin.
import {
  exportDetector, select, detection, stores, readRecords, DnsRecord,
} from "sandtrap";
// The DNS answer of the test holds two records; the SDK's getDnsResponse
// gives the one a real host sends, so the whole answer is read from the
// import directly.
import { getDnsResponse } from "sandtrap:detector/dns@0.4.0";

const hex = (b) => Array.from(b, (x) => x.toString(16).padStart(2, "0")).join("");
const JSON_KIND = { boolean: "bool" };

// Records in the form of answers.json: 64-bit integers as decimal strings.
const opt = (v, f) => (v === null ? null : f(v));
const RECORD_JSON = {
  process: (r) => ({
    argv: r.argv, container_id: r.containerId, entity_id: String(r.entityId), exe: r.exe,
    exit_time: opt(r.exitTime, String), gid: r.gid, name: r.name, parent_entity_id: String(r.parentEntityId),
    pid: r.pid, ppid: r.ppid, start_time: String(r.startTime), uid: r.uid,
  }),
  container: (r) => ({
    id: r.id, image: r.image, image_digest: r.imageDigest, name: r.name,
    pod: opt(r.pod, (p) => ({ name: p.name, namespace: p.namespace, sandbox: p.sandbox, uid: p.uid })),
    runtime: r.runtime, start_time: String(r.startTime),
  }),
  dns: (r) => ({ domains: r.domains, ips: r.ips, query: r.query }),
  symbol: (r) => ({ address: String(r.address), module: r.module, name: r.name, query: String(r.query) }),
  reputation: (r) => ({
    ip: r.ip, last_updated: String(r.lastUpdated), severity: r.severity, source: r.source, status: r.status,
    tags: r.tags,
  }),
};

function answers() {
  const reader = stores.ipReputation.open("feed");
  return {
    lists: {
      processes: stores.processes.getAncestry(1, 8).map(RECORD_JSON.process),
      containers: stores.containers.listContainers({ runtime: "containerd" }).map(RECORD_JSON.container),
      dns: readRecords(getDnsResponse("www.example.com"), DnsRecord).map(RECORD_JSON.dns),
      symbols: stores.kernelSymbols.resolveSymbolsBatch([1, 2]).map(RECORD_JSON.symbol),
      reputation: reader.getAll("203.0.113.9").map(RECORD_JSON.reputation),
    },
    // The first record, as the calls that name one thing give it.
    singles: {
      processes: RECORD_JSON.process(stores.processes.getProcess(1)),
      containers: RECORD_JSON.container(stores.containers.getContainer("3f2a9c0d1e2f")),
      dns: RECORD_JSON.dns(stores.dns.getDnsResponse("www.example.com")),
      symbols: stores.kernelSymbols.resolveSymbolByAddress(1).map(RECORD_JSON.symbol)[0] ?? null,
      reputation: RECORD_JSON.reputation(reader.get("203.0.113.9")),
    },
  };
}

// The detections an `output` event's arguments spell out: an argument
// named `|` starts a detection, its value the severity ("" for the
// definition's); the arguments after it are its fields, kinds kept.
function spelledOut(ev) {
  const out = [];
  for (const { name, kind, value } of ev.args()) {
    if (name === "|") out.push(detection({}, { severity: value === "" ? undefined : value }));
    else if (out.length > 0) out[out.length - 1].field(name, { tag: kind, val: value });
  }
  return out;
}

export const guest = exportDetector({
  describe: {
    id: "js-engine-conformance",
    name: "JavaScript SDK engine conformance",
    version: "1",
    selectors: [select("*")],
    finding: { name: "decoded", severity: "info" },
  },
  onEvent(ev) {
    switch (ev.name) {
      case "answers":
        return detection({ answers: JSON.stringify(answers()) });
      case "output":
        return spelledOut(ev);
      case "fail":
        throw new Error(ev.str("message"));
      case "quiet":
        return null;
    }
    const p = ev.process;
    const decoded = {
      name: ev.name,
      seq: String(ev.seq),
      timestamp: String(ev.timestamp),
      process: {
        entity_id: String(p.entityId),
        parent_entity_id: String(p.parentEntityId),
        start_ticks: String(p.startTicks),
        cgroup_id: String(p.cgroupId),
        pid: p.pid,
        tid: p.tid,
        ppid: p.ppid,
        uid: p.uid,
        gid: p.gid,
        comm: p.comm,
        exe: p.exe,
        container_id: p.containerId,
      },
      args: ev.args().map(({ name, kind, value }) => ({
        name,
        kind: JSON_KIND[kind] ?? kind,
        value: kind === "int" || kind === "uint" ? String(value) : kind === "bytes" ? hex(value) : value,
      })),
    };
    // The first of two arguments with one name is the argument.
    const pathname = ev.str("pathname");
    return detection({ decoded: JSON.stringify(decoded), pathname });
  },
});
