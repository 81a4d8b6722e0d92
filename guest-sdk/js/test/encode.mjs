// Test helper: encodes events into the flat batch of contract 0.3, and
// store records into record lists, like guest-sdk/wire/src/write.rs, so
// the unit tests and the mock host (mock-host.mjs) can hand the SDK the
// bytes the host would. It writes every record's data in the canonical
// order of docs/wire-encoding.md, so it reproduces the conformance vectors
// byte for byte (answers.test.mjs checks that). Test-only: detectors never
// encode.
import { ARG_LEN, AT, HEADER_LEN, KINDS, REC } from "../wire.js";

const encoder = new TextEncoder();
// Strings are encoded as UTF-8; a Uint8Array is taken as the bytes
// themselves, so tests can hand the SDK strings that are not UTF-8.
const utf8 = (s) => (s instanceof Uint8Array ? s : encoder.encode(s ?? ""));

const STATUSES = ["unknown", "clean", "suspicious", "blacklisted"];

/**
 * One event or record being written: a zeroed fixed part of `fixed` bytes,
 * then a data area that grows at the end, with offsets counted from the
 * first byte, as in write.rs's Writer.
 */
class Writer {
  constructor(fixed) {
    this.head = new Uint8Array(fixed);
    this.dv = new DataView(this.head.buffer);
    this.data = [];
    this.size = fixed;
  }
  u8(at, v) {
    this.head[at] = v ?? 0;
  }
  u32(at, v) {
    this.dv.setUint32(at, v ?? 0, true);
  }
  // Integers as Number, BigInt or decimal string; wrapped to 64 bits.
  u64(at, v) {
    this.dv.setBigUint64(at, BigInt.asUintN(64, BigInt(v ?? 0)), true);
  }
  // Appends `bytes` to the data area and points the (offset, length) pair
  // at `at` (in the fixed part, or in `table` when given) to them. Empty
  // bytes are written (0, 0).
  bytes(at, bytes, table = this.dv) {
    if (bytes.length === 0) return;
    table.setUint32(at, this.size, true);
    table.setUint32(at + 4, bytes.length, true);
    this.data.push(bytes);
    this.size += bytes.length;
  }
  str(at, s) {
    this.bytes(at, utf8(s));
  }
  // A str-list: its table goes in the data area first, then the strings
  // it points to; an empty list still records where its table would start.
  list(at, strings = []) {
    const table = new Uint8Array(8 * strings.length);
    this.u32(at, this.size);
    this.u32(at + 4, strings.length);
    this.data.push(table);
    this.size += table.length;
    const tdv = new DataView(table.buffer);
    strings.forEach((s, j) => this.bytes(8 * j, utf8(s), tdv));
  }
  finish() {
    const out = new Uint8Array(this.size);
    out.set(this.head, 0);
    let at = this.head.length;
    for (const d of this.data) {
      out.set(d, at);
      at += d.length;
    }
    return out;
  }
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
  const w = new Writer(HEADER_LEN + ARG_LEN * args.length);
  w.u64(AT.SEQ, ev.seq);
  w.u64(AT.TIMESTAMP, ev.timestamp);
  w.u64(AT.ENTITY_ID, p.entityId);
  w.u64(AT.PARENT_ENTITY_ID, p.parentEntityId);
  w.u64(AT.START_TICKS, p.startTicks);
  w.u64(AT.CGROUP_ID, p.cgroupId);
  w.u32(AT.PID, p.pid);
  w.u32(AT.TID, p.tid);
  w.u32(AT.PPID, p.ppid);
  w.u32(AT.UID, p.uid);
  w.u32(AT.GID, p.gid);
  w.str(AT.NAME, ev.name);
  w.str(AT.COMM, p.comm);
  w.str(AT.EXE, p.exe);
  w.str(AT.CONTAINER_ID, p.containerId);
  w.u32(AT.ARG_COUNT, args.length);
  args.forEach(([name, kind, value], i) => {
    const entry = HEADER_LEN + i * ARG_LEN;
    w.str(entry, name);
    const k = KINDS.indexOf(kind);
    if (k < 0) throw new Error(`unknown kind ${kind}`);
    w.u8(entry + 8, k);
    const payload = entry + 16;
    switch (kind) {
      case "str":
        w.str(payload, value);
        break;
      case "int":
      case "uint":
        w.u64(payload, value);
        break;
      case "boolean":
        w.u64(payload, value ? 1 : 0);
        break;
      case "bytes":
        w.bytes(payload, Uint8Array.from(value));
        break;
      case "str-list":
        w.list(payload, value);
        break;
    }
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
    const w = new Writer(at.LEN);
    w.u64(at.ENTITY_ID, r.entityId);
    w.u64(at.PARENT_ENTITY_ID, r.parentEntityId);
    w.u64(at.START_TIME, r.startTime);
    w.u64(at.EXIT_TIME, r.exitTime);
    w.u32(at.PID, r.pid);
    w.u32(at.PPID, r.ppid);
    w.u32(at.UID, r.uid);
    w.u32(at.GID, r.gid);
    w.str(at.NAME, r.name);
    w.str(at.EXE, r.exe);
    w.str(at.CONTAINER_ID, r.containerId);
    w.list(at.ARGV, r.argv);
    return w.finish();
  },
  container(r) {
    const at = REC.container;
    const w = new Writer(at.LEN);
    w.u64(at.START_TIME, r.startTime);
    w.str(at.ID, r.id);
    w.str(at.NAME, r.name);
    w.str(at.IMAGE, r.image);
    w.str(at.IMAGE_DIGEST, r.imageDigest);
    w.str(at.RUNTIME, r.runtime);
    const pod = r.pod;
    if (pod !== undefined && pod !== null) {
      w.str(at.POD_NAME, pod.name);
      w.str(at.POD_UID, pod.uid);
      w.str(at.POD_NAMESPACE, pod.namespace);
      w.u8(at.FLAGS, at.HAS_POD | (pod.sandbox ? at.SANDBOX : 0));
    }
    return w.finish();
  },
  dns(r) {
    const at = REC.dns;
    const w = new Writer(at.LEN);
    w.str(at.QUERY, r.query);
    w.list(at.IPS, r.ips);
    w.list(at.DOMAINS, r.domains);
    return w.finish();
  },
  symbol(r) {
    const at = REC.symbol;
    const w = new Writer(at.LEN);
    w.u64(at.QUERY, r.query);
    w.u64(at.ADDRESS, r.address);
    w.str(at.NAME, r.name);
    w.str(at.MODULE, r.module);
    return w.finish();
  },
  reputation(r) {
    const at = REC.reputation;
    const w = new Writer(at.LEN);
    w.u64(at.LAST_UPDATED, r.lastUpdated);
    w.str(at.IP, r.ip);
    w.str(at.SOURCE, r.source);
    w.list(at.TAGS, r.tags);
    // A number is taken as the raw code, so tests can write unknown ones.
    const status = typeof r.status === "number" ? r.status : STATUSES.indexOf(r.status ?? "unknown");
    if (status < 0) throw new Error(`unknown reputation status ${r.status}`);
    w.u8(at.STATUS, status);
    w.u8(at.SEVERITY, r.severity);
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
