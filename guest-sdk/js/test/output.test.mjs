// Conformance of what the SDK reports (contract 0.4): the items described
// under `output` in guest-sdk/wire/testdata/answers.json, found by a
// detector through the public detection API and the export's glue, must
// leave in one `report` call as exactly the bytes of output.bin; the
// internal encoder must write the same from the items alone; and the
// reader the mock host uses must decode output.bin back to answers.json.
// Then round trips of every value kind, the batches that report nothing,
// results that go bad halfway, and the host's 4 MiB limit, every report
// checked as strictly as the host reads it (mock-host.mjs checkOutput).
import test from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { SEVERITIES, detection, exportDetector, readOutput, select } from "../sandtrap.js";
import { MAX_REPORT_BYTES, OutputBuilder, Writer, utf8Into } from "../write.js";
import { encodeBatch } from "./encode.mjs";
import { checkOutput, lastReports, onEvents } from "./mock-host.mjs";

const root = join(dirname(fileURLToPath(import.meta.url)), "..", "..", "..");
const testdata = join(root, "guest-sdk", "wire", "testdata");
const answers = JSON.parse(readFileSync(join(testdata, "answers.json"), "utf8"));
const outputBin = new Uint8Array(readFileSync(join(testdata, answers.output.file)));
const vector = answers.output.records;

// answers.json writes fields as batch.json writes arguments: kind `bool`
// for the SDK's `boolean`, integers as decimal strings, bytes as hex.
const fromHex = (h) => Uint8Array.from(h.match(/../g) ?? [], (x) => parseInt(x, 16));
const hex = (b) => Array.from(b, (x) => x.toString(16).padStart(2, "0")).join("");
const TAG = { bool: "boolean" };
const JSON_KIND = { boolean: "bool" };

function valueFromJson({ kind, value }) {
  switch (kind) {
    case "int":
    case "uint":
      return { tag: kind, val: BigInt(value) };
    case "bytes":
      return { tag: "bytes", val: fromHex(value) };
    default:
      return { tag: TAG[kind] ?? kind, val: value };
  }
}

function fieldToJson({ name, value: { tag, val } }) {
  const kind = JSON_KIND[tag] ?? tag;
  const value = tag === "int" || tag === "uint" ? String(val) : tag === "bytes" ? hex(val) : val;
  return { kind, name, value };
}

// A vector record's detection through the public API: tagged values keep
// the vector's kinds (a non-negative int stays an int).
function detectionOf(r) {
  const d = detection({}, { severity: r.severity === 0 ? undefined : SEVERITIES[r.severity - 1] });
  for (const f of r.fields) d.field(f.name, valueFromJson(f));
  return d;
}

// A detector that finds, for event i of a batch, what the vector says
// about index i: its detections, or its error (thrown, as a detector
// meets one).
function vectorDetector() {
  return exportDetector({
    describe: { id: "output-vector", name: "Output vector", version: "1", selectors: [select("*")], finding: { name: "f" } },
    onEvent(ev) {
      const i = ev.int("i");
      const mine = vector.filter((r) => r.index === i);
      const error = mine.find((r) => r.kind === "error");
      if (error) throw new Error(error.message);
      return mine.map(detectionOf);
    },
  });
}

const eventsFor = (n) => encodeBatch(Array.from({ length: n }, (_, i) => ({ name: "x", args: [["i", "uint", i]] })));
const batchOfVector = () => eventsFor(Math.max(...vector.map((r) => r.index)) + 1);

test("answers.json describes output.bin with every value kind, both record kinds and every severity form", () => {
  const kinds = new Set(vector.flatMap((r) => (r.kind === "detection" ? r.fields.map((f) => f.kind) : [])));
  assert.deepEqual([...kinds].sort(), ["bool", "bytes", "int", "str", "str-list", "uint"]);
  assert.ok(vector.some((r) => r.kind === "error"));
  assert.ok(vector.some((r) => r.kind === "detection" && r.severity === 0));
  assert.ok(vector.some((r) => r.kind === "detection" && r.severity !== 0));
});

test("the export reports output.bin byte for byte, in one report call", () => {
  const guest = vectorDetector();
  onEvents(guest, batchOfVector());
  assert.equal(lastReports.length, 1);
  assert.deepEqual(lastReports[0], outputBin);
  // And again: the encoder's buffer is reused from call to call.
  onEvents(guest, batchOfVector());
  assert.deepEqual(lastReports[0], outputBin);
});

test("the output encoder writes output.bin byte for byte from the items", () => {
  const out = new OutputBuilder();
  for (const r of vector) {
    out.beginEvent();
    if (r.kind === "error") out.error(r.index, r.message);
    else {
      const d = detectionOf(r);
      out.detection(r.index, d.fields, d.severity);
    }
  }
  assert.deepEqual(out.finish(), outputBin);
  out.reset();
  assert.equal(out.finish(), null, "an output with nothing in it is no report");
});

test("output.bin decodes to answers.json and passes the host's checks", () => {
  checkOutput(outputBin);
  const { detections, errors } = readOutput(outputBin);
  assert.deepEqual(
    detections.map(({ index, detection: d }) => ({
      index,
      kind: "detection",
      severity: d.severity === null ? 0 : SEVERITIES.indexOf(d.severity) + 1,
      fields: d.fields.map(fieldToJson),
    })),
    vector.filter((r) => r.kind === "detection").map((r) => ({ ...r, fields: r.fields.map((f) => ({ kind: f.kind, name: f.name, value: f.value })) })),
  );
  assert.deepEqual(errors, vector.filter((r) => r.kind === "error").map(({ index, message }) => ({ index, message })));
});

test("every value kind survives the round trip through the glue", () => {
  const raw = new Uint8Array([0, 1, 0x7f, 0x80, 0xff]);
  const guest = exportDetector({
    describe: { id: "rt", name: "RT", version: "1", selectors: [select("*")], finding: { name: "f", fields: [] } },
    onEvent(ev) {
      switch (ev.int("i")) {
        case 0:
          return detection(
            {
              s: "203.0.113.9",
              empty: "",
              unicode: "é✓😀 — \u0000",
              long: "x".repeat(70000),
              zero: 0,
              port: 443,
              neg: -7,
              min: -(2n ** 63n),
              max: 2n ** 64n - 1n,
              beyond53: 2n ** 53n + 1n,
              yes: true,
              no: false,
              raw,
              noBytes: new Uint8Array(0),
              view: new DataView(raw.buffer, 1, 2),
              argv: ["sh", "-c", "", "é"],
              none: [],
              skipped: undefined,
            },
            { severity: "critical" },
          ).field("explicitInt", { tag: "int", val: 5 });
        case 1:
          throw new Error("store timed out ✗");
        case 2:
          return [detection({ a: "first" }), detection({ a: "second" }, { severity: "info" })];
        default:
          return null;
      }
    },
  });
  const got = onEvents(guest, eventsFor(4));
  assert.equal(lastReports.length, 1);
  assert.deepEqual(got.errors, [{ index: 1, message: "store timed out ✗" }]);
  assert.deepEqual(got.detections.map((d) => [d.index, d.detection.severity]), [[0, "critical"], [2, null], [2, "info"]]);
  assert.deepEqual(got.detections[0].detection.fields, [
    { name: "s", value: { tag: "str", val: "203.0.113.9" } },
    { name: "empty", value: { tag: "str", val: "" } },
    { name: "unicode", value: { tag: "str", val: "é✓😀 — \u0000" } },
    { name: "long", value: { tag: "str", val: "x".repeat(70000) } },
    { name: "zero", value: { tag: "uint", val: 0 } },
    { name: "port", value: { tag: "uint", val: 443 } },
    { name: "neg", value: { tag: "int", val: -7 } },
    { name: "min", value: { tag: "int", val: -(2n ** 63n) } },
    { name: "max", value: { tag: "uint", val: 2n ** 64n - 1n } },
    { name: "beyond53", value: { tag: "uint", val: 2n ** 53n + 1n } },
    { name: "yes", value: { tag: "boolean", val: true } },
    { name: "no", value: { tag: "boolean", val: false } },
    { name: "raw", value: { tag: "bytes", val: raw } },
    { name: "noBytes", value: { tag: "bytes", val: new Uint8Array(0) } },
    { name: "view", value: { tag: "bytes", val: new Uint8Array([1, 0x7f]) } },
    { name: "argv", value: { tag: "str-list", val: ["sh", "-c", "", "é"] } },
    { name: "none", value: { tag: "str-list", val: [] } },
    { name: "explicitInt", value: { tag: "int", val: 5 } },
  ]);
  assert.deepEqual(got.detections.slice(1).map((d) => d.detection.fields), [
    [{ name: "a", value: { tag: "str", val: "first" } }],
    [{ name: "a", value: { tag: "str", val: "second" } }],
  ]);
});

test("a batch that found nothing makes no report call", () => {
  const guest = exportDetector({
    describe: { id: "quiet", name: "Q", version: "1", selectors: [select("*")], finding: { name: "f" } },
    onEvent: (ev) => (ev.int("i") === 1 ? [] : null),
  });
  for (const batch of [eventsFor(3), eventsFor(0), new Uint8Array(0)]) {
    assert.deepEqual(onEvents(guest, batch), { detections: [], errors: [] });
    assert.equal(lastReports.length, 0);
  }
});

test("a result that goes bad halfway becomes that event's error, and nothing of it is reported", () => {
  const guest = exportDetector({
    describe: { id: "bad", name: "B", version: "1", selectors: [select("*")], finding: { name: "f" } },
    onEvent(ev) {
      const i = ev.int("i");
      const ok = detection({ i });
      if (i === 1) {
        // Fields pushed by hand skip detection()'s checks; the encoder
        // makes the same ones before it writes a byte.
        const bad = detection({ i });
        bad.fields.push({ name: "x", value: { tag: "uint", val: 1.5 } });
        return [ok, bad];
      }
      if (i === 2) {
        const bad = detection({ i });
        bad.fields.push({ name: 7, value: { tag: "str", val: "x" } });
        return [ok, bad];
      }
      if (i === 3) return [ok, detection({ i }).field("s", { tag: "str", val: 5 })];
      if (i === 4) return [ok, "not a detection"];
      if (i === 5) {
        const bad = detection({ i });
        bad.severity = "severe";
        return [ok, bad];
      }
      if (i === 6) {
        const bad = detection({ i });
        bad.fields.push({ name: "l", value: { tag: "str-list", val: ["a", 1] } });
        bad.fields.push({ name: "u", value: { tag: "what", val: 1 } });
        return bad;
      }
      return ok;
    },
  });
  const got = onEvents(guest, eventsFor(8));
  assert.deepEqual(got.detections.map((d) => d.index), [0, 7]);
  assert.deepEqual(got.errors.map((e) => e.index), [1, 2, 3, 4, 5, 6]);
  for (const e of got.errors) assert.ok(e.message.length > 0, `event ${e.index}: ${e.message}`);
  assert.match(got.errors[0].message, /field x/);
  assert.match(got.errors[4].message, /severity/);
});

test("the output of one call stays under the host's 4 MiB limit", () => {
  // One detection too large to report, then one that fits: both go (the
  // output keeps to the order of the batch), and one error says so.
  const big = exportDetector({
    describe: { id: "big", name: "Big", version: "1", selectors: [select("*")], finding: { name: "f" } },
    onEvent: (ev) => (ev.int("i") === 1 ? detection({ blob: "a".repeat(5 << 20) }) : detection({ i: ev.int("i") })),
  });
  let got = onEvents(big, eventsFor(3));
  assert.deepEqual(got.detections.map((d) => d.index), [0]);
  assert.equal(got.errors.length, 1);
  assert.equal(got.errors[0].index, 1);
  assert.match(got.errors[0].message, /limit of 4194304 bytes.*2 detections and errors/);

  // Many small detections: as many as fit are reported, whole events only.
  const many = exportDetector({
    describe: { id: "many", name: "Many", version: "1", selectors: [select("*")], finding: { name: "f" } },
    onEvent: (ev) => [detection({ pad: "p".repeat(3000), i: ev.int("i") }), detection({ pad: "q".repeat(3000) })],
  });
  got = onEvents(many, eventsFor(1000));
  assert.ok(lastReports[0].length <= MAX_REPORT_BYTES, `${lastReports[0].length} bytes`);
  const kept = got.detections.length;
  assert.ok(kept > 1000 && kept < 2000 && kept % 2 === 0, `${kept} detections kept`);
  assert.equal(got.errors.length, 1);
  assert.equal(got.errors[0].index, kept / 2);
  assert.match(got.errors[0].message, new RegExp(`${2000 - kept} detections and errors`));

  // The next call starts afresh, with the buffer shrunk back.
  got = onEvents(many, eventsFor(2));
  assert.equal(got.detections.length, 4);
  assert.deepEqual(got.errors, []);
});

test("an output limit is enforced by the builder whatever its size", () => {
  const out = new OutputBuilder(1024);
  for (let i = 0; i < 100; i++) {
    out.beginEvent();
    out.error(i, `error ${i}`);
  }
  const bytes = out.finish();
  assert.ok(bytes.length <= 1024);
  checkOutput(bytes);
  const { errors } = readOutput(bytes);
  assert.equal(errors.at(-1).index, errors.length - 1);
  assert.match(errors.at(-1).message, /limit of 1024 bytes/);
});

test("strings are written as UTF-8 exactly as TextEncoder writes them", () => {
  const native = new TextEncoder();
  const portable = (s) => {
    const b = new Uint8Array(3 * s.length);
    return b.subarray(0, utf8Into(b, 0, s));
  };
  const samples = [
    "", "a", "é", "✓", "😀", "\u0000", "\u007f", "\u0080", "\u07ff", "\u0800", "\uffff", "\ud7ff", "\ue000",
    // Lone surrogates have no UTF-8 form: U+FFFD, as TextEncoder.
    "\ud800", "\udfff", "a\ud800b", "\udc00\ud800", "\ud83d", "😀\ud83d", "\ud83d\ude00\ude00",
    "x".repeat(17), "é".repeat(40), "mixed ascii é ✓ 😀 and more ascii to go past sixteen",
  ];
  let x = 99;
  for (let round = 0; round < 5000; round++) {
    let s = "";
    for (let n = round % 30; n > 0; n--) {
      x = (x * 1103515245 + 12345) >>> 0;
      s += String.fromCharCode([x >>> 25, 0x80 + (x >>> 21), 0x800 + (x >>> 16), 0xd800 + ((x >>> 8) & 0x7ff)][x % 4]);
    }
    samples.push(s);
  }
  for (const s of samples) {
    const want = native.encode(s);
    assert.deepEqual(portable(s), want, JSON.stringify(s));
    // And through the Writer, which takes the native encoder where the
    // engine has one.
    const w = new Writer(8);
    w.begin(8);
    w.str(0, s);
    const b = w.finish();
    const dv = new DataView(b.buffer);
    assert.deepEqual(b.subarray(dv.getUint32(0, true), dv.getUint32(0, true) + dv.getUint32(4, true)), want.length ? want : new Uint8Array(0));
  }
});
