// Test helper: encodes events into the flat batch of contract 0.2, like
// guest-sdk/wire/src/write.rs, so the unit tests can hand the SDK the bytes
// the host would. Test-only: detectors never encode events.
import { ARG_LEN, AT, HEADER_LEN, KINDS } from "../wire.js";

const encoder = new TextEncoder();
// Strings are encoded as UTF-8; a Uint8Array is taken as the bytes
// themselves, so tests can hand the SDK strings that are not UTF-8.
const utf8 = { encode: (s) => (s instanceof Uint8Array ? s : encoder.encode(s)) };

/**
 * One event: `{ seq, timestamp, name, process: { entityId, …, containerId },
 * args: [[name, kind, value]] }`, kind one of KINDS; integers as Number or
 * BigInt; any string may be a Uint8Array of raw bytes instead. Missing
 * fields are zero or empty.
 */
export function encodeEvent(ev = {}) {
  const p = ev.process ?? {};
  const args = ev.args ?? [];
  const head = new Uint8Array(HEADER_LEN + ARG_LEN * args.length);
  const data = [];
  let size = head.length;
  const dv = new DataView(head.buffer);
  const u64 = (at, v) => dv.setBigUint64(at, BigInt.asUintN(64, BigInt(v ?? 0)), true);
  const u32 = (at, v) => dv.setUint32(at, v ?? 0, true);
  // Appends bytes to the data area and points the (offset, length) at `at` to them.
  const put = (at, bytes, count = bytes.length) => {
    if (bytes.length === 0 && count === 0) return;
    u32(at, size);
    u32(at + 4, count);
    data.push(bytes);
    size += bytes.length;
  };
  u64(AT.SEQ, ev.seq);
  u64(AT.TIMESTAMP, ev.timestamp);
  u64(AT.ENTITY_ID, p.entityId);
  u64(AT.PARENT_ENTITY_ID, p.parentEntityId);
  u64(AT.START_TICKS, p.startTicks);
  u64(AT.CGROUP_ID, p.cgroupId);
  u32(AT.PID, p.pid);
  u32(AT.TID, p.tid);
  u32(AT.PPID, p.ppid);
  u32(AT.UID, p.uid);
  u32(AT.GID, p.gid);
  put(AT.NAME, utf8.encode(ev.name ?? ""));
  put(AT.COMM, utf8.encode(p.comm ?? ""));
  put(AT.EXE, utf8.encode(p.exe ?? ""));
  put(AT.CONTAINER_ID, utf8.encode(p.containerId ?? ""));
  u32(AT.ARG_COUNT, args.length);
  args.forEach(([name, kind, value], i) => {
    const entry = HEADER_LEN + i * ARG_LEN;
    put(entry, utf8.encode(name));
    const k = KINDS.indexOf(kind);
    if (k < 0) throw new Error(`unknown kind ${kind}`);
    head[entry + 8] = k;
    const payload = entry + 16;
    switch (kind) {
      case "str":
        put(payload, utf8.encode(value));
        break;
      case "int":
      case "uint":
        u64(payload, value);
        break;
      case "boolean":
        u64(payload, value ? 1 : 0);
        break;
      case "bytes":
        put(payload, Uint8Array.from(value));
        break;
      case "str-list": {
        // The table goes in the data area first, then the strings it points to.
        const table = new Uint8Array(8 * value.length);
        const tableAt = size;
        u32(payload, tableAt);
        u32(payload + 4, value.length);
        data.push(table);
        size += table.length;
        const tdv = new DataView(table.buffer);
        for (const [j, s] of value.entries()) {
          const b = utf8.encode(s);
          if (b.length === 0) continue;
          tdv.setUint32(8 * j, size, true);
          tdv.setUint32(8 * j + 4, b.length, true);
          data.push(b);
          size += b.length;
        }
        break;
      }
    }
  });
  const out = new Uint8Array(size);
  out.set(head, 0);
  let at = head.length;
  for (const d of data) {
    out.set(d, at);
    at += d.length;
  }
  return out;
}

/** A batch of events, each an encoded Uint8Array or an object for encodeEvent. */
export function encodeBatch(events) {
  const encoded = events.map((e) => (e instanceof Uint8Array ? e : encodeEvent(e)));
  const table = 4 + 4 * encoded.length;
  const out = new Uint8Array(table + encoded.reduce((n, e) => n + e.length, 0));
  const dv = new DataView(out.buffer);
  dv.setUint32(0, encoded.length, true);
  let at = table;
  encoded.forEach((e, i) => {
    dv.setUint32(4 + 4 * i, at, true);
    out.set(e, at);
    at += e.length;
  });
  return out;
}
