// Unit tests of sandtrap.js under StarlingMonkey's conventions: the host
// hands 64-bit integers over as BigInt, and exact ones beyond 2^53 pass.
import test from "node:test";
import assert from "node:assert/strict";
import { exact64, readBatch, stores, toValue } from "../sandtrap.js";
import { encodeBatch } from "./encode.mjs";

const batches = [];
globalThis.mockHost = {
  now: () => 1700000000000000000n,
  getProcess: (id) => ({ entityId: id, name: "curl" }),
  resolveSymbolsBatch: (addresses) => (batches.push(addresses), addresses.map((a) => ({ query: a, address: a, name: "x" }))),
};

test("64-bit values beyond 2^53 travel as BigInt", () => {
  const big = 4884837886570450257n;
  assert.equal(exact64(), true);
  assert.deepEqual(toValue(big), { tag: "uint", val: big });
  assert.deepEqual(toValue(-(2n ** 62n)), { tag: "int", val: -(2n ** 62n) });
  assert.deepEqual(toValue(12n), { tag: "uint", val: 12 });
  assert.equal(stores.processes.getProcess(big).entityId, big);
});

test("an exact entity id from an event reaches the process store", () => {
  const [ev] = readBatch(encodeBatch([{
    seq: 3,
    process: { entityId: 9223372036854775809n, parentEntityId: 2n ** 64n - 1n },
    args: [["u", "uint", 2n ** 63n]],
  }]));
  assert.equal(ev.seq, 3);
  assert.equal(ev.arg("u"), 2n ** 63n);
  assert.equal(ev.int("u"), undefined);
  assert.equal(ev.bigint("u"), 2n ** 63n);
  // The same id object goes to the host and comes back unchanged.
  assert.equal(stores.processes.getProcess(ev.process.entityId).entityId, 9223372036854775809n);
  assert.equal(stores.processes.getProcess(ev.process.parentEntityId).entityId, 2n ** 64n - 1n);
  assert.deepEqual(toValue(ev.process.entityId), { tag: "uint", val: 9223372036854775809n });
});

test("the elements of a list<u64> go to the host as BigInts", () => {
  // StarlingMonkey refuses a Number there (a lone u64 takes either).
  const symbols = stores.kernelSymbols.resolveSymbolsBatch([1, 2n, 0xffffffff81000010n]);
  assert.deepEqual(batches, [[1n, 2n, 0xffffffff81000010n]]);
  // Records read 64-bit fields exactly, as events do: Numbers below 2^53.
  assert.deepEqual(symbols.map((s) => s.query), [1, 2, 0xffffffff81000010n]);
});
