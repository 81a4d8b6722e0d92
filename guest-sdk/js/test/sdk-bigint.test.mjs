// Unit tests of sandtrap.js under StarlingMonkey's conventions: the host
// hands 64-bit integers over as BigInt, and exact ones beyond 2^53 pass.
import test from "node:test";
import assert from "node:assert/strict";
import { Event, stores, toValue } from "../sandtrap.js";

globalThis.mockHost = {
  now: () => 1700000000000000000n,
  getProcess: (id) => ({ entityId: id, name: "curl" }),
};

test("64-bit values beyond 2^53 travel as BigInt", () => {
  const big = 4884837886570450257n;
  assert.deepEqual(toValue(big), { tag: "uint", val: big });
  assert.deepEqual(toValue(-(2n ** 62n)), { tag: "int", val: -(2n ** 62n) });
  assert.deepEqual(toValue(12n), { tag: "uint", val: 12 });
  assert.equal(stores.processes.getProcess(big).entityId, big);
  const ev = new Event({ seq: 3n, process: {}, args: [{ name: "u", value: { tag: "uint", val: 2n ** 63n } }] });
  assert.equal(ev.seq, 3);
  assert.equal(ev.arg("u"), 2n ** 63n);
  assert.equal(ev.int("u"), undefined);
  assert.equal(ev.bigint("u"), 2n ** 63n);
});
