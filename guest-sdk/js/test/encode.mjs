// Test helper: encodes events into the flat batch of contract 0.4, and
// store records into record lists, like guest-sdk/wire/src/write.rs, so
// the unit tests and the mock host (mock-host.mjs) can hand the SDK the
// bytes the host would. It writes with the SDK's own Writer (write.js,
// which the SDK's output encoder uses), in the canonical data order of
// docs/wire-encoding.md, so it reproduces the conformance vectors byte for
// byte (conformance.test.mjs and answers.test.mjs check that), which pins
// the Writer's string, string-list and argument writing to the
// reference too. Test-only: detectors never encode events.
import { ARG_LEN, AT, HEADER_LEN, KINDS, REC } from "../wire.js";
import { Writer } from "../write.js";

const STATUSES = ["unknown", "clean", "suspicious", "blacklisted"];

// Strings as UTF-8 (a Uint8Array is taken as the bytes themselves, so
// tests can hand the SDK strings that are not UTF-8); integers as Number,
// BigInt or decimal string, wrapped to 64 bits.
const text = (s) => s ?? "";
const u64 = (v) => BigInt.asUintN(64, BigInt(v ?? 0));

// A writer for one item of `fixed` bytes; `finish()` gives its bytes.
function item(fixed) {
  const w = new Writer(fixed + 64);
  w.begin(fixed);
  return w;
}

/**
 * One event: `{ seq, timestamp, name, process: { entityId, …, containerId },
 * args: [[name, kind, value]] }`, kind one of KINDS; integers as Number or
 * BigInt; any string may be a Uint8Array of raw bytes instead. Missing
 * fields are zero or empty.
 */
export function encodeEvent(ev = {}) {
  const p = ev.process ?? {};
  const args = ev.args ?? [];
  const w = item(HEADER_LEN + ARG_LEN * args.length);
  w.u64(AT.SEQ, u64(ev.seq));
  w.u64(AT.TIMESTAMP, u64(ev.timestamp));
  w.u64(AT.ENTITY_ID, u64(p.entityId));
  w.u64(AT.PARENT_ENTITY_ID, u64(p.parentEntityId));
  w.u64(AT.START_TICKS, u64(p.startTicks));
  w.u64(AT.CGROUP_ID, u64(p.cgroupId));
  w.u32(AT.PID, p.pid ?? 0);
  w.u32(AT.TID, p.tid ?? 0);
  w.u32(AT.PPID, p.ppid ?? 0);
  w.u32(AT.UID, p.uid ?? 0);
  w.u32(AT.GID, p.gid ?? 0);
  w.str(AT.NAME, text(ev.name));
  w.str(AT.COMM, text(p.comm));
  w.str(AT.EXE, text(p.exe));
  w.str(AT.CONTAINER_ID, text(p.containerId));
  w.u32(AT.ARG_COUNT, args.length);
  args.forEach(([name, kind, value], i) => {
    const k = KINDS.indexOf(kind);
    if (k < 0) throw new Error(`unknown kind ${kind}`);
    let v = value;
    if (kind === "int" || kind === "uint") v = u64(value);
    else if (kind === "bytes") v = Uint8Array.from(value);
    else if (kind === "str-list") v = value.map(text);
    w.arg(HEADER_LEN + i * ARG_LEN, text(name), k, v);
  });
  return w.finish();
}

// Items (encoded events or records) framed as a batch or a record list.
function framed(items) {
  const table = 4 + 4 * items.length;
  const out = new Uint8Array(table + items.reduce((n, e) => n + e.length, 0));
  const dv = new DataView(out.buffer);
  dv.setUint32(0, items.length, true);
  let at = table;
  items.forEach((e, i) => {
    dv.setUint32(4 + 4 * i, at, true);
    out.set(e, at);
    at += e.length;
  });
  return out;
}

/** A batch of events, each an encoded Uint8Array or an object for encodeEvent. */
export function encodeBatch(events) {
  return framed(events.map((e) => (e instanceof Uint8Array ? e : encodeEvent(e))));
}

// One record of each kind, from an object with the fields of the SDK's
// view of that kind (ProcessRecord, …), in camelCase. Missing fields are
// zero or empty; an absent `exitTime` or `pod` is null or undefined.
const RECORD_ENCODERS = {
  process(r) {
    const at = REC.process;
    const w = item(at.LEN);
    w.u64(at.ENTITY_ID, u64(r.entityId));
    w.u64(at.PARENT_ENTITY_ID, u64(r.parentEntityId));
    w.u64(at.START_TIME, u64(r.startTime));
    w.u64(at.EXIT_TIME, u64(r.exitTime));
    w.u32(at.PID, r.pid ?? 0);
    w.u32(at.PPID, r.ppid ?? 0);
    w.u32(at.UID, r.uid ?? 0);
    w.u32(at.GID, r.gid ?? 0);
    w.str(at.NAME, text(r.name));
    w.str(at.EXE, text(r.exe));
    w.str(at.CONTAINER_ID, text(r.containerId));
    w.strList(at.ARGV, (r.argv ?? []).map(text));
    return w.finish();
  },
  container(r) {
    const at = REC.container;
    const w = item(at.LEN);
    w.u64(at.START_TIME, u64(r.startTime));
    w.str(at.ID, text(r.id));
    w.str(at.NAME, text(r.name));
    w.str(at.IMAGE, text(r.image));
    w.str(at.IMAGE_DIGEST, text(r.imageDigest));
    w.str(at.RUNTIME, text(r.runtime));
    const pod = r.pod;
    if (pod !== undefined && pod !== null) {
      w.str(at.POD_NAME, text(pod.name));
      w.str(at.POD_UID, text(pod.uid));
      w.str(at.POD_NAMESPACE, text(pod.namespace));
      w.u8(at.FLAGS, at.HAS_POD | (pod.sandbox ? at.SANDBOX : 0));
    }
    return w.finish();
  },
  dns(r) {
    const at = REC.dns;
    const w = item(at.LEN);
    w.str(at.QUERY, text(r.query));
    w.strList(at.IPS, (r.ips ?? []).map(text));
    w.strList(at.DOMAINS, (r.domains ?? []).map(text));
    return w.finish();
  },
  symbol(r) {
    const at = REC.symbol;
    const w = item(at.LEN);
    w.u64(at.QUERY, u64(r.query));
    w.u64(at.ADDRESS, u64(r.address));
    w.str(at.NAME, text(r.name));
    w.str(at.MODULE, text(r.module));
    return w.finish();
  },
  reputation(r) {
    const at = REC.reputation;
    const w = item(at.LEN);
    w.u64(at.LAST_UPDATED, u64(r.lastUpdated));
    w.str(at.IP, text(r.ip));
    w.str(at.SOURCE, text(r.source));
    w.strList(at.TAGS, (r.tags ?? []).map(text));
    // A number is taken as the raw code, so tests can write unknown ones.
    const status = typeof r.status === "number" ? r.status : STATUSES.indexOf(r.status ?? "unknown");
    if (status < 0) throw new Error(`unknown reputation status ${r.status}`);
    w.u8(at.STATUS, status);
    w.u8(at.SEVERITY, r.severity ?? 0);
    return w.finish();
  },
};

/** The kinds encodeRecords knows: process, container, dns, symbol, reputation. */
export const RECORD_KINDS = Object.freeze(Object.keys(RECORD_ENCODERS));

/** One record of `kind`, alone (not framed). */
export function encodeRecord(kind, record) {
  const encode = RECORD_ENCODERS[kind];
  if (encode === undefined) throw new Error(`unknown record kind ${kind}`);
  return encode(record ?? {});
}

/**
 * A store answer: the record list of `records` of `kind`, each an object
 * for encodeRecord or an already encoded Uint8Array.
 */
export function encodeRecords(kind, records) {
  return framed(records.map((r) => (r instanceof Uint8Array ? r : encodeRecord(kind, r))));
}
