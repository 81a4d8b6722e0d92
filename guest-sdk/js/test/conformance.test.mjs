// Conformance of the SDK's batch reader with the reference encoding: decodes
// guest-sdk/wire/testdata/batch.bin through the public Event API and
// compares every field with batch.json, checks that the tests' encoder
// (encode.mjs) reproduces it byte for byte, then feeds it truncated and
// corrupted copies, which must decode without throwing. Also checks the
// SDK's UTF-8 decoding (its ASCII fast paths, and the escape() /
// decodeURIComponent stand-in QuickJS uses for the rest) against node's
// TextDecoder.
import test from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { Event, detection, exportDetector, readBatch, select } from "../sandtrap.js";
import { decodePortable, decodeUtf8 } from "../wire.js";
import { encodeBatch } from "./encode.mjs";
import { onEvents } from "./mock-host.mjs";

const root = join(dirname(fileURLToPath(import.meta.url)), "..", "..", "..");
const testdata = join(root, "guest-sdk", "wire", "testdata");
const batchBin = new Uint8Array(readFileSync(join(testdata, "batch.bin")));
const expected = JSON.parse(readFileSync(join(testdata, "batch.json"), "utf8"));

// batch.json writes 64-bit integers as decimal strings and bytes as hex;
// the SDK gives integers as Number up to 2^53 and BigInt beyond.
const exact = (v) => String(BigInt(v));
const hex = (b) => Array.from(b, (x) => x.toString(16).padStart(2, "0")).join("");
const JSON_KIND = { str: "str", int: "int", uint: "uint", boolean: "bool", bytes: "bytes", "str-list": "str-list" };

function asJson(kind, value) {
  switch (kind) {
    case "int":
    case "uint":
      return exact(value);
    case "bytes":
      return hex(value);
    default:
      return value;
  }
}

test("batch.bin decodes to batch.json through the Event API", () => {
  const events = readBatch(batchBin);
  assert.equal(events.length, expected.length);
  events.forEach((ev, i) => {
    const want = expected[i];
    const at = `event ${i}`;
    assert.ok(ev instanceof Event, at);
    assert.equal(ev.name, want.name, `${at} name`);
    assert.equal(exact(ev.seq), want.seq, `${at} seq`);
    assert.equal(exact(ev.timestamp), want.timestamp, `${at} timestamp`);

    const p = ev.process;
    const wp = want.process;
    assert.equal(exact(p.entityId), wp.entity_id, `${at} entity_id`);
    assert.equal(exact(p.parentEntityId), wp.parent_entity_id, `${at} parent_entity_id`);
    assert.equal(exact(p.startTicks), wp.start_ticks, `${at} start_ticks`);
    assert.equal(exact(p.cgroupId), wp.cgroup_id, `${at} cgroup_id`);
    for (const [js, json] of [["pid", "pid"], ["tid", "tid"], ["ppid", "ppid"], ["uid", "uid"], ["gid", "gid"]]) {
      assert.equal(p[js], wp[json], `${at} ${json}`);
    }
    assert.equal(p.comm, wp.comm, `${at} comm`);
    assert.equal(p.exe, wp.exe, `${at} exe`);
    assert.equal(p.containerId, wp.container_id, `${at} container_id`);
    // The shortcuts read the same fields.
    assert.equal(ev.comm, wp.comm);
    assert.equal(ev.pid, wp.pid);
    assert.equal(exact(ev.entityId), wp.entity_id);

    // Every argument in order, duplicates included, with kind and value.
    const args = ev.args();
    assert.deepEqual(
      args.map((a) => ({ name: a.name, kind: JSON_KIND[a.kind], value: asJson(a.kind, a.value) })),
      want.args.map((a) => ({ name: a.name, kind: a.kind, value: a.value })),
      `${at} args`,
    );
    assert.deepEqual(ev.argNames(), want.args.map((a) => a.name));

    // The typed accessors agree with the table for the first of each name.
    const seen = new Set();
    for (const a of want.args) {
      if (seen.has(a.name)) continue;
      seen.add(a.name);
      const what = `${at} arg ${JSON.stringify(a.name)}`;
      assert.equal(ev.has(a.name), true, what);
      assert.equal(JSON_KIND[ev.kind(a.name)], a.kind, what);
      switch (a.kind) {
        case "str":
          assert.equal(ev.str(a.name), a.value, what);
          assert.equal(ev.int(a.name), undefined, what);
          break;
        case "int":
        case "uint": {
          assert.equal(ev.bigint(a.name), BigInt(a.value), what);
          const big = BigInt(a.value);
          const safe = big >= -BigInt(Number.MAX_SAFE_INTEGER) && big <= BigInt(Number.MAX_SAFE_INTEGER);
          assert.equal(ev.int(a.name), safe ? Number(big) : undefined, what);
          assert.equal(exact(ev.arg(a.name)), a.value, what);
          assert.equal(ev.str(a.name), undefined, what);
          break;
        }
        case "bool":
          assert.equal(ev.bool(a.name), a.value, what);
          break;
        case "bytes":
          assert.equal(hex(ev.bytes(a.name)), a.value, what);
          break;
        case "str-list":
          assert.deepEqual(ev.list(a.name), a.value, what);
          break;
        default:
          assert.fail(`${what}: unknown kind in batch.json`);
      }
    }
    assert.equal(ev.has("no such argument"), false);
    assert.equal(ev.arg("no such argument"), undefined);
  });

  // A lookup by a duplicated name answers the first one.
  const first = expected[0].args.find((a) => a.name === "pathname");
  assert.equal(expected[0].args.filter((a) => a.name === "pathname").length, 2, "batch.json has the duplicate");
  assert.equal(events[0].str("pathname"), first.value);
});

test("on-events reports detections and errors by index over batch.bin", () => {
  const guest = exportDetector({
    describe: { id: "c", name: "C", version: "1", selectors: [select("*")], finding: { name: "f" } },
    onEvent(ev) {
      if (ev.name === "x") throw new Error("no arguments");
      return ev.has("remote_addr") ? detection({ addr: ev.str("remote_addr"), port: ev.int("remote_port") }) : null;
    },
  });
  // Event 1's error must not hide the detection of event 2.
  assert.deepEqual(onEvents(guest, batchBin), {
    detections: [
      {
        index: 2,
        detection: {
          fields: [
            { name: "addr", value: { tag: "str", val: "203.0.113.7" } },
            { name: "port", value: { tag: "uint", val: 443 } },
          ],
          severity: null,
        },
      },
    ],
    errors: [{ index: 1, message: "no arguments" }],
  });
});

test("encode.mjs reproduces batch.bin byte for byte", () => {
  // The unit tests' batches are then the host's, field for field.
  const fromHex = (h) => Uint8Array.from(h.match(/../g) ?? [], (x) => parseInt(x, 16));
  const events = expected.map((e) => ({
    seq: BigInt(e.seq),
    timestamp: BigInt(e.timestamp),
    name: e.name,
    process: {
      entityId: BigInt(e.process.entity_id), parentEntityId: BigInt(e.process.parent_entity_id),
      startTicks: BigInt(e.process.start_ticks), cgroupId: BigInt(e.process.cgroup_id),
      pid: e.process.pid, tid: e.process.tid, ppid: e.process.ppid, uid: e.process.uid, gid: e.process.gid,
      comm: e.process.comm, exe: e.process.exe, containerId: e.process.container_id,
    },
    args: e.args.map((a) => {
      switch (a.kind) {
        case "int":
        case "uint":
          return [a.name, a.kind, BigInt(a.value)];
        case "bool":
          return [a.name, "boolean", a.value];
        case "bytes":
          return [a.name, "bytes", fromHex(a.value)];
        default:
          return [a.name, a.kind, a.value];
      }
    }),
  }));
  assert.deepEqual(encodeBatch(events), batchBin);
});

// Every read of a view that must survive malformed bytes.
function touchAll(ev) {
  const seen = [ev.name, ev.seq, ev.timestamp, ev.encoded.length];
  const p = ev.process;
  for (const k of ["entityId", "parentEntityId", "startTicks", "cgroupId", "pid", "tid", "ppid", "uid", "gid", "comm", "exe", "containerId"]) {
    seen.push(p[k]);
  }
  for (const a of ev.args()) seen.push(a.name, a.kind, a.value);
  for (const name of ["pathname", "argv", "flags", "inode", "fileless", "blob", "empty_list", "min", "remote_addr", ""]) {
    seen.push(ev.has(name), ev.kind(name), ev.arg(name), ev.str(name), ev.int(name), ev.bigint(name), ev.bool(name), ev.bytes(name), ev.list(name));
  }
  JSON.stringify(ev, (_, v) => (typeof v === "bigint" ? String(v) : v));
  return seen;
}

test("every prefix of batch.bin decodes without throwing", () => {
  for (let n = 0; n <= batchBin.length; n++) {
    const cut = batchBin.slice(0, n);
    const events = readBatch(cut);
    assert.ok(events.length <= expected.length);
    for (const ev of events) touchAll(ev);
  }
  // A truncated batch: an event whose end (the next one's start) lies past
  // the buffer is empty, like every event of this 40-byte prefix.
  assert.deepEqual(readBatch(batchBin.slice(0, 40)).map((ev) => ev.encoded.length), [0, 0, 0]);
  // The last event runs to the end of the buffer, so a cut one keeps the
  // fields that fit; those that do not read as absent, never as garbage.
  const first = readBatch(batchBin)[0].encoded;
  const framed = new Uint8Array(8 + 40);
  framed.set([1, 0, 0, 0, 8, 0, 0, 0]);
  framed.set(first.subarray(0, 40), 8);
  const short = readBatch(framed)[0];
  assert.equal(short.name, "");
  assert.equal(short.seq, 1);
  assert.equal(short.process.pid, 0);
  assert.deepEqual(short.args(), []);
});

test("corrupted bytes decode without throwing", () => {
  // Deterministic pseudo-random corruption (xorshift), so a failure replays.
  let x = 0x9e3779b9;
  const rand = (n) => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return (x >>> 0) % n;
  };
  const special = [0x00, 0xff, 0x7f, 0x80, 0xc0, 0xed, 0xf4, 0xf5, 0x05, 0x06];
  for (let round = 0; round < 2000; round++) {
    const b = batchBin.slice();
    const flips = 1 + rand(4);
    for (let k = 0; k < flips; k++) b[rand(b.length)] = rand(3) === 0 ? special[rand(special.length)] : rand(256);
    for (const ev of readBatch(b)) touchAll(ev);
  }

  const dv = (b) => new DataView(b.buffer, b.byteOffset, b.byteLength);
  // A huge announced count is cut to the offset table that fits.
  const hugeCount = batchBin.slice();
  dv(hugeCount).setUint32(0, 0xffffffff, true);
  const events = readBatch(hugeCount);
  assert.equal(events.length, Math.floor((batchBin.length - 4) / 4));
  events.forEach(touchAll);

  // Offsets out of order or past the end make that event empty.
  const backwards = batchBin.slice();
  dv(backwards).setUint32(4, 0xfffffff0, true);
  const [empty, second] = readBatch(backwards);
  assert.equal(empty.encoded.length, 0);
  assert.equal(empty.name, "");
  assert.equal(second.name, "x");

  // An unknown kind and a string that is not UTF-8 read as absent.
  const start = dv(batchBin).getUint32(4, true);
  const badKind = batchBin.slice();
  badKind[start + 104 + 8] = 9; // first argument: pathname
  const ev = readBatch(badKind)[0];
  assert.equal(ev.str("pathname"), undefined, "the first pathname is the argument, even when malformed");
  assert.equal(ev.has("pathname"), false);
  assert.equal(ev.args()[0].name, "argv", "a malformed argument is left out of args()");
  assert.equal(ev.args().length, expected[0].args.length - 1);

  const badUtf8 = batchBin.slice();
  const commAt = start + dv(badUtf8).getUint32(start + 76, true);
  badUtf8[commAt] = 0xff;
  assert.equal(readBatch(badUtf8)[0].comm, "");

  // Not a byte buffer at all: an empty batch.
  for (const junk of [undefined, null, 42, "abc", {}, [1, 2, 3]]) assert.deepEqual(readBatch(junk), []);
  assert.equal(readBatch(Array.from(batchBin)).length, expected.length, "an array of byte values is accepted");
  assert.equal(readBatch(batchBin.buffer.slice(batchBin.byteOffset, batchBin.byteOffset + batchBin.byteLength)).length, expected.length);
});

test("UTF-8 decoding agrees with TextDecoder, fast paths and QuickJS stand-in alike", () => {
  const native = new TextDecoder("utf-8", { fatal: true });
  const check = (bytes) => {
    let want;
    try {
      want = native.decode(bytes);
    } catch {
      want = undefined;
    }
    // decodeUtf8 is what every string read goes through: its short ASCII
    // path is the same under every engine, the rest goes to TextDecoder
    // here and to decodePortable (and so decodeEscaped) under QuickJS,
    // which is checked alone.
    assert.equal(decodeUtf8(bytes), want, `bytes ${hex(bytes)}`);
    assert.equal(decodePortable(bytes), want, `bytes ${hex(bytes)} without TextDecoder`);
  };
  const cases = [
    [], [0x61], [0xc3, 0xa9], [0xe2, 0x9c, 0x93], [0xf0, 0x9f, 0x98, 0x80], [0xf4, 0x8f, 0xbf, 0xbf],
    [0xc0, 0x80], [0xc1, 0xbf], [0xe0, 0x80, 0x80], [0xe0, 0x9f, 0xbf], [0xed, 0xa0, 0x80], [0xed, 0x9f, 0xbf],
    [0xf0, 0x80, 0x80, 0x80], [0xf0, 0x8f, 0xbf, 0xbf], [0xf4, 0x90, 0x80, 0x80], [0xf5, 0x80, 0x80, 0x80],
    [0xf8, 0x88, 0x80, 0x80, 0x80], [0xfe], [0xff], [0x80], [0xbf], [0xc3], [0xe2, 0x9c], [0xf0, 0x9f, 0x98],
    [0x61, 0xc3], [0xc3, 0x61], [0xe2, 0x28, 0xa1],
    // A "%" in the input must not combine with what follows into an escape.
    [0x25], [0x25, 0x34, 0x31], [0xc3, 0x25, 0x41, 0x39], [0x25, 0x43, 0x33, 0x25, 0x41, 0x39], [0xe2, 0x25, 0x39, 0x43, 0x93],
    // Characters escape() writes as %uXXXX never come from bytes, but NUL and the ASCII it escapes do.
    [0x00], [0x20, 0x2b, 0x2f, 0x40, 0x7f, 0xc3, 0xa9],
  ];
  for (const c of cases) check(Uint8Array.from(c));
  // Every length through the short-string switch and past it, ASCII with
  // one byte changed at each position.
  for (let n = 0; n <= 40; n++) {
    const ascii = Uint8Array.from({ length: n }, (_, i) => 0x20 + ((i * 7) % 0x5f));
    check(ascii);
    for (let i = 0; i < n; i++) {
      for (const b of [0x00, 0x7f, 0x80, 0xc3, 0xff]) {
        const c = ascii.slice();
        c[i] = b;
        check(c);
      }
    }
  }
  let x = 12345;
  for (let round = 0; round < 20000; round++) {
    const n = round % 24;
    const b = new Uint8Array(n);
    for (let i = 0; i < n; i++) {
      x = (x * 1103515245 + 12345) >>> 0;
      // Bias towards the interesting lead and continuation bytes.
      b[i] = [x >>> 24, 0x80 | ((x >>> 16) & 0x3f), 0xc0 | ((x >>> 8) & 0x3f), 0xe0 | ((x >>> 4) & 0x1f), (x >>> 8) & 0x7f][x % 5];
    }
    check(b);
  }
  // Long strings go through fromCharCode and Math.max in chunks.
  check(new TextEncoder().encode("é".repeat(10000) + "✓".repeat(5000) + "😀".repeat(3000)));
  check(new TextEncoder().encode("a".repeat(20000)));
  check(new TextEncoder().encode("a".repeat(4096) + "é" + "a".repeat(5000)));
  const lateBad = new TextEncoder().encode("a".repeat(9000));
  lateBad[8500] = 0xff;
  check(lateBad);
});
