// Unit tests of sandtrap.js under StarlingMonkey's conventions: the host
// hands 64-bit integers over as BigInt, and exact ones beyond 2^53 pass.
import test from "node:test";
import assert from "node:assert/strict";
import { exact64, readBatch, stores, toValue } from "../sandtrap.js";
import { encodeBatch } from "./encode.mjs";

globalThis.mockHost = {
  now: () => 1700000000000000000n,
  getProcess: (id) => ({ entityId: id, name: "curl" }),
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
