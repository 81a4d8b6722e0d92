// Unit tests of sandtrap.js under the QuickJS engine's conventions (64-bit
// integers as doubles), run by plain node against mock-host.mjs:
//   node --import ./test/register.mjs --test test/
import test from "node:test";
import assert from "node:assert/strict";
import {
  CONTRACT_VERSION, Config, StoreError, description, detection, exportDetector, fromValue,
  ifFound, readBatch, select, stores, toValue,
} from "../sandtrap.js";
import { encodeBatch } from "./encode.mjs";
import { lastReports, onEvents } from "./mock-host.mjs";

const event = (args, extra = {}) => ({
  seq: 1, timestamp: 1700000000000000000n, name: "security_socket_connect",
  process: { entityId: 12345, parentEntityId: 0, pid: 10, tid: 10, ppid: 1, startTicks: 5, comm: "curl",
             exe: "/usr/bin/curl", uid: 0, gid: 0, cgroupId: 0, containerId: "" },
  args, ...extra,
});
const oneEvent = (args, extra) => readBatch(encodeBatch([event(args, extra)]))[0];

test("toValue maps JS values to the WIT variant", () => {
  assert.deepEqual(toValue("x"), { tag: "str", val: "x" });
  assert.deepEqual(toValue(true), { tag: "boolean", val: true });
  assert.deepEqual(toValue(443), { tag: "uint", val: 443 });
  assert.deepEqual(toValue(-3), { tag: "int", val: -3 });
  assert.deepEqual(toValue(7n), { tag: "uint", val: 7 });
  assert.deepEqual(toValue(["a", "b"]), { tag: "str-list", val: ["a", "b"] });
  assert.deepEqual(toValue(new Uint8Array([1, 2])), { tag: "bytes", val: new Uint8Array([1, 2]) });
  assert.deepEqual(toValue({ tag: "int", val: 5 }), { tag: "int", val: 5 });
  assert.throws(() => toValue(1.5), TypeError);
  assert.throws(() => toValue(null), TypeError);
  assert.throws(() => toValue([1]), TypeError);
  assert.throws(() => toValue({ a: 1 }), TypeError);
  assert.throws(() => toValue(2n ** 64n), RangeError);
  assert.throws(() => toValue(-(2n ** 63n) - 1n), RangeError);
  // Fields leave in the buffer the SDK writes, so a value beyond 2^53 is
  // exact under every engine, QuickJS included; a Number that large was
  // already rounded and is refused.
  assert.deepEqual(toValue(2n ** 60n), { tag: "uint", val: 2n ** 60n });
  assert.deepEqual(toValue(-(2n ** 63n)), { tag: "int", val: -(2n ** 63n) });
  assert.deepEqual(toValue({ tag: "int", val: 2n ** 62n }), { tag: "int", val: 2n ** 62n });
  assert.throws(() => toValue(2 ** 60), /no longer exact/);
});

test("Event accessors return plain values or undefined", () => {
  const ev = oneEvent([
    ["remote_addr", "str", "203.0.113.9"],
    ["remote_port", "uint", 443],
    ["neg", "int", -1],
    ["huge", "uint", 2n ** 64n - 1n],
    ["argv", "str-list", ["sh", "-c"]],
    ["flag", "boolean", true],
    ["raw", "bytes", [0, 1]],
    ["remote_addr", "str", "second: never the answer"],
  ]);
  assert.equal(CONTRACT_VERSION, "0.4.0");
  assert.equal(ev.name, "security_socket_connect");
  assert.equal(ev.comm, "curl");
  assert.equal(ev.exe, "/usr/bin/curl");
  assert.equal(ev.pid, 10);
  assert.equal(ev.seq, 1);
  assert.equal(ev.process.entityId, 12345);
  assert.equal(ev.entityId, 12345);
  assert.equal(ev.containerId, "");
  // Beyond 2^53: exact, as a BigInt.
  assert.equal(ev.timestamp, 1700000000000000000n);
  assert.equal(ev.str("remote_addr"), "203.0.113.9");
  assert.equal(ev.str("remote_port"), undefined);
  assert.equal(ev.int("remote_port"), 443);
  assert.equal(ev.bigint("remote_port"), 443n);
  assert.equal(ev.int("neg"), -1);
  assert.equal(ev.bigint("neg"), -1n);
  // Read exactly from the batch under every engine; too large for a Number.
  assert.equal(ev.int("huge"), undefined);
  assert.equal(ev.bigint("huge"), 2n ** 64n - 1n);
  assert.equal(ev.arg("huge"), 2n ** 64n - 1n);
  assert.equal(ev.int("remote_addr"), undefined);
  assert.deepEqual(ev.list("argv"), ["sh", "-c"]);
  assert.equal(ev.list("remote_addr"), undefined);
  assert.equal(ev.bool("flag"), true);
  assert.deepEqual(ev.bytes("raw"), new Uint8Array([0, 1]));
  // A copy: keeping it does not keep the batch alive, changing it changes nothing.
  ev.bytes("raw")[0] = 9;
  assert.deepEqual(ev.bytes("raw"), new Uint8Array([0, 1]));
  assert.equal(ev.arg("missing"), undefined);
  assert.equal(ev.has("flag"), true);
  assert.equal(ev.has("missing"), false);
  assert.equal(ev.kind("argv"), "str-list");
  assert.equal(ev.kind("missing"), undefined);
  assert.equal(ev.str(42), undefined, "a name that is not a string names nothing");
  assert.equal(ev.str("\ud800"), undefined, "nor does one with no UTF-8 form");
  assert.deepEqual(ev.argNames(), ["remote_addr", "remote_port", "neg", "huge", "argv", "flag", "raw", "remote_addr"]);
  assert.deepEqual(ev.args()[1], { name: "remote_port", kind: "uint", value: 443 });
  assert.equal(fromValue({ tag: "uint", val: 2 ** 60 }), undefined);
  // console.log(ev) shows every field.
  const shown = JSON.parse(JSON.stringify(ev, (_, v) => (typeof v === "bigint" ? String(v) : v)));
  assert.equal(shown.process.comm, "curl");
  assert.equal(shown.timestamp, "1700000000000000000");
  assert.equal(shown.args.length, 8);
});

test("remembered reads never answer for another event, field or name", () => {
  // The SDK remembers the last string and the last argument lookup; reads
  // that alternate between events, fields and names must each get their own.
  const [a, b] = readBatch(encodeBatch([
    event([["x", "str", "a-x"], ["y", "str", "a-y"], ["n", "uint", 1]], { name: "ev_a" }),
    event([["y", "str", "b-y"], ["x", "str", "b-x"], ["n", "uint", 2]], { name: "ev_b", process: { comm: "wget", exe: "/usr/bin/wget" } }),
  ]));
  for (let round = 0; round < 3; round++) {
    assert.equal(a.comm, "curl");
    assert.equal(b.comm, "wget");
    assert.equal(a.exe, "/usr/bin/curl");
    assert.equal(a.comm, "curl");
    assert.equal(a.name, "ev_a");
    assert.equal(b.name, "ev_b");
    assert.equal(a.str("x"), "a-x");
    assert.equal(a.str("y"), "a-y");
    assert.equal(b.str("x"), "b-x");
    assert.equal(b.str("x"), "b-x");
    assert.equal(a.int("n"), 1);
    assert.equal(b.int("n"), 2);
    assert.equal(a.str("n"), undefined, "the remembered lookup still checks the kind");
    assert.equal(b.process.comm, "wget");
    assert.deepEqual(b.args().map((x) => x.value), ["b-y", "b-x", 2]);
  }
});

test("64-bit integers are Numbers exactly while below 2^53", () => {
  const B = 2n ** 53n;
  const cases = [
    ["int", 0n], ["int", -1n], ["int", 1n - B], ["int", -B], ["int", -B - 1n], ["int", B - 1n], ["int", B],
    ["int", -(2n ** 63n)], ["int", 2n ** 63n - 1n], ["int", -(2n ** 32n)], ["int", 2n ** 32n - 1n],
    ["uint", 0n], ["uint", B - 1n], ["uint", B], ["uint", 2n ** 64n - 1n], ["uint", 2n ** 32n],
  ];
  const ev = oneEvent(cases.map(([kind, v], i) => [`a${i}`, kind, v]), { seq: B - 1n, timestamp: B });
  cases.forEach(([kind, v], i) => {
    const safe = v > -B && v < B;
    assert.equal(ev.arg(`a${i}`), safe ? Number(v) : v, `${kind} ${v}`);
    assert.equal(ev.int(`a${i}`), safe ? Number(v) : undefined, `${kind} ${v}`);
    assert.equal(ev.bigint(`a${i}`), v, `${kind} ${v}`);
  });
  assert.equal(ev.seq, Number(B - 1n));
  assert.equal(ev.timestamp, B);
});

test("names and strings outside ASCII", () => {
  const ev = oneEvent([["chemin", "str", "/tmp/é✓😀"], ["é", "uint", 1]], { process: { comm: "ünïcødé" } });
  assert.equal(ev.comm, "ünïcødé");
  assert.equal(ev.str("chemin"), "/tmp/é✓😀");
  assert.equal(ev.int("é"), 1);
  assert.equal(ev.pid, 0);
});

test("Config reads values, lists, numbers and booleans", () => {
  const c = new Config([["a", "1"], ["list", " x, y  z,,"], ["a", "2"], ["b", "yes"], ["n", "x1"]]);
  assert.equal(c.get("a"), "2");
  assert.equal(c.get("nope", "d"), "d");
  assert.deepEqual(c.list("list"), ["x", "y", "z"]);
  assert.deepEqual(c.list("nope"), []);
  assert.equal(c.number("a", 0), 2);
  assert.equal(c.number("nope", 7), 7);
  assert.throws(() => c.number("n", 0), /config "n"/);
  assert.equal(c.bool("b", false), true);
});

test("description fills every field and checks enums", () => {
  const d = description({
    id: "x", name: "X", version: "0.1.0",
    selectors: [select("sched_process_exec").where("pathname", "prefix", "memfd:"), { event: "*" }],
    requires: ["dns"],
    finding: { name: "f", severity: "high", mitre: { tactic: "Execution", technique: "T1" }, fields: ["a"] },
  });
  assert.deepEqual(d, {
    id: "x", name: "X", version: "0.1.0", description: "",
    selectors: [
      { event: "sched_process_exec", filters: [{ field: "pathname", op: "prefix", value: "memfd:" }] },
      { event: "*", filters: [] },
    ],
    requiredStores: ["dns"], optionalStores: [],
    finding: { name: "f", description: "", severity: "high", mitreTactic: "Execution", mitreTechnique: "T1", fields: ["a"] },
  });
  assert.throws(() => select("x").where("a", "regex", "b"), /op must be one of/);
  assert.throws(() => description({ id: "x", finding: { name: "f", severity: "severe" } }), /severity/);
});

test("stores turn result errors into StoreError and check arguments first", () => {
  globalThis.mockHost = {
    getDnsResponse: (q) => {
      if (q === "203.0.113.9") return { query: q, ips: [], domains: ["evil.duckdns.org"] };
      const e = new Error("x");
      e.payload = q === "" ? { tag: "invalid-argument", val: "empty" } : { tag: "not-found" };
      throw e;
    },
  };
  assert.deepEqual(stores.dns.getDnsResponse("203.0.113.9").domains, ["evil.duckdns.org"]);
  assert.equal(ifFound(() => stores.dns.getDnsResponse("198.51.100.1")), null);
  assert.throws(() => stores.dns.getDnsResponse(""), (e) => e instanceof StoreError && e.kind === "invalid-argument" && e.detail === "empty");
  assert.throws(() => stores.dns.getDnsResponse(42), (e) => e instanceof StoreError && e.kind === "invalid-argument");
  // An entity id QuickJS rounded would name another process: refused.
  assert.throws(() => stores.processes.getProcess(2 ** 62), /QuickJS/);
  assert.throws(() => stores.processes.getAncestry(1, -1), (e) => e.kind === "invalid-argument");
  delete globalThis.mockHost;
});

test("64-bit ids from events are exact, but QuickJS cannot hand large ones to the host", () => {
  const asked = [];
  globalThis.mockHost = { getProcess: (id) => (asked.push(id), { entityId: id, name: "sh" }) };
  const ev = oneEvent([], { process: { entityId: 9223372036854775809n, parentEntityId: 42 } });
  // Read with DataView from the batch: exact under every engine.
  assert.equal(ev.process.entityId, 9223372036854775809n);
  assert.equal(ev.process.parentEntityId, 42);
  // Ids within 2^53 travel as Numbers, which QuickJS lowers exactly.
  assert.equal(stores.processes.getProcess(ev.process.parentEntityId).name, "sh");
  // QuickJS lowers u64 arguments from doubles only (a BigInt traps): the
  // exact id cannot cross, and the SDK says so instead of asking about
  // another process.
  assert.throws(
    () => stores.processes.getProcess(ev.process.entityId),
    (e) => e instanceof StoreError && e.kind === "invalid-argument" && /--engine sm/.test(e.message),
  );
  assert.deepEqual(asked, [42]);
  delete globalThis.mockHost;
});

test("exportDetector maps results, errors and batches", () => {
  let closed = 0;
  const guest = exportDetector({
    describe: () => ({ id: "t", name: "T", version: "1", selectors: [select("*")], finding: { name: "f" } }),
    init: (config) => ({ threshold: config.number("threshold", 1) }),
    onEvent(ev, state) {
      const n = ev.int("n");
      if (n === undefined) throw new Error("no n");
      if (n === 99) return [detection({ bad: 1.5 })];
      if (n === 98) throw new StoreError("store-unhealthy");
      return n >= state.threshold ? detection({ n, none: undefined }, { severity: "high" }) : null;
    },
    close: () => closed++,
  });
  const ev = (n) => event(n === undefined ? [] : [["n", "uint", n]]);
  const run = (...events) => onEvents(guest, encodeBatch(events.map(ev)));
  const found = (index, n) => ({ index, detection: { fields: [{ name: "n", value: { tag: "uint", val: n } }], severity: "high" } });
  assert.equal(guest.describe().finding.severity, "medium");
  assert.deepEqual(run(5), { detections: [], errors: [{ index: 0, message: "detector called before init" }] });
  assert.equal(guest.init([["threshold", "3"]]), undefined);
  assert.deepEqual(run(5), { detections: [found(0, 5)], errors: [] });
  assert.deepEqual(run(1), { detections: [], errors: [] });
  assert.equal(lastReports.length, 0, "a batch that found nothing makes no report");
  // One failing event loses none of the others; errors leave as strings,
  // with a StoreError's kind, and a bad field becomes that event's error.
  assert.deepEqual(run(5, undefined, 1, 99, 98, 4), {
    detections: [found(0, 5), found(5, 4)],
    errors: [
      { index: 1, message: "no n" },
      { index: 3, message: "field bad: number 1.5 is not an integer" },
      { index: 4, message: "store error: store-unhealthy" },
    ],
  });
  // An empty or malformed batch is no events, never a trap, and no report.
  for (const junk of [new Uint8Array(0), new Uint8Array([5, 0, 0]), undefined]) {
    assert.deepEqual(onEvents(guest, junk), { detections: [], errors: [] });
    assert.equal(lastReports.length, 0);
  }
  assert.equal(guest.onEvent, undefined, "contract 0.4 has no on-event");
  assert.equal(guest.onBatch, undefined, "contract 0.4 has no on-batch");
  assert.throws(() => guest.init([["threshold", "many"]]), (e) => typeof e === "string" && /threshold/.test(e));
  guest.close();
  assert.equal(closed, 1);
});

test("console and the current time go to the host", () => {
  const lines = [];
  globalThis.mockHost = { log: (level, line) => lines.push([level, line]), now: () => 1700000000123456789 };
  console.log("a", { b: 1 });
  console.error(new Error("boom"));
  assert.deepEqual(lines[0], ["info", 'a {"b":1}']);
  assert.equal(lines[1][0], "error");
  assert.match(lines[1][1], /boom/);
  assert.equal(Date.now(), 1700000000123);
  assert.equal(new Date().getTime(), 1700000000123);
  assert.equal(new Date(0).toISOString(), "1970-01-01T00:00:00.000Z");
  delete globalThis.mockHost;
});

test("performance.now counts from its first call on the host clock", () => {
  let ns = 5_000_000_000;
  globalThis.mockHost = { now: () => ns };
  assert.equal(performance.now(), 0);
  ns += 2_500_000;
  assert.equal(performance.now(), 2.5);
  delete globalThis.mockHost;
});
