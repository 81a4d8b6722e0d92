// Conformance of the SDK's store answers with the reference encoding:
// decodes each record kind's vector of guest-sdk/wire/testdata/ through the
// public record views, by `readRecords` and through `stores.*` (the mock
// host handing over the vector as the host would), and compares every
// field with answers.json; checks that the mock host's encoder (encode.mjs)
// reproduces each vector byte for byte; then feeds every prefix and
// corrupted copies of each vector, which must decode without throwing.
import test from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import {
  ContainerRecord, DnsRecord, Pod, ProcessRecord, Records, ReputationRecord, StoreError, SymbolRecord,
  ifFound, readRecords, stores,
} from "../sandtrap.js";
import { encodeRecords } from "./encode.mjs";
import * as mock from "./mock-host.mjs";

const root = join(dirname(fileURLToPath(import.meta.url)), "..", "..", "..");
const testdata = join(root, "guest-sdk", "wire", "testdata");
const answers = JSON.parse(readFileSync(join(testdata, "answers.json"), "utf8"));
const bin = (name) => new Uint8Array(readFileSync(join(testdata, answers[name].file)));

// answers.json writes 64-bit integers as decimal strings, an absent
// exit_time or pod as null; the views give Numbers below 2^53, BigInts
// from there up, and null.
const exact = (v) => String(BigInt(v));
const big = (v) => BigInt(v);
const opt = (v, f) => (v === null ? null : f(v));

// Per answer of answers.json: the view, the encode.mjs kind, the record as
// answers.json writes it read through the view's getters, the record as
// the encoder takes it, and every read a detector can make of a view.
const KINDS = {
  processes: {
    View: ProcessRecord,
    kind: "process",
    json: (r) => ({
      argv: r.argv, container_id: r.containerId, entity_id: exact(r.entityId), exe: r.exe,
      exit_time: opt(r.exitTime, exact), gid: r.gid, name: r.name, parent_entity_id: exact(r.parentEntityId),
      pid: r.pid, ppid: r.ppid, start_time: exact(r.startTime), uid: r.uid,
    }),
    fromJson: (j) => ({
      entityId: big(j.entity_id), parentEntityId: big(j.parent_entity_id), startTime: big(j.start_time),
      exitTime: opt(j.exit_time, big), pid: j.pid, ppid: j.ppid, uid: j.uid, gid: j.gid, name: j.name,
      exe: j.exe, containerId: j.container_id, argv: j.argv,
    }),
    touch: (r) => [r.entityId, r.parentEntityId, r.startTime, r.exitTime, r.pid, r.ppid, r.uid, r.gid,
      r.name, r.exe, r.containerId, r.argv, r.is("bash"), r.is("")],
  },
  containers: {
    View: ContainerRecord,
    kind: "container",
    json: (r) => ({
      id: r.id, image: r.image, image_digest: r.imageDigest, name: r.name,
      pod: opt(r.pod, (p) => ({ name: p.name, namespace: p.namespace, sandbox: p.sandbox, uid: p.uid })),
      runtime: r.runtime, start_time: exact(r.startTime),
    }),
    fromJson: (j) => ({
      startTime: big(j.start_time), id: j.id, name: j.name, image: j.image, imageDigest: j.image_digest,
      runtime: j.runtime, pod: j.pod,
    }),
    touch: (r) => {
      const p = r.pod;
      return [r.startTime, r.id, r.name, r.image, r.imageDigest, r.runtime, p?.name, p?.uid, p?.namespace, p?.sandbox];
    },
  },
  dns: {
    View: DnsRecord,
    kind: "dns",
    json: (r) => ({ domains: r.domains, ips: r.ips, query: r.query }),
    fromJson: (j) => ({ query: j.query, ips: j.ips, domains: j.domains }),
    touch: (r) => [r.query, r.ips, r.domains],
  },
  symbols: {
    View: SymbolRecord,
    kind: "symbol",
    json: (r) => ({ address: exact(r.address), module: r.module, name: r.name, query: exact(r.query) }),
    fromJson: (j) => ({ query: big(j.query), address: big(j.address), name: j.name, module: j.module }),
    touch: (r) => [r.query, r.address, r.name, r.module],
  },
  reputation: {
    View: ReputationRecord,
    kind: "reputation",
    json: (r) => ({
      ip: r.ip, last_updated: exact(r.lastUpdated), severity: r.severity, source: r.source, status: r.status,
      tags: r.tags,
    }),
    fromJson: (j) => ({
      lastUpdated: big(j.last_updated), ip: j.ip, source: j.source, tags: j.tags, status: j.status,
      severity: j.severity,
    }),
    touch: (r) => [r.lastUpdated, r.ip, r.source, r.tags, r.status, r.severity],
  },
};

const bigintAsString = (_, v) => (typeof v === "bigint" ? String(v) : v);

// Every read of a record view that must survive malformed bytes.
function touch(name, r) {
  const seen = KINDS[name].touch(r);
  seen.push(r.encoded.length, JSON.stringify(r, bigintAsString));
  return seen;
}

function touchList(name, list) {
  const seen = [list.length, list.at(0), list.at(-1), list.first(), JSON.stringify(list, bigintAsString)];
  for (const r of list) seen.push(touch(name, r));
  return seen;
}

test("answers.json covers every record kind", () => {
  // `output` is what a detector reports, not a store answer: output.test.mjs
  // encodes and decodes it.
  const stored = Object.keys(answers).filter((k) => k !== "output");
  assert.deepEqual(stored.sort(), Object.keys(KINDS).sort());
  assert.ok(answers.output, "answers.json describes output.bin");
});

for (const [name, k] of Object.entries(KINDS)) {
  test(`${answers[name].file} decodes to answers.json through ${k.View.name}`, () => {
    const want = answers[name].records;
    const list = readRecords(bin(name), k.View);
    assert.ok(list instanceof Records);
    assert.equal(list.length, want.length);
    const views = list.toArray();
    views.forEach((r, i) => {
      assert.ok(r instanceof k.View, `${name} ${i}`);
      assert.deepEqual(k.json(r), want[i], `${name} record ${i}`);
      // toJSON shows what the getters read.
      const shown = r.toJSON();
      for (const [field, value] of Object.entries(shown)) {
        const direct = r[field];
        assert.deepEqual(value, direct instanceof Pod ? direct.toJSON() : direct, `${name} ${i} toJSON ${field}`);
      }
    });
    // Every way to reach a record reads the same one.
    assert.deepEqual([...list].map(k.json), want);
    assert.deepEqual(list.map(k.json), want);
    assert.deepEqual(k.json(list.at(-1)), want.at(-1));
    assert.deepEqual(k.json(list.first()), want[0]);
    assert.equal(list.at(want.length), undefined);
    assert.equal(list.at(-want.length - 1), undefined);
    assert.equal(list.at(0.5), undefined);
    assert.equal(list.at("0"), undefined);
    assert.deepEqual(JSON.parse(JSON.stringify(list, bigintAsString)).length, want.length);
    const seen = [];
    list.forEach((r, i) => seen.push(i));
    assert.deepEqual(seen, want.map((_, i) => i));
    assert.deepEqual(k.json(list.find((_, i) => i === want.length - 1)), want.at(-1));
    assert.equal(list.some(() => false), false);
    assert.equal(list.filter(() => true).length, want.length);
  });

  test(`encode.mjs reproduces ${answers[name].file} byte for byte`, () => {
    const records = answers[name].records.map(k.fromJson);
    assert.deepEqual(encodeRecords(k.kind, records), bin(name));
  });
}

test("the process, container and DNS answers read as in answers.json", () => {
  // Values answers.json spells out that only exact reads keep.
  const [p0, p1, p2] = readRecords(bin("processes"), ProcessRecord);
  assert.equal(p0.entityId, 9223372036854775809n, "beyond 2^53: a BigInt");
  assert.equal(p0.parentEntityId, 42, "below 2^53: a Number");
  assert.equal(p1.exitTime, null);
  assert.deepEqual(p0.argv, ["sh", "-c", "", "écho ✓"]);
  assert.equal(p0.is("bash"), true);
  assert.equal(p2.is("systemd"), true);
  assert.equal(p2.is("init"), false);
  assert.equal(p2.entityId, 2n ** 64n - 1n);
  // A str-list is a new array on each read: changing one changes nothing.
  p0.argv.push("x");
  assert.equal(p0.argv.length, 4);
  const [c0, c1] = readRecords(bin("containers"), ContainerRecord);
  assert.ok(c0.pod instanceof Pod);
  assert.equal(c0.pod.sandbox, true);
  assert.equal(c1.pod, null);
  const [s0] = readRecords(bin("symbols"), SymbolRecord);
  assert.equal(s0.address, 18446744071578845184n);
});

test("the stores answer with record views, one record for a call that names one thing", () => {
  const asked = [];
  const raw = (name) => (...args) => (asked.push(args), bin(name));
  const feed = { get: raw("reputation"), getAll: raw("reputation"), isBlacklisted: () => true, listSources: () => ["abuse-feed"] };
  globalThis.mockHost = {
    getProcess: raw("processes"),
    getChildProcesses: raw("processes"),
    getAncestry: raw("processes"),
    getContainer: raw("containers"),
    getContainerByName: raw("containers"),
    listContainers: raw("containers"),
    getDnsResponse: raw("dns"),
    resolveSymbolByAddress: raw("symbols"),
    resolveSymbolsBatch: raw("symbols"),
    open: () => feed,
    register: () => ({ reader: () => feed }),
  };
  const all = (name) => answers[name].records;
  const one = (name) => answers[name].records[0];
  const { json: proc } = KINDS.processes;
  const { json: cont } = KINDS.containers;

  const p = stores.processes.getProcess(42);
  assert.ok(p instanceof ProcessRecord);
  assert.deepEqual(proc(p), one("processes"));
  const ancestry = stores.processes.getAncestry(42, 5);
  assert.ok(ancestry instanceof Records);
  assert.deepEqual(ancestry.map(proc), all("processes"));
  assert.deepEqual(stores.processes.getChildProcesses(42).map(proc), all("processes"));

  assert.deepEqual(cont(stores.containers.getContainer("3f2a9c0d1e2f")), one("containers"));
  assert.deepEqual(cont(stores.containers.getContainerByName("web-7d4b9")), one("containers"));
  assert.deepEqual(stores.containers.listContainers({ name: "web" }).map(cont), all("containers"));

  const dns = stores.dns.getDnsResponse("www.example.com");
  assert.ok(dns instanceof DnsRecord);
  assert.deepEqual(KINDS.dns.json(dns), one("dns"));

  assert.deepEqual(stores.kernelSymbols.resolveSymbolByAddress(0x1000).map(KINDS.symbols.json), all("symbols"));
  const batch = stores.kernelSymbols.resolveSymbolsBatch([4096, 1]);
  assert.deepEqual(batch.map(KINDS.symbols.json), all("symbols"));

  const reader = stores.ipReputation.open("feed");
  const winner = reader.get("203.0.113.9");
  assert.ok(winner instanceof ReputationRecord);
  assert.deepEqual(KINDS.reputation.json(winner), one("reputation"));
  assert.deepEqual(reader.getAll("203.0.113.9").map(KINDS.reputation.json), all("reputation"));
  assert.equal(reader.isBlacklisted("203.0.113.9"), true);
  assert.deepEqual(stores.ipReputation.register("feed").reader().getAll("x").map(KINDS.reputation.json), all("reputation"));

  // The arguments reached the host as before.
  assert.deepEqual(asked.slice(0, 3), [[42], [42, 5], [42]]);
  assert.deepEqual(asked[5], [{ name: "web", image: null, runtime: null }]);
  assert.deepEqual(asked[8], [[4096, 1]]);
  assert.deepEqual(asked[9], ["203.0.113.9"]);
  delete globalThis.mockHost;
});

test("store errors are mapped as before", () => {
  const fail = (tag, val) => () => {
    const e = new Error("x");
    e.payload = val === undefined ? { tag } : { tag, val };
    throw e;
  };
  globalThis.mockHost = {
    getAncestry: fail("store-unhealthy"),
    listContainers: fail("not-implemented"),
    resolveSymbolsBatch: fail("invalid-argument", "too many addresses"),
    open: () => ({ get: fail("not-found"), getAll: fail("not-found") }),
  };
  const kind = (k) => (e) => e instanceof StoreError && e.kind === k;
  assert.throws(() => stores.processes.getAncestry(1, 3), kind("store-unhealthy"));
  assert.throws(() => stores.processes.getProcess(1), kind("not-found"), "the mock's default");
  assert.equal(ifFound(() => stores.processes.getProcess(1)), null);
  assert.throws(() => stores.containers.listContainers(), kind("not-implemented"));
  assert.throws(() => stores.containers.listContainers({ name: 7 }), kind("invalid-argument"));
  assert.throws(
    () => stores.kernelSymbols.resolveSymbolsBatch([1]),
    (e) => kind("invalid-argument")(e) && e.detail === "too many addresses",
  );
  assert.throws(() => stores.kernelSymbols.resolveSymbolsBatch("1"), kind("invalid-argument"));
  assert.throws(() => stores.kernelSymbols.resolveSymbolsBatch([-1]), kind("invalid-argument"));
  const reader = stores.ipReputation.open("feed");
  assert.equal(ifFound(() => reader.get("198.51.100.1")), null);
  assert.throws(() => reader.getAll("198.51.100.1"), kind("not-found"));
  assert.throws(() => reader.get(1), kind("invalid-argument"));
  delete globalThis.mockHost;
});

test("the mock host encodes the answers a test writes as objects", () => {
  // What a test's function returns goes through encode.mjs: the same
  // records as answers.json make the same bytes as the vectors.
  for (const [name, call, one] of [
    ["processes", "getAncestry", false],
    ["processes", "getProcess", true],
    ["containers", "listContainers", false],
    ["dns", "getDnsResponse", true],
    ["symbols", "resolveSymbolsBatch", false],
  ]) {
    const records = answers[name].records.map(KINDS[name].fromJson);
    globalThis.mockHost = { [call]: () => (one ? records[0] : records) };
    const want = one ? encodeRecords(KINDS[name].kind, [records[0]]) : bin(name);
    assert.deepEqual(mock[call](), want, `${call}`);
  }
  const reputations = answers.reputation.records.map(KINDS.reputation.fromJson);
  globalThis.mockHost = { open: () => ({ getAll: () => reputations }) };
  assert.deepEqual(mock.open("feed").getAll("x"), bin("reputation"));
  // An empty answer is an ordinary one: a leaf has no children.
  globalThis.mockHost = { getChildProcesses: () => [] };
  assert.equal(stores.processes.getChildProcesses(7).length, 0);
  assert.deepEqual([...stores.processes.getChildProcesses(7)], []);
  delete globalThis.mockHost;
});

test("every prefix of each answer decodes without throwing", () => {
  for (const [name, k] of Object.entries(KINDS)) {
    const full = bin(name);
    for (let n = 0; n <= full.length; n++) {
      const cut = full.slice(0, n);
      const list = readRecords(cut, k.View);
      assert.ok(list.length <= answers[name].records.length, `${name} prefix ${n}`);
      touchList(name, list);
    }
  }
  // The last record runs to the end of the answer, so a cut one keeps the
  // fixed fields that fit; strings past the cut read as "", never garbage.
  const full = bin("processes");
  const last = readRecords(full, ProcessRecord).at(-1);
  const cut = readRecords(full.slice(0, last._o + 48), ProcessRecord).at(-1);
  assert.equal(cut.entityId, 2n ** 64n - 1n);
  assert.equal(cut.gid, 4294967295);
  assert.equal(cut.name, "");
  assert.deepEqual(cut.argv, []);
  // Through the stores as well: a single-record call on a cut answer.
  globalThis.mockHost = { getDnsResponse: () => bin("dns").slice(0, 30) };
  const dns = stores.dns.getDnsResponse("x");
  assert.deepEqual([dns.query, dns.ips, dns.domains], ["", [], []]);
  delete globalThis.mockHost;
});

test("corrupted answers decode without throwing", () => {
  // Deterministic pseudo-random corruption (xorshift), so a failure replays.
  let x = 0x85ebca6b;
  const rand = (n) => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return (x >>> 0) % n;
  };
  const special = [0x00, 0xff, 0x7f, 0x80, 0xc0, 0xed, 0x01, 0x02, 0x03, 0x04];
  for (const [name, k] of Object.entries(KINDS)) {
    const full = bin(name);
    for (let round = 0; round < 1000; round++) {
      const b = full.slice();
      for (let f = 1 + rand(4); f > 0; f--) b[rand(b.length)] = rand(3) === 0 ? special[rand(special.length)] : rand(256);
      touchList(name, readRecords(b, k.View));
    }
  }

  const dv = (b) => new DataView(b.buffer, b.byteOffset, b.byteLength);
  // A huge announced count is cut to the offset table that fits.
  const huge = bin("symbols");
  dv(huge).setUint32(0, 0xffffffff, true);
  const cut = readRecords(huge, SymbolRecord);
  assert.equal(cut.length, Math.floor((huge.length - 4) / 4));
  touchList("symbols", cut);

  // Offsets out of order or past the end make that record empty.
  const backwards = bin("containers");
  dv(backwards).setUint32(4, 0xfffffff0, true);
  const [empty, second] = readRecords(backwards, ContainerRecord);
  assert.equal(empty.encoded.length, 0);
  assert.deepEqual([empty.id, empty.startTime, empty.pod], ["", 0, null]);
  assert.equal(second.id, "abcdef012345");

  // A status above 3 reads as unknown; a str or str-list pointing outside
  // its record, or a string that is not UTF-8, reads as absent.
  const rep = bin("reputation");
  const r0 = dv(rep).getUint32(4, true);
  rep[r0 + 32] = 9;
  dv(rep).setUint32(r0 + 8, 0x7fffffff, true); // ip's offset
  dv(rep).setUint32(r0 + 28, 0x10000000, true); // tags' count
  const bad = readRecords(rep, ReputationRecord).at(0);
  assert.deepEqual([bad.status, bad.ip, bad.tags, bad.source, bad.severity], ["unknown", "", [], "abuse-feed", 9]);

  const procs = bin("processes");
  const p0 = dv(procs).getUint32(4, true);
  procs[p0 + dv(procs).getUint32(p0 + 48, true)] = 0xff; // first byte of name
  const tableAt = p0 + dv(procs).getUint32(p0 + 72, true);
  dv(procs).setUint32(tableAt + 8, 0xffffff00, true); // argv[1]'s offset
  const p = readRecords(procs, ProcessRecord).at(0);
  assert.equal(p.name, "");
  assert.deepEqual(p.argv, ["sh", "", "", "écho ✓"], "a malformed element reads as \"\"");
  assert.equal(p.exe, "/usr/bin/bash");

  // The pod flag on a container whose pod strings are empty: a pod of
  // empty strings; a record too short for the flags byte: no pod.
  const conts = bin("containers");
  const c1 = dv(conts).getUint32(8, true);
  conts[c1 + 72] = 0xff;
  const podless = readRecords(conts, ContainerRecord).at(1);
  assert.deepEqual(podless.pod.toJSON(), { name: "", uid: "", namespace: "", sandbox: true });
  assert.equal(readRecords(conts.slice(0, c1 + 72), ContainerRecord).at(1).pod, null);

  // Not a byte buffer at all: an empty answer, and for a single-record
  // call a record whose every field is absent.
  for (const junk of [undefined, null, 42, "abc", {}, [1, 2, 3]]) {
    assert.equal(readRecords(junk, ProcessRecord).length, 0);
    globalThis.mockHost = { getProcess: () => junk, getDnsResponse: () => junk };
    const none = stores.processes.getProcess(1);
    assert.deepEqual([none.entityId, none.name, none.argv, none.exitTime], [0, "", [], null]);
    assert.deepEqual(stores.dns.getDnsResponse("x").toJSON(), { query: "", ips: [], domains: [] });
  }
  delete globalThis.mockHost;
  assert.equal(readRecords(Array.from(bin("dns")), DnsRecord).length, 2, "an array of byte values is accepted");
  const b = bin("dns");
  assert.equal(readRecords(b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength), DnsRecord).length, 2);
});
