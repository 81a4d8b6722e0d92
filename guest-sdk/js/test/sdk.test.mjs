// Unit tests of sandtrap.js under the QuickJS engine's conventions (64-bit
// integers as doubles), run by plain node against mock-host.mjs:
//   node --import ./test/register.mjs --test test/
import test from "node:test";
import assert from "node:assert/strict";
import {
  Config, Event, StoreError, description, detection, exportDetector, fromValue,
  ifFound, select, stores, toValue,
} from "../sandtrap.js";

const rawEvent = (args, extra = {}) => ({
  seq: 1, timestamp: 1700000000000000000, name: "security_socket_connect",
  process: { entityId: 12345, parentEntityId: 0, pid: 10, tid: 10, ppid: 1, startTicks: 5, comm: "curl",
             exe: "/usr/bin/curl", uid: 0, gid: 0, cgroupId: 0, containerId: "" },
  args, ...extra,
});

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
  // QuickJS cannot carry an exact value beyond 2^53.
  assert.throws(() => toValue(2n ** 60n), /QuickJS/);
});

test("Event accessors return plain values or undefined", () => {
  const ev = new Event(rawEvent([
    { name: "remote_addr", value: { tag: "str", val: "203.0.113.9" } },
    { name: "remote_port", value: { tag: "uint", val: 443 } },
    { name: "neg", value: { tag: "int", val: -1 } },
    { name: "wrapped", value: { tag: "uint", val: -1 } },
    { name: "argv", value: { tag: "str-list", val: ["sh", "-c"] } },
    { name: "flag", value: { tag: "boolean", val: true } },
    { name: "raw", value: { tag: "bytes", val: new Uint8Array([0, 1]) } },
  ]));
  assert.equal(ev.name, "security_socket_connect");
  assert.equal(ev.comm, "curl");
  assert.equal(ev.str("remote_addr"), "203.0.113.9");
  assert.equal(ev.str("remote_port"), undefined);
  assert.equal(ev.int("remote_port"), 443);
  assert.equal(ev.bigint("remote_port"), 443n);
  assert.equal(ev.int("neg"), -1);
  // A u64 QuickJS lifted as negative is not a number we can trust.
  assert.equal(ev.int("wrapped"), undefined);
  assert.equal(ev.int("remote_addr"), undefined);
  assert.deepEqual(ev.list("argv"), ["sh", "-c"]);
  assert.equal(ev.bool("flag"), true);
  assert.deepEqual(ev.bytes("raw"), new Uint8Array([0, 1]));
  assert.equal(ev.arg("missing"), undefined);
  assert.equal(ev.has("flag"), true);
  assert.deepEqual(ev.argNames().slice(0, 2), ["remote_addr", "remote_port"]);
  assert.equal(fromValue({ tag: "uint", val: 2 ** 60 }), undefined);
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
  const ev = (n) => rawEvent(n === undefined ? [] : [{ name: "n", value: { tag: "uint", val: n } }]);
  assert.equal(guest.describe().finding.severity, "medium");
  assert.throws(() => guest.onEvent(ev(5)), (e) => e === "detector called before init");
  assert.equal(guest.init([["threshold", "3"]]), undefined);
  assert.deepEqual(guest.onEvent(ev(5)), [{ fields: [{ name: "n", value: { tag: "uint", val: 5 } }], severity: "high" }]);
  assert.deepEqual(guest.onEvent(ev(1)), []);
  // Errors leave as strings: StarlingMonkey traps on an Error object.
  assert.throws(() => guest.onEvent(ev()), (e) => e === "no n");
  assert.throws(() => guest.onEvent(ev(99)), (e) => typeof e === "string" && /field bad/.test(e));
  assert.throws(() => guest.onEvent(ev(98)), (e) => e === "store error: store-unhealthy");
  assert.deepEqual(guest.onBatch([ev(5), ev(), ev(1), ev(4)]), {
    detections: [
      { index: 0, detection: { fields: [{ name: "n", value: { tag: "uint", val: 5 } }], severity: "high" } },
      { index: 3, detection: { fields: [{ name: "n", value: { tag: "uint", val: 4 } }], severity: "high" } },
    ],
    errors: [{ index: 1, message: "no n" }],
  });
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
