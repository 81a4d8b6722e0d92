// The JavaScript SDK for sandtrap detectors: typed event access, builders
// for the description and detections, the host's stores with typed errors
// and answers read in place, and `exportDetector`, which turns four plain
// functions into the `guest` export of the contract
// `sandtrap:detector@0.4.0` (wit/).
//
// Detectors import it as "sandtrap"; guest-sdk/js/build.sh bundles it in
// (with wire.js, which reads the flat event batch and store answers, and
// write.js, which encodes what the detector found for `host.report`).
//
//   import { exportDetector, select, detection } from "sandtrap";
//   export const guest = exportDetector({
//     describe: () => ({ id: "hello", name: "Hello", version: "0.1.0",
//                        selectors: [select("sched_process_exec")],
//                        finding: { name: "hello", severity: "info" } }),
//     onEvent: (ev) => detection({ pathname: ev.str("pathname") }),
//   });
//
// Two engines run this code and they lift WIT values differently (README,
// "Engines"): StarlingMonkey gives every u64/s64 as a BigInt, QuickJS as a
// double (exact only up to 2^53, and u64 values from 2^63 up arrive
// negative). Events and the records of store answers are not lifted by the
// engine: they arrive as byte buffers that this SDK reads itself, exactly,
// under both, and so are detections, which leave as one buffer this SDK
// writes. Store arguments and the remaining typed results still cross
// as WIT values: everything here accepts both forms and hands the engine
// the form it takes, because a value of the wrong shape does not raise a
// JS exception at the boundary: it traps the instance. For the same
// reason every value that crosses into the host is checked first, so bad
// input becomes an error result and never a fault.

import * as host from "sandtrap:detector/host@0.4.0";
import * as registryApi from "sandtrap:detector/registry@0.4.0";
import * as processesApi from "sandtrap:detector/processes@0.4.0";
import * as containersApi from "sandtrap:detector/containers@0.4.0";
import * as systemApi from "sandtrap:detector/system@0.4.0";
import * as syscallsApi from "sandtrap:detector/syscalls@0.4.0";
import * as symbolsApi from "sandtrap:detector/kernel-symbols@0.4.0";
import * as dnsApi from "sandtrap:detector/dns@0.4.0";
import * as reputationApi from "sandtrap:detector/ip-reputation@0.4.0";
// A namespace import: the bundler turns `wire.x` into direct references.
import * as wire from "./wire.js";
import { BOOLEAN, BYTES, INT, STR, STR_LIST, UINT } from "./wire.js";
import { OutputBuilder } from "./write.js";

/** The contract version this SDK builds against. */
export const CONTRACT_VERSION = "0.4.0";

/** Severities of a finding, lowest first. */
export const SEVERITIES = Object.freeze(["info", "low", "medium", "high", "critical"]);
/** Operators of a selector filter. */
export const FILTER_OPS = Object.freeze([
  "equal",
  "not-equal",
  "prefix",
  "suffix",
  "contains",
  // The field is an address the reputation store named by the value
  // blacklists; the host answers it from the store.
  "blacklisted-in",
  // The field equals an item of the configuration list named by the value;
  // the host reads the list from each instance's configuration.
  "in-config",
  // The field is a domain listed under the configuration key named by the
  // value, or a subdomain of one (no case, a trailing dot ignored).
  "domain-in-config",
]);
const LOG_LEVELS = ["trace", "debug", "info", "warn", "error"];
const STORE_ERROR_KINDS = ["not-found", "store-unhealthy", "not-implemented", "invalid-argument"];
/** Statuses of an ip-reputation entry, by their wire code. */
export const REPUTATION_STATUSES = Object.freeze(["unknown", "clean", "suspicious", "blacklisted"]);
const CONFLICT_POLICIES = ["last-write-wins", "max-severity", "priority"];

const MAX_SAFE = BigInt(Number.MAX_SAFE_INTEGER);
const U64_MAX = 0xffffffffffffffffn;
const S64_MIN = -0x8000000000000000n;
const S64_MAX = 0x7fffffffffffffffn;

// ---------------------------------------------------------------------------
// Engine and 64-bit integers

let bigintEngine;

/**
 * True when the engine lifts 64-bit integers as BigInt (StarlingMonkey),
 * false when it uses doubles (QuickJS). Asked of the host clock once, on
 * first need: import calls are not available while the build snapshots
 * the module, so this cannot be decided at load time.
 */
export function exact64() {
  if (bigintEngine === undefined) bigintEngine = typeof host.now() === "bigint";
  return bigintEngine;
}

function typeName(v) {
  if (v === null) return "null";
  if (Array.isArray(v)) return "array";
  if (v instanceof Uint8Array) return "Uint8Array";
  return typeof v;
}

function describeValue(v) {
  try {
    return typeof v === "string" ? JSON.stringify(v) : `${typeName(v)} ${String(v)}`;
  } catch {
    return typeName(v);
  }
}

// A 64-bit integer (as Number or BigInt) in the form the engine lowers
// exactly. Numbers within 2^53 are exact everywhere and preferred; beyond,
// only a BigInt on StarlingMonkey is. `min`/`max` bound the WIT type.
function lower64(v, min, max, what) {
  let big;
  if (typeof v === "bigint") {
    big = v;
  } else if (typeof v === "number" && Number.isInteger(v)) {
    if (Number.isSafeInteger(v)) return v;
    big = BigInt(v);
  } else {
    throw new TypeError(`${what}: ${describeValue(v)} is not an integer`);
  }
  if (big < min || big > max) throw new RangeError(`${what}: ${big} is out of range`);
  if (big >= -MAX_SAFE && big <= MAX_SAFE) return Number(big);
  if (typeof v === "number") {
    // A double this large was rounded before it got here; under QuickJS
    // that is how the host's exact value arrived. Passing it on would ask
    // the host about some other entity.
    throw new RangeError(
      `${what}: ${v} is beyond 2^53 and no longer exact` +
        (exact64() ? "; pass a BigInt" : "; the QuickJS engine cannot carry it, build with --engine sm"),
    );
  }
  if (!exact64()) {
    throw new RangeError(`${what}: ${big} is beyond 2^53, which the QuickJS engine cannot carry; build with --engine sm`);
  }
  return big;
}

// A 64-bit integer of a detection field: exact under every engine, since
// fields leave in the output buffer this SDK writes, not as WIT values. A
// Number beyond 2^53 was rounded before it got here, so it is refused
// rather than reported as some other value.
function exactInt(v, min, max, what) {
  let big;
  if (typeof v === "bigint") {
    big = v;
  } else if (typeof v === "number" && Number.isInteger(v)) {
    if (Number.isSafeInteger(v)) {
      // Every safe integer is an s64; only the sign can be wrong. Numbers
      // are compared with Numbers only: QuickJS compares a negative Number
      // held as a double with a BigInt wrongly (-3 read from an event as
      // -4294967296 + 4294967293 is below -(2n ** 63n) there).
      if (min === 0n && v < 0) throw new RangeError(`${what}: ${v} is out of range`);
      return v;
    }
    throw new RangeError(`${what}: ${v} is beyond 2^53 and no longer exact; pass a BigInt`);
  } else {
    throw new TypeError(`${what}: ${describeValue(v)} is not an integer`);
  }
  if (big < min || big > max) throw new RangeError(`${what}: ${big} is out of range`);
  return big >= -MAX_SAFE && big <= MAX_SAFE ? Number(big) : big;
}

// A 64-bit integer lifted from the host, as a Number when exact, a BigInt
// when large (StarlingMonkey), undefined when the engine already lost it
// (QuickJS: beyond 2^53, or a u64 from 2^63 up that arrived negative).
function lift64(v, unsigned) {
  if (typeof v === "bigint") return v >= -MAX_SAFE && v <= MAX_SAFE ? Number(v) : v;
  if (typeof v !== "number" || !Number.isSafeInteger(v)) return undefined;
  if (unsigned && v < 0) return undefined;
  return v;
}

// ---------------------------------------------------------------------------
// Values

const VALUE_TAGS = ["str", "int", "uint", "boolean", "bytes", "str-list"];

/**
 * The value of a detection field (a case of the output's argument kinds)
 * for a JS value: string → str, boolean → boolean, integer Number/BigInt
 * → uint when ≥ 0 else int (the host's JSON rule), Uint8Array (or any
 * ArrayBuffer view) → bytes, string[] → str-list. An object that already
 * is a value (`{ tag: "int", val: 5 }`) is checked and kept, which is how
 * a non-negative int is written. Integers are kept exactly under every
 * engine: a Number below 2^53, a BigInt from there up. Anything else
 * (floats, null, objects, Numbers beyond 2^53) throws a TypeError or
 * RangeError.
 */
export function toValue(v, what = "value") {
  switch (typeof v) {
    case "string":
      return { tag: "str", val: v };
    case "boolean":
      return { tag: "boolean", val: v };
    case "number":
    case "bigint":
      return v < 0
        ? { tag: "int", val: exactInt(v, S64_MIN, S64_MAX, what) }
        : { tag: "uint", val: exactInt(v, 0n, U64_MAX, what) };
  }
  if (v instanceof Uint8Array) return { tag: "bytes", val: v };
  if (ArrayBuffer.isView(v)) return { tag: "bytes", val: new Uint8Array(v.buffer, v.byteOffset, v.byteLength) };
  if (Array.isArray(v)) {
    const bad = v.findIndex((s) => typeof s !== "string");
    if (bad >= 0) throw new TypeError(`${what}[${bad}]: ${describeValue(v[bad])} is not a string; lists hold strings only`);
    return { tag: "str-list", val: v.slice() };
  }
  if (v !== null && typeof v === "object" && VALUE_TAGS.includes(v.tag)) return checkTagged(v, what);
  throw new TypeError(`${what}: ${describeValue(v)} has no WIT value type`);
}

function checkTagged(v, what) {
  const { tag, val } = v;
  switch (tag) {
    case "int":
      return { tag, val: exactInt(val, S64_MIN, S64_MAX, what) };
    case "uint":
      return { tag, val: exactInt(val, 0n, U64_MAX, what) };
    case "str":
      if (typeof val === "string") return { tag, val };
      break;
    case "boolean":
      if (typeof val === "boolean") return { tag, val };
      break;
    default: {
      const plain = toValue(val, what);
      if (plain.tag === tag) return plain;
    }
  }
  throw new TypeError(`${what}: ${describeValue(val)} is not a valid ${tag}`);
}

/**
 * The plain JS form of a value (`{ tag, val }`): a string, a Number (or a
 * BigInt beyond 2^53), a boolean, a Uint8Array or a string array.
 * Integers an engine could not lift exactly (a QuickJS double beyond
 * 2^53) come back undefined.
 */
export function fromValue(value) {
  if (value === null || typeof value !== "object") return undefined;
  switch (value.tag) {
    case "int":
      return lift64(value.val, false);
    case "uint":
      return lift64(value.val, true);
    case "bytes":
      return value.val instanceof Uint8Array ? value.val : Uint8Array.from(value.val ?? []);
    default:
      return value.val;
  }
}

// ---------------------------------------------------------------------------
// Events

// The accessors below name the offsets of wire.js AT as literals: under an
// interpreter, `AT.COMM` is a property lookup on every read.

/**
 * The process context of an event, read from the batch on access. The
 * fields are those of the former WIT process-context record; 64-bit ones
 * are Numbers below 2^53 and exact BigInts from there up.
 */
export class Process {
  constructor(event) {
    this._e = event;
  }
  /** The 64-bit entity id (unique for the host's lifetime; usually beyond 2^53, so a BigInt). */
  get entityId() {
    return wire.int64(this._e, 16, false) ?? 0;
  }
  get parentEntityId() {
    return wire.int64(this._e, 24, false) ?? 0;
  }
  /** Start in clock ticks since boot. */
  get startTicks() {
    return wire.int64(this._e, 32, false) ?? 0;
  }
  get cgroupId() {
    return wire.int64(this._e, 40, false) ?? 0;
  }
  get pid() {
    return wire.u32(this._e, 48) ?? 0;
  }
  get tid() {
    return wire.u32(this._e, 52) ?? 0;
  }
  get ppid() {
    return wire.u32(this._e, 56) ?? 0;
  }
  get uid() {
    return wire.u32(this._e, 60) ?? 0;
  }
  get gid() {
    return wire.u32(this._e, 64) ?? 0;
  }
  get comm() {
    return wire.strAt(this._e, 76) ?? "";
  }
  get exe() {
    return wire.strAt(this._e, 84) ?? "";
  }
  /** Empty when the process is not in a container. */
  get containerId() {
    return wire.strAt(this._e, 92) ?? "";
  }
  /** Every field at once (for logging: `console.log(ev.process)`). */
  toJSON() {
    const o = {};
    for (const k of PROCESS_FIELDS) o[k] = this[k];
    return o;
  }
}

const PROCESS_FIELDS = [
  "entityId", "parentEntityId", "pid", "tid", "ppid", "startTicks",
  "comm", "exe", "uid", "gid", "cgroupId", "containerId",
];

/**
 * One event of a batch, read in place: each accessor decodes its field
 * from the batch's bytes when called, so a field the detector never reads
 * costs nothing; the string or argument read last is remembered, so
 * reading it again right away costs almost nothing either. Argument
 * accessors return plain values, or undefined when the argument is
 * absent, of another type, or malformed. When two arguments share a
 * name, the first one is the argument.
 */
export class Event {
  /** Made by the SDK from a batch (see `readBatch`), not by detectors. */
  constructor(bytes, dv, start, length) {
    // The fields wire.js reads an event by. Each field a constructor sets
    // costs every event (~170 ns under QuickJS): nothing else is set here.
    this._b = bytes;
    this._dv = dv;
    this._o = start;
    this._n = length;
  }

  /** Tracee-style event name, e.g. `security_socket_connect`. */
  get name() {
    return wire.strAt(this, 68) ?? "";
  }
  /** Position in the host's stream (Number, or BigInt from 2^53). */
  get seq() {
    return wire.int64(this, 0, false) ?? 0;
  }
  /** Nanoseconds since the Unix epoch (a BigInt for any current date: it is beyond 2^53). */
  get timestamp() {
    return wire.int64(this, 8, false) ?? 0;
  }
  /** The process the event came from (`Process`). */
  get process() {
    // Set on first use only, for the reason given in the constructor.
    if (this._p === undefined) this._p = new Process(this);
    return this._p;
  }
  // The shortcuts read the batch directly rather than through `process`:
  // they are the most used fields, and each call costs in an interpreter.
  get comm() {
    return wire.strAt(this, 76) ?? "";
  }
  get exe() {
    return wire.strAt(this, 84) ?? "";
  }
  get pid() {
    return wire.u32(this, 48) ?? 0;
  }
  get uid() {
    return wire.u32(this, 60) ?? 0;
  }
  /** Empty when the process is not in a container. */
  get containerId() {
    return wire.strAt(this, 92) ?? "";
  }
  /** The process's entity id (see `Process.entityId` and `stores.processes`). */
  get entityId() {
    return wire.int64(this, 16, false) ?? 0;
  }
  /** The event's encoded bytes (docs/wire-encoding.md), a view into the batch. */
  get encoded() {
    return this._b.subarray(this._o, this._o + this._n);
  }

  // The table entry of the first argument named `name`, or -1. Names are
  // compared as bytes, so a lookup decodes nothing but the value it returns.
  _entry(name) {
    return typeof name === "string" ? wire.findArg(this, name) : -1;
  }
  // The value of argument `name` when its kind byte is `kind`.
  _typed(name, kind) {
    const e = this._entry(name);
    return e >= 0 && wire.kindByte(this, e) === kind ? wire.value(this, e) : undefined;
  }
  // The value of the entry at `e` in plain form (see `arg`).
  _plain(e) {
    const v = wire.value(this, e);
    if (v === undefined) return undefined;
    switch (wire.kindByte(this, e)) {
      case BYTES:
        return v.slice();
      case STR_LIST:
        return wire.strList(this, e + 16);
      default:
        return v;
    }
  }

  /** True when argument `name` is present and well-formed, whatever its type. */
  has(name) {
    const e = this._entry(name);
    return e >= 0 && wire.value(this, e) !== undefined;
  }
  /** The kind of argument `name`: `str`, `int`, `uint`, `boolean`, `bytes` or `str-list`. */
  kind(name) {
    const e = this._entry(name);
    return e >= 0 && wire.value(this, e) !== undefined ? wire.KINDS[wire.kindByte(this, e)] : undefined;
  }
  /**
   * The plain value of argument `name`: a string, a Number (a BigInt from
   * 2^53 up), a boolean, a Uint8Array (a copy) or a string array.
   */
  arg(name) {
    const e = this._entry(name);
    return e < 0 ? undefined : this._plain(e);
  }
  /** A string argument. */
  str(name) {
    const e = typeof name === "string" ? wire.findArg(this, name) : -1;
    return e >= 0 && this._b[this._o + e + 8] === STR ? wire.strAt(this, e + 16) : undefined;
  }
  /** An integer argument of either sign as a Number, when |v| < 2^53 (else see `bigint`). */
  int(name) {
    const e = typeof name === "string" ? wire.findArg(this, name) : -1;
    if (e < 0) return undefined;
    const k = this._b[this._o + e + 8];
    if (k !== INT && k !== UINT) return undefined;
    const v = wire.int64(this, e + 16, k === INT);
    return typeof v === "number" ? v : undefined;
  }
  /** An integer argument of either sign as an exact BigInt. */
  bigint(name) {
    const e = this._entry(name);
    if (e < 0) return undefined;
    const k = wire.kindByte(this, e);
    return k === INT || k === UINT ? wire.big64(this, e + 16, k === INT) : undefined;
  }
  /** A boolean argument. */
  bool(name) {
    return this._typed(name, BOOLEAN);
  }
  /** A bytes argument, as a Uint8Array of its own (not a view into the batch). */
  bytes(name) {
    return this._typed(name, BYTES)?.slice();
  }
  /** A string-list argument (e.g. `argv`); an element that is not UTF-8 reads as "". */
  list(name) {
    const e = this._entry(name);
    return e >= 0 && wire.kindByte(this, e) === STR_LIST ? wire.strList(this, e + 16) : undefined;
  }

  /**
   * Every well-formed argument in the producer's order, duplicates
   * included: `[{ name, kind, value }]` with `value` as `arg()` gives it.
   * Decodes everything; the accessors above are the cheap way.
   */
  args() {
    const out = [];
    const n = wire.argCount(this);
    for (let i = 0; i < n; i++) {
      const e = wire.HEADER_LEN + i * wire.ARG_LEN;
      const name = wire.strAt(this, e);
      const kind = wire.KINDS[wire.kindByte(this, e)];
      if (name === undefined || kind === undefined) continue;
      const plain = this._plain(e);
      if (plain !== undefined) out.push({ name, kind, value: plain });
    }
    return out;
  }
  /** Names of the well-formed arguments, in event order. */
  argNames() {
    return this.args().map((a) => a.name);
  }
  /** Every field at once (for logging: `console.log(ev)`). */
  toJSON() {
    return { seq: this.seq, timestamp: this.timestamp, name: this.name, process: this.process.toJSON(), args: this.args() };
  }
}

/** `arg(ev, name)`: the plain value of an argument of an Event. */
export function arg(ev, name) {
  return ev instanceof Event ? ev.arg(name) : undefined;
}

/**
 * The events of an encoded batch (docs/wire-encoding.md), as the
 * `on-events` export receives it: a Uint8Array (or any ArrayBuffer view,
 * an ArrayBuffer, an array of byte values). Never throws: a malformed
 * batch gives fewer or emptier events.
 */
export function readBatch(events) {
  const f = wire.frame(events);
  const out = new Array(f.count);
  for (let i = 0; i < f.count; i++) out[i] = wire.itemAt(f, i, Event);
  return out;
}

/**
 * What a detector reported, from an encoded output record list (the
 * buffer `on-events` hands to `host.report`): `{ detections: [{ index,
 * detection: { fields, severity } }], errors: [{ index, message }] }`,
 * fields as `{ name, value: { tag, val } }` and severity null for the
 * definition's. For tools and tests; never throws.
 */
export function readOutput(bytes) {
  return wire.readOutput(bytes);
}

// ---------------------------------------------------------------------------
// Store answers
//
// Every store call that answers with records (processes, containers, DNS,
// kernel symbols, IP reputation) gets one byte buffer, a record list framed
// like a batch (docs/wire-encoding.md, "Store answers"). The views below
// read it in place, like Event: constructing one decodes nothing, and each
// getter decodes its field from the answer's bytes when it is read. A
// field that does not fit inside its record reads as absent (0, "", [],
// null), never as an exception. 64-bit fields are exact under both
// engines: a Number below 2^53, a BigInt from there up. The offsets are
// those of wire.js REC, written as literals for the reason given above
// Process.

/** What every record view shares: its place in the answer's bytes. */
class RecordView {
  /** Made by the SDK from an answer (see `readRecords`), not by detectors. */
  constructor(bytes, dv, start, length) {
    this._b = bytes;
    this._dv = dv;
    this._o = start;
    this._n = length;
  }
  /** The record's encoded bytes, a view into the answer. */
  get encoded() {
    return this._b.subarray(this._o, this._o + this._n);
  }
}

// An `option<u64>` encoded as 0 when absent.
function optTime(v, at) {
  const t = wire.int64(v, at, false);
  return t === undefined || t === 0 ? null : t;
}

/**
 * A process of the process tree (`stores.processes`). Not the `Process` of
 * an event: the store knows the whole exec (`argv`, start and exit times).
 */
export class ProcessRecord extends RecordView {
  /** The 64-bit entity id (usually beyond 2^53, so a BigInt). */
  get entityId() {
    return wire.int64(this, 0, false) ?? 0;
  }
  /** 0 when unknown. */
  get parentEntityId() {
    return wire.int64(this, 8, false) ?? 0;
  }
  /** ns since the Unix epoch. */
  get startTime() {
    return wire.int64(this, 16, false) ?? 0;
  }
  /** ns since the Unix epoch; null while the process runs. */
  get exitTime() {
    return optTime(this, 24);
  }
  get pid() {
    return wire.u32(this, 32) ?? 0;
  }
  get ppid() {
    return wire.u32(this, 36) ?? 0;
  }
  get uid() {
    return wire.u32(this, 40) ?? 0;
  }
  get gid() {
    return wire.u32(this, 44) ?? 0;
  }
  /** Binary name, e.g. `bash`. */
  get name() {
    return wire.strAt(this, 48) ?? "";
  }
  /** Full executable path. */
  get exe() {
    return wire.strAt(this, 56) ?? "";
  }
  /** Empty outside containers. */
  get containerId() {
    return wire.strAt(this, 64) ?? "";
  }
  /** Arguments of the last exec, a new array on each read. */
  get argv() {
    return wire.strList(this, 72) ?? [];
  }
  /** True when the binary name or the basename of the executable is `name`. */
  is(name) {
    if (this.name === name) return true;
    const exe = this.exe;
    return exe.slice(exe.lastIndexOf("/") + 1) === name;
  }
  /** Every field at once (for logging). */
  toJSON() {
    return fieldsOf(this, PROCESS_RECORD_FIELDS);
  }
}

const PROCESS_RECORD_FIELDS = [
  "entityId", "parentEntityId", "startTime", "exitTime", "pid", "ppid", "uid", "gid",
  "name", "exe", "containerId", "argv",
];

function fieldsOf(view, names) {
  const o = {};
  for (const k of names) o[k] = view[k];
  return o;
}

/** A container known to the host (`stores.containers`). */
export class ContainerRecord extends RecordView {
  /** ns since the Unix epoch. */
  get startTime() {
    return wire.int64(this, 0, false) ?? 0;
  }
  /** Full container id. */
  get id() {
    return wire.strAt(this, 8) ?? "";
  }
  get name() {
    return wire.strAt(this, 16) ?? "";
  }
  /** Image reference. */
  get image() {
    return wire.strAt(this, 24) ?? "";
  }
  get imageDigest() {
    return wire.strAt(this, 32) ?? "";
  }
  /** `docker`, `containerd`, `crio` or `podman`. */
  get runtime() {
    return wire.strAt(this, 40) ?? "";
  }
  /** The pod the container belongs to (a `Pod`), or null. */
  get pod() {
    const flags = wire.u8(this, 72) ?? 0;
    return (flags & 1) === 0 ? null : new Pod(this, (flags & 2) !== 0);
  }
  /** Every field at once (for logging). */
  toJSON() {
    const o = fieldsOf(this, CONTAINER_RECORD_FIELDS);
    o.pod = o.pod === null ? null : o.pod.toJSON();
    return o;
  }
}

const CONTAINER_RECORD_FIELDS = ["startTime", "id", "name", "image", "imageDigest", "runtime", "pod"];

/** The pod of a container, read from the container's record. */
export class Pod {
  constructor(container, sandbox) {
    this._c = container;
    this._sandbox = sandbox;
  }
  get name() {
    return wire.strAt(this._c, 48) ?? "";
  }
  get uid() {
    return wire.strAt(this._c, 56) ?? "";
  }
  get namespace() {
    return wire.strAt(this._c, 64) ?? "";
  }
  /** True for the pod's sandbox (pause) container. */
  get sandbox() {
    return this._sandbox;
  }
  toJSON() {
    return { name: this.name, uid: this.uid, namespace: this.namespace, sandbox: this.sandbox };
  }
}

/** The DNS cache's answer for a name or an address (`stores.dns`). */
export class DnsRecord extends RecordView {
  /** The name or address asked about. */
  get query() {
    return wire.strAt(this, 0) ?? "";
  }
  /** Addresses the name resolved to, after following CNAMEs; a new array on each read. */
  get ips() {
    return wire.strList(this, 8) ?? [];
  }
  /**
   * The CNAME chain of a domain query, or the names that resolved to the
   * address of an IP query; a new array on each read.
   */
  get domains() {
    return wire.strList(this, 16) ?? [];
  }
  /** Every field at once (for logging). */
  toJSON() {
    return { query: this.query, ips: this.ips, domains: this.domains };
  }
}

/** A kernel symbol, with the address it was asked about (`stores.kernelSymbols`). */
export class SymbolRecord extends RecordView {
  /** The address that was asked about (a BigInt: kernel addresses are beyond 2^53). */
  get query() {
    return wire.int64(this, 0, false) ?? 0;
  }
  /** The symbol's start address. */
  get address() {
    return wire.int64(this, 8, false) ?? 0;
  }
  get name() {
    return wire.strAt(this, 16) ?? "";
  }
  /** Owning module; `system` for the core kernel. */
  get module() {
    return wire.strAt(this, 24) ?? "";
  }
  /** Every field at once (for logging). */
  toJSON() {
    return { query: this.query, address: this.address, name: this.name, module: this.module };
  }
}

/** An entry of an ip-reputation store, with the source that wrote it. */
export class ReputationRecord extends RecordView {
  /** ns since the Unix epoch. */
  get lastUpdated() {
    return wire.int64(this, 0, false) ?? 0;
  }
  /** The address or CIDR prefix the entry was written for. */
  get ip() {
    return wire.strAt(this, 8) ?? "";
  }
  /** The source that wrote the entry. */
  get source() {
    return wire.strAt(this, 16) ?? "";
  }
  /** Free-form tags, e.g. `c2`; a new array on each read. */
  get tags() {
    return wire.strList(this, 24) ?? [];
  }
  /** One of REPUTATION_STATUSES; an unknown code reads as `unknown`. */
  get status() {
    return REPUTATION_STATUSES[wire.u8(this, 32) ?? 0] ?? "unknown";
  }
  /** 1 (lowest) to 10 (highest); 0 when absent. */
  get severity() {
    return wire.u8(this, 33) ?? 0;
  }
  /** Every field at once (for logging). */
  toJSON() {
    return fieldsOf(this, REPUTATION_RECORD_FIELDS);
  }
}

const REPUTATION_RECORD_FIELDS = ["lastUpdated", "ip", "source", "tags", "status", "severity"];

/**
 * The records of one store answer, each read on access as a view of the
 * answer's kind (`ProcessRecord`, …). Iterable and indexed with `at(i)`
 * (negative from the end), like an array that builds an element only when
 * it is asked for; `toArray()` gives a real array of the views.
 */
export class Records {
  /** Made by the SDK from an answer (see `readRecords`), not by detectors. */
  constructor(bytes, View) {
    this._f = wire.frame(bytes);
    this._V = View;
  }
  /** Number of records. */
  get length() {
    return this._f.count;
  }
  /** Record `i` (from the end when negative), or undefined past either end. */
  at(i) {
    const n = this._f.count;
    if (typeof i !== "number" || !Number.isInteger(i)) return undefined;
    const k = i < 0 ? n + i : i;
    return k >= 0 && k < n ? wire.itemAt(this._f, k, this._V) : undefined;
  }
  /** The first record, or undefined when there is none. */
  first() {
    return this.at(0);
  }
  *[Symbol.iterator]() {
    const f = this._f;
    for (let i = 0; i < f.count; i++) yield wire.itemAt(f, i, this._V);
  }
  /** A real array of the views. */
  toArray() {
    const f = this._f;
    const out = new Array(f.count);
    for (let i = 0; i < f.count; i++) out[i] = wire.itemAt(f, i, this._V);
    return out;
  }
  map(fn) {
    return this.toArray().map(fn);
  }
  filter(fn) {
    return this.toArray().filter(fn);
  }
  /** The first record for which `fn` is true; stops there. */
  find(fn) {
    let i = 0;
    for (const r of this) if (fn(r, i++)) return r;
    return undefined;
  }
  /** True when `fn` is true for some record; stops at the first. */
  some(fn) {
    return this.find(fn) !== undefined;
  }
  forEach(fn) {
    let i = 0;
    for (const r of this) fn(r, i++);
  }
  /** Every record's fields (for logging). */
  toJSON() {
    return this.map((r) => r.toJSON());
  }
}

/**
 * The records of an encoded store answer (docs/wire-encoding.md), as a
 * `Records` of `View` (`ProcessRecord`, `ContainerRecord`, `DnsRecord`,
 * `SymbolRecord` or `ReputationRecord`): for tools and tests, the stores
 * call it for you. Never throws: a malformed answer gives fewer or
 * emptier records.
 */
export function readRecords(bytes, View) {
  return new Records(bytes, View);
}

// The one record of an answer that names one thing. The host always sends
// exactly one; an empty or malformed answer is a record whose every field
// reads as absent, never an exception.
function single(bytes, View) {
  const f = wire.frame(bytes);
  return f.count > 0 ? wire.itemAt(f, 0, View) : new View(f.b, f.dv, 0, 0);
}

// ---------------------------------------------------------------------------
// Configuration

/** The key/value pairs given to `init`, from the host's TOML file or a scenario's `config:`. */
export class Config {
  constructor(entries = []) {
    this._entries = entries.map(([k, v]) => [String(k), String(v)]);
  }
  /** The value of `key` (the last one when repeated), or `fallback`. */
  get(key, fallback = undefined) {
    for (let i = this._entries.length - 1; i >= 0; i--) {
      if (this._entries[i][0] === key) return this._entries[i][1];
    }
    return fallback;
  }
  has(key) {
    return this.get(key) !== undefined;
  }
  /** A list value split on commas and whitespace, empty items dropped. */
  list(key) {
    const v = this.get(key);
    return v === undefined ? [] : v.split(/[\s,]+/).filter((s) => s.length > 0);
  }
  /** A non-negative integer; throws an Error naming the key when the text is not one. */
  number(key, fallback) {
    const v = this.get(key);
    if (v === undefined) return fallback;
    const t = v.trim();
    if (!/^[0-9]+$/.test(t) || !Number.isSafeInteger(Number(t))) {
      throw new Error(`config ${JSON.stringify(key)}: ${JSON.stringify(v)} is not a number`);
    }
    return Number(t);
  }
  /** `true`/`yes`/`on`/`1` or `false`/`no`/`off`/`0`; throws an Error naming the key otherwise. */
  bool(key, fallback) {
    const v = this.get(key);
    if (v === undefined) return fallback;
    const t = v.trim().toLowerCase();
    if (["true", "yes", "on", "1"].includes(t)) return true;
    if (["false", "no", "off", "0"].includes(t)) return false;
    throw new Error(`config ${JSON.stringify(key)}: ${JSON.stringify(v)} is not a boolean`);
  }
  /** All pairs, in order. */
  entries() {
    return this._entries.map(([k, v]) => [k, v]);
  }
}

// ---------------------------------------------------------------------------
// Description builders

function text(v, what) {
  if (v === undefined || v === null) return "";
  if (typeof v !== "string") throw new TypeError(`${what} must be a string, got ${describeValue(v)}`);
  return v;
}

function textList(v, what) {
  if (v === undefined || v === null) return [];
  if (!Array.isArray(v) || v.some((s) => typeof s !== "string")) {
    throw new TypeError(`${what} must be an array of strings`);
  }
  return v.slice();
}

function oneOf(v, allowed, what) {
  if (!allowed.includes(v)) throw new TypeError(`${what} must be one of ${allowed.join(", ")}, got ${describeValue(v)}`);
  return v;
}

/** A selector: events named `event` (`"*"` for all) whose fields pass every filter added with `where`. */
export class Selector {
  constructor(event, filters = []) {
    this.event = text(event, "selector event");
    this.filters = filters.map((f, i) => filter(f.field, f.op, f.value, `selector ${event} filter ${i}`));
  }
  /**
   * Adds a filter. `field` is an argument name or `process.comm`,
   * `process.exe`, `process.uid`, `process.pid`, `container.id`; `op` one
   * of FILTER_OPS; numbers and booleans compare as text.
   */
  where(field, op, value) {
    this.filters.push(filter(field, op, value, `selector ${this.event}`));
    return this;
  }
}

function filter(field, op, value, what) {
  return {
    field: text(field, `${what} field`),
    op: oneOf(op, FILTER_OPS, `${what} op`),
    value: typeof value === "number" || typeof value === "bigint" || typeof value === "boolean" ? String(value) : text(value, `${what} value`),
  };
}

/** Selects events named `event` (`"*"` for every event). */
export function select(event) {
  return new Selector(event);
}

/**
 * A finding definition: `{ name, severity, description, mitre: { tactic,
 * technique } (or mitreTactic / mitreTechnique), fields }`.
 */
export function finding(spec) {
  if (spec === null || typeof spec !== "object") throw new TypeError("finding must be an object");
  const mitre = spec.mitre ?? {};
  return {
    name: text(spec.name, "finding name"),
    description: text(spec.description, "finding description"),
    severity: oneOf(spec.severity ?? "medium", SEVERITIES, "finding severity"),
    mitreTactic: text(spec.mitreTactic ?? mitre.tactic, "finding MITRE tactic"),
    mitreTechnique: text(spec.mitreTechnique ?? mitre.technique, "finding MITRE technique"),
    fields: textList(spec.fields, "finding fields"),
  };
}

/**
 * The WIT description from `{ id, name, version, description, selectors,
 * requires (or requiredStores), uses (or optionalStores), finding }`.
 * Selectors may be `select(…)` results or `{ event, filters }` objects.
 */
export function description(spec) {
  if (spec === null || typeof spec !== "object") throw new TypeError("describe() must return an object");
  const selectors = spec.selectors ?? [];
  if (!Array.isArray(selectors)) throw new TypeError("selectors must be an array");
  return {
    id: text(spec.id, "id"),
    name: text(spec.name, "name"),
    version: text(spec.version, "version"),
    description: text(spec.description, "description"),
    selectors: selectors.map((s) => {
      const sel = s instanceof Selector ? s : new Selector(s?.event, s?.filters ?? []);
      return { event: sel.event, filters: sel.filters.map((f) => ({ ...f })) };
    }),
    requiredStores: textList(spec.requires ?? spec.requiredStores, "required stores"),
    optionalStores: textList(spec.uses ?? spec.optionalStores, "optional stores"),
    finding: finding(spec.finding ?? {}),
  };
}

// ---------------------------------------------------------------------------
// Detections

/** One positive result, built by `detection()`. */
export class Detection {
  constructor(fields, severity) {
    this.fields = fields;
    this.severity = severity;
  }
  /** Adds a field (skipped when `value` is undefined or null). */
  field(name, value) {
    if (value !== undefined && value !== null) {
      this.fields.push({ name: text(name, "field name"), value: toValue(value, `field ${name}`) });
    }
    return this;
  }
  /** Overrides the finding's severity for this detection. */
  withSeverity(severity) {
    this.severity = oneOf(severity, SEVERITIES, "detection severity");
    return this;
  }
}

/**
 * A detection from an object of fields (`{ remote_addr: "…", port: 443 }`,
 * converted by `toValue`; undefined and null fields are left out) and
 * options `{ severity }`.
 */
export function detection(fields = {}, options = {}) {
  const d = new Detection([], undefined);
  for (const [name, value] of Object.entries(fields)) d.field(name, value);
  if (options.severity !== undefined && options.severity !== null) d.withSeverity(options.severity);
  return d;
}

// Encodes what `onEvent` returned for event `index` into the call's
// output. Every entry is checked to be a detection before any is written;
// a field of the wrong shape (pushed onto `fields` by hand) throws halfway,
// and the caller rolls the event back, so a bad result becomes that
// event's error, not half a result.
function addDetections(output, index, out) {
  if (out === undefined || out === null) return;
  if (out instanceof Detection) {
    output.detection(index, out.fields, out.severity);
    return;
  }
  const list = Array.isArray(out) ? out : [out];
  for (let i = 0; i < list.length; i++) {
    if (!(list[i] instanceof Detection)) {
      throw new TypeError(`onEvent result [${i}] is ${describeValue(list[i])}; return detection(…) values`);
    }
  }
  for (const d of list) output.detection(index, d.fields, d.severity);
}

// ---------------------------------------------------------------------------
// Logging and the clock

function write(level, message) {
  let line;
  try {
    line = typeof message === "string" ? message : String(message);
  } catch {
    line = `<${typeName(message)}>`;
  }
  host.log(level, line);
}

/**
 * Lines tagged with the detector id, rate-limited and truncated by the
 * host. Standard output goes nowhere in the sandbox; use these.
 */
export const log = Object.freeze({
  trace: (m) => write("trace", m),
  debug: (m) => write("debug", m),
  info: (m) => write("info", m),
  warn: (m) => write("warn", m),
  error: (m) => write("error", m),
});

/** The host clock in ns since the Unix epoch (BigInt under StarlingMonkey); fixed under the mock host. */
export function now() {
  return host.now();
}

// Under QuickJS the build replaces every WASI import with a trap, so the
// engine's own console, Date.now(), new Date() and performance.now() would
// kill the instance;
// under StarlingMonkey they would print nowhere and read a clock the
// sandbox does not give. Both are pointed at the host instead: console
// lines become host log lines, and the current time is the host clock
// (the fixed scenario clock under `sandtrap test`, so tests stay
// reproducible). Nothing here calls the host until first use: the build
// snapshots this module, and imports cannot be called then.
function hostMillis() {
  const ns = host.now();
  return typeof ns === "bigint" ? Number(ns / 1000000n) : Math.floor(ns / 1e6);
}

function formatArgs(args) {
  return args
    .map((a) => {
      if (typeof a === "string") return a;
      if (a instanceof Error) return a.stack || `${a.name}: ${a.message}`;
      try {
        return JSON.stringify(a, (_, v) => (typeof v === "bigint" ? `${v}n` : v)) ?? String(a);
      } catch {
        return String(a);
      }
    })
    .join(" ");
}

const NativeDate = globalThis.Date;
class HostDate extends NativeDate {
  constructor(...args) {
    if (args.length === 0) super(hostMillis());
    else super(...args);
  }
  static now() {
    return hostMillis();
  }
}
globalThis.Date = HostDate;

let timeOrigin;
globalThis.performance = Object.freeze({
  now() {
    const ns = host.now();
    const ms = typeof ns === "bigint" ? Number(ns) / 1e6 : ns / 1e6;
    if (timeOrigin === undefined) timeOrigin = ms;
    return ms - timeOrigin;
  },
});

globalThis.console = Object.freeze({
  log: (...a) => write("info", formatArgs(a)),
  info: (...a) => write("info", formatArgs(a)),
  debug: (...a) => write("debug", formatArgs(a)),
  trace: (...a) => write("trace", formatArgs(a)),
  warn: (...a) => write("warn", formatArgs(a)),
  error: (...a) => write("error", formatArgs(a)),
});

// ---------------------------------------------------------------------------
// Stores

/** A store's sentinel error: `kind` is not-found, store-unhealthy, not-implemented or invalid-argument. */
export class StoreError extends Error {
  constructor(kind, detail) {
    super(detail ? `${kind}: ${detail}` : kind);
    this.name = "StoreError";
    this.kind = kind;
    this.detail = detail;
  }
  get notFound() {
    return this.kind === "not-found";
  }
}

// Runs an import, turning its `result` error (thrown by both engines as an
// Error whose `payload` is the store-error variant) into a StoreError, and
// bad arguments found before the call into `invalid-argument`.
function call(f) {
  try {
    return f();
  } catch (e) {
    if (e instanceof StoreError) throw e;
    if (e instanceof TypeError || e instanceof RangeError) throw new StoreError("invalid-argument", e.message);
    const p = e?.payload;
    if (p && typeof p === "object" && STORE_ERROR_KINDS.includes(p.tag)) {
      throw new StoreError(p.tag, typeof p.val === "string" ? p.val : undefined);
    }
    throw e;
  }
}

/**
 * `ifFound(() => stores.dns.getDnsResponse(ip))`: the answer, or null when
 * the store says not-found. Other store errors are thrown.
 */
export function ifFound(f) {
  try {
    return f();
  } catch (e) {
    if (e instanceof StoreError && e.notFound) return null;
    throw e;
  }
}

function str(v, what) {
  if (typeof v !== "string") throw new TypeError(`${what} must be a string, got ${describeValue(v)}`);
  return v;
}

function u64(v, what) {
  return lower64(v, 0n, U64_MAX, what);
}

function u32(v, what) {
  if (!Number.isInteger(typeof v === "bigint" ? Number(v) : v) || v < 0 || v > 0xffffffff) {
    throw new RangeError(`${what}: ${describeValue(v)} is not a u32`);
  }
  return Number(v);
}

function s32(v, what) {
  if (!Number.isInteger(typeof v === "bigint" ? Number(v) : v) || v < -0x80000000 || v > 0x7fffffff) {
    throw new RangeError(`${what}: ${describeValue(v)} is not an s32`);
  }
  return Number(v);
}

function optText(v, what) {
  return v === undefined || v === null ? null : str(v, what);
}

/** A reader of a writable ip-reputation store. */
export class ReputationReader {
  constructor(handle) {
    this._h = handle;
  }
  /**
   * The winning entry for an address under the store's conflict policy
   * (exact address first, then the longest prefix that contains it), as a
   * ReputationRecord: `ip`, `source`, `status`, `severity`, `tags`,
   * `lastUpdated`.
   */
  get(ip) {
    return call(() => single(this._h.get(str(ip, "ip")), ReputationRecord));
  }
  /** Every source's entry for the matched key, in source order: Records of ReputationRecord. */
  getAll(ip) {
    return call(() => new Records(this._h.getAll(str(ip, "ip")), ReputationRecord));
  }
  isBlacklisted(ip) {
    return call(() => this._h.isBlacklisted(str(ip, "ip")));
  }
  listSources() {
    return call(() => this._h.listSources());
  }
}

function reputationEntry(e) {
  if (e === null || typeof e !== "object") throw new TypeError("reputation entry must be an object");
  const severity = e.severity;
  if (!Number.isInteger(severity) || severity < 0 || severity > 255) throw new RangeError(`severity ${describeValue(severity)} is not a u8`);
  return {
    ip: str(e.ip, "ip"),
    status: oneOf(e.status, REPUTATION_STATUSES, "status"),
    severity,
    tags: textList(e.tags, "tags"),
    lastUpdated: u64(e.lastUpdated ?? host.now(), "lastUpdated"),
  };
}

/** The owner's writer of an ip-reputation store. */
export class ReputationWriter {
  constructor(handle) {
    this._h = handle;
  }
  /** Writes `{ ip, status, severity (1–10), tags, lastUpdated (ns, default now) }`. */
  write(source, entry) {
    return call(() => this._h.write(str(source, "source"), reputationEntry(entry)));
  }
  /** Returns how many entries were written; stops at the first bad one. */
  writeBatch(source, entries) {
    return call(() => {
      if (!Array.isArray(entries)) throw new TypeError("entries must be an array");
      return this._h.writeBatch(str(source, "source"), entries.map(reputationEntry));
    });
  }
  delete(source, ip) {
    return call(() => this._h.delete(str(source, "source"), str(ip, "ip")));
  }
  clear(source) {
    return call(() => this._h.clear(str(source, "source")));
  }
  listSources() {
    return call(() => this._h.listSources());
  }
  reader() {
    return new ReputationReader(call(() => this._h.reader()));
  }
}

/**
 * A reader opened on first use, so a detector can start before the owner
 * of the store registered it: `get()` is the reader, or null while the
 * store does not exist.
 */
export class LazyReader {
  constructor(name) {
    this.name = str(name, "store name");
    this._reader = null;
  }
  get() {
    if (this._reader === null) {
      this._reader = ifFound(() => stores.ipReputation.open(this.name));
    }
    return this._reader;
  }
}

/**
 * The host's stores. Every function returns the answer or throws a
 * StoreError (`ifFound` turns not-found into null). 64-bit arguments take a
 * Number or a BigInt. Records come back as views read on access: one
 * record (`ProcessRecord`, `ContainerRecord`, `DnsRecord`,
 * `ReputationRecord`) for a call that names one thing, `Records` of them
 * for the others.
 */
export const stores = Object.freeze({
  processes: Object.freeze({
    /** The process with this entity id: a ProcessRecord. */
    getProcess: (entityId) => call(() => single(processesApi.getProcess(u64(entityId, "entity id")), ProcessRecord)),
    /** Direct children (Records of ProcessRecord); empty when there are none. */
    getChildProcesses: (entityId) =>
      call(() => new Records(processesApi.getChildProcesses(u64(entityId, "entity id")), ProcessRecord)),
    /**
     * Records of ProcessRecord: `at(0)` the process itself, `at(1)` its
     * parent, …; at most `maxDepth` of them.
     */
    getAncestry: (entityId, maxDepth) =>
      call(() => new Records(processesApi.getAncestry(u64(entityId, "entity id"), u32(maxDepth, "max depth")), ProcessRecord)),
  }),
  containers: Object.freeze({
    /** By full id or a unique prefix of at least 12 characters: a ContainerRecord. */
    getContainer: (id) => call(() => single(containersApi.getContainer(str(id, "container id")), ContainerRecord)),
    /** A ContainerRecord. */
    getContainerByName: (name) =>
      call(() => single(containersApi.getContainerByName(str(name, "container name")), ContainerRecord)),
    /** Running containers matching every given field of `{ name, image, runtime }`: Records of ContainerRecord. */
    listContainers: (filter) =>
      call(() => {
        const wanted =
          filter === undefined || filter === null
            ? null
            : {
                name: optText(filter.name, "name"),
                image: optText(filter.image, "image"),
                runtime: optText(filter.runtime, "runtime"),
              };
        return new Records(containersApi.listContainers(wanted), ContainerRecord);
      }),
  }),
  system: Object.freeze({
    getSystemInfo: () => call(() => systemApi.getSystemInfo()),
  }),
  syscalls: Object.freeze({
    getSyscallName: (id) => call(() => syscallsApi.getSyscallName(s32(id, "syscall id"))),
    getSyscallId: (name) => call(() => syscallsApi.getSyscallId(str(name, "syscall name"))),
  }),
  kernelSymbols: Object.freeze({
    /** Every alias of the symbol whose code contains `address`: Records of SymbolRecord. */
    resolveSymbolByAddress: (address) =>
      call(() => new Records(symbolsApi.resolveSymbolByAddress(u64(address, "address")), SymbolRecord)),
    /** The start address of a named symbol (the engine's 64-bit form). */
    getSymbolAddress: (name) => call(() => symbolsApi.getSymbolAddress(str(name, "symbol name"))),
    /**
     * Records of SymbolRecord: the aliases of each address that resolved,
     * in the order asked, each with the address it answers as `query`;
     * an address that did not resolve has no record.
     */
    resolveSymbolsBatch: (addresses) =>
      call(() => {
        if (!Array.isArray(addresses)) throw new TypeError("addresses must be an array");
        // StarlingMonkey lowers the elements of a list<u64> as BigInts
        // only (a Number is a TypeError), unlike a lone u64 argument.
        const big = exact64();
        const wanted = addresses.map((a, i) => {
          const v = u64(a, `address [${i}]`);
          return big ? BigInt(v) : v;
        });
        return new Records(symbolsApi.resolveSymbolsBatch(wanted), SymbolRecord);
      }),
  }),
  dns: Object.freeze({
    /**
     * A DnsRecord (`query`, `ips`, `domains`) for a domain (its addresses
     * and CNAME chain) or an IP address (the names that resolved to it).
     */
    getDnsResponse: (query) => call(() => single(dnsApi.getDnsResponse(str(query, "query")), DnsRecord)),
  }),
  registry: Object.freeze({
    listStores: () => call(() => registryApi.listStores()),
    isAvailable: (name) => call(() => registryApi.isAvailable(str(name, "store name"))),
    getMetadata: (name) => call(() => registryApi.getMetadata(str(name, "store name"))),
    getHealth: (name) => call(() => registryApi.getHealth(str(name, "store name"))),
    getMetrics: (name) => call(() => registryApi.getMetrics(str(name, "store name"))),
  }),
  ipReputation: Object.freeze({
    /** Creates the store, makes this detector its owner, returns its ReputationWriter. */
    register: (name, policy = "last-write-wins", priorities = []) =>
      new ReputationWriter(
        call(() => {
          if (!Array.isArray(priorities)) throw new TypeError("priorities must be an array");
          return reputationApi.register(
            str(name, "store name"),
            oneOf(policy, CONFLICT_POLICIES, "conflict policy"),
            priorities.map((p) => ({ source: str(p?.source, "source"), priority: u32(p?.priority, "priority") })),
          );
        }),
      ),
    /** A ReputationReader; not-found until some detector registered `name`. */
    open: (name) => new ReputationReader(call(() => reputationApi.open(str(name, "store name")))),
  }),
});

// ---------------------------------------------------------------------------
// The export

function errorMessage(e) {
  try {
    if (e instanceof StoreError) return `store error: ${e.message}`;
    if (e instanceof Error) return e.message || e.name;
    return typeof e === "string" ? e : String(e);
  } catch {
    return "detector error";
  }
}

/**
 * The `guest` export of a detector:
 *
 *   export const guest = exportDetector({ describe, init, onEvent, close });
 *
 * - `describe()` returns a description spec (see `description`), or is the
 *   spec itself. It must not depend on configuration.
 * - `init(config)` (optional) receives a Config; what it returns is handed
 *   to `onEvent` and `close` as their last argument. Throwing refuses the load.
 * - `onEvent(event, state)` receives an Event and returns a detection, an
 *   array of them, or nothing. Throwing (a StoreError included) becomes
 *   the event's error result, which the host counts and logs: not a fault.
 * - `close(state)` (optional) runs once before the instance is dropped.
 *
 * The export's `onEvents(bytes)` (WIT `on-events`) calls `onEvent` for each
 * event of the batch in order and keeps each detection and error with the
 * event's index, so one failing event loses none of the others. What the
 * batch found leaves in one `host.report` call at the end, encoded as one
 * output record list; a batch that found nothing makes no call.
 */
export function exportDetector(spec) {
  if (spec === null || typeof spec !== "object") throw new TypeError("exportDetector needs an object");
  if (typeof spec.onEvent !== "function") throw new TypeError("exportDetector: onEvent must be a function");
  if (typeof spec.describe !== "function" && (spec.describe === null || typeof spec.describe !== "object")) {
    throw new TypeError("exportDetector: describe must be a function or a description object");
  }
  const needsInit = typeof spec.init === "function";
  let state;
  let ready = !needsInit;
  // Kept from call to call, so a call that reports reuses its buffer.
  const output = new OutputBuilder();

  // Errors leave as strings: an Error object thrown across the boundary
  // traps under StarlingMonkey instead of becoming the `err` case.
  return {
    describe() {
      try {
        return description(typeof spec.describe === "function" ? spec.describe() : spec.describe);
      } catch (e) {
        // describe has no error case; say why before the trap refuses the load.
        write("error", `describe failed: ${errorMessage(e)}`);
        throw e;
      }
    },
    init(config) {
      try {
        state = needsInit ? spec.init(new Config(config)) : undefined;
        ready = true;
      } catch (e) {
        throw errorMessage(e);
      }
    },
    // on-events has no error case: whatever happens in here must end up
    // in the output, or the instance traps and every event of the batch
    // is lost with it. The output is encoded as it is found, so the
    // detections of a batch are never held twice.
    onEvents(events) {
      output.reset();
      try {
        const f = wire.frame(events);
        for (let index = 0; index < f.count; index++) {
          output.beginEvent();
          try {
            if (!ready) throw new Error("detector called before init");
            addDetections(output, index, spec.onEvent(wire.itemAt(f, index, Event), state));
          } catch (e) {
            output.rollback();
            output.error(index, errorMessage(e));
          }
        }
      } catch (e) {
        // Not reachable from the input (the reader never throws), but an
        // engine failure such as running out of memory must not trap.
        write("error", `on-events failed: ${errorMessage(e)}`);
      }
      const { index, dropped } = output.overflow;
      if (dropped > 0) write("error", `output over the host's limit: ${dropped} detections and errors from event ${index} on not reported`);
      // Nothing found, nothing crosses: the host counts no report as an
      // empty output.
      const bytes = output.finish();
      if (bytes !== null) host.report(bytes);
    },
    close() {
      try {
        if (typeof spec.close === "function") spec.close(state);
      } catch (e) {
        write("warn", `close failed: ${errorMessage(e)}`);
      } finally {
        state = undefined;
        ready = !needsInit;
      }
    },
  };
}
