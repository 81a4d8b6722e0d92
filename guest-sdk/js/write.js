// Writing the flat buffers of contract 0.4 (docs/wire-encoding.md): the
// output record list that `on-events` hands to `host.report` (what
// sandtrap.js uses), and, with the same argument, string and string-list
// writers, the events and store records that the SDK's tests and tools
// encode (test/encode.mjs). The JavaScript counterpart of
// guest-sdk/wire/src/write.rs; nothing here is part of the SDK's public
// surface.
//
// The host reads the output strictly: a count, bound, kind or severity
// that does not hold, or a string that is not UTF-8, traps the instance
// and loses the whole batch. So every value is checked before a byte of
// it is written (a bad one becomes the event's error, never a malformed
// record), strings are encoded here rather than trusted (a lone UTF-16
// surrogate becomes U+FFFD, as TextEncoder does), and the output of one
// call is held under the host's 4 MiB limit.
import { ARG_LEN, BOOLEAN, BYTES, INT, KINDS, REC, STR, STR_LIST, UINT } from "./wire.js";

/** Most bytes the host accepts from one `on-events` call (host: MAX_REPORT_BYTES). */
export const MAX_REPORT_BYTES = 4 << 20;

const OUT = REC.output;
const DETECTION = 0;
const ERROR = 1;
// Severity bytes: 0 is the definition's, then these from 1.
const SEVERITIES = ["info", "low", "medium", "high", "critical"];

const TWO_32 = 4294967296;
const MAX_SAFE = BigInt(Number.MAX_SAFE_INTEGER);
const U64_MAX = 0xffffffffffffffffn;
const S64_MIN = -0x8000000000000000n;
const S64_MAX = 0x7fffffffffffffffn;

/**
 * Thrown by a Writer asked to grow beyond its hard cap. Far above what the
 * host accepts, so only a value that could never be reported reaches it;
 * the cap keeps such a value from exhausting the instance's memory first.
 */
export class TooLarge extends RangeError {
  constructor() {
    super("encoding too large");
    this.name = "TooLarge";
  }
}

// A few times the host's limit: a string's bytes are reserved at three per
// UTF-16 unit before its length is known.
const HARD_CAP = 4 * MAX_REPORT_BYTES;

// StarlingMonkey has a native TextEncoder; QuickJS (componentize-qjs) has
// none, and uses utf8Into.
const nativeEncoder = (() => {
  try {
    const e = typeof TextEncoder === "function" ? new TextEncoder() : undefined;
    return e !== undefined && typeof e.encodeInto === "function" ? e : undefined;
  } catch {
    return undefined;
  }
})();

/**
 * Writes the UTF-8 form of string `s` into `b` from byte `p` and returns
 * the end. `b` must have room for 3 bytes per UTF-16 unit of `s`. A lone
 * surrogate, which has no UTF-8 form, is written as U+FFFD (EF BF BD), as
 * TextEncoder writes it (test/conformance.test.mjs compares the two).
 */
export function utf8Into(b, p, s) {
  const n = s.length;
  for (let i = 0; i < n; i++) {
    let c = s.charCodeAt(i);
    if (c < 0x80) {
      b[p++] = c;
    } else if (c < 0x800) {
      b[p++] = 0xc0 | (c >> 6);
      b[p++] = 0x80 | (c & 0x3f);
    } else {
      if (c >= 0xd800 && c <= 0xdfff) {
        const d = i + 1 < n ? s.charCodeAt(i + 1) : 0;
        if (c <= 0xdbff && d >= 0xdc00 && d <= 0xdfff) {
          c = 0x10000 + ((c - 0xd800) << 10) + (d - 0xdc00);
          i++;
          b[p++] = 0xf0 | (c >> 18);
          b[p++] = 0x80 | ((c >> 12) & 0x3f);
          b[p++] = 0x80 | ((c >> 6) & 0x3f);
          b[p++] = 0x80 | (c & 0x3f);
          continue;
        }
        c = 0xfffd;
      }
      b[p++] = 0xe0 | (c >> 12);
      b[p++] = 0x80 | ((c >> 6) & 0x3f);
      b[p++] = 0x80 | (c & 0x3f);
    }
  }
  return p;
}

/**
 * A growing byte buffer that items (events, store records, output
 * records) are appended to, as write.rs's Writer: `begin(fixed)` starts an
 * item with a zeroed fixed part, whose first byte is `base`; every `at`
 * below counts from there, and data (string bytes, tables) is appended at
 * `pos`. Offsets stored in the buffer count from `base` too, which makes
 * each item position-independent. The buffer is reused from call to call:
 * `b` and `dv` change when it grows, so nothing keeps them across a write.
 */
export class Writer {
  constructor(capacity = 1024) {
    this.b = new Uint8Array(capacity);
    this.dv = new DataView(this.b.buffer);
    this.pos = 0;
    this.base = 0;
  }
  /** Forgets everything written, keeping the memory. */
  reset() {
    this.pos = 0;
    this.base = 0;
  }
  /** Room for `n` more bytes; throws TooLarge beyond the hard cap. */
  ensure(n) {
    const need = this.pos + n;
    if (need <= this.b.length) return;
    if (need > HARD_CAP) throw new TooLarge();
    let cap = this.b.length * 2;
    while (cap < need) cap *= 2;
    const b = new Uint8Array(Math.min(cap, HARD_CAP));
    b.set(this.b.subarray(0, this.pos));
    this.b = b;
    this.dv = new DataView(b.buffer);
  }
  /** Starts an item of `fixed` zeroed bytes at the end. */
  begin(fixed) {
    this.ensure(fixed);
    this.b.fill(0, this.pos, this.pos + fixed);
    this.base = this.pos;
    this.pos += fixed;
  }
  u8(at, v) {
    this.b[this.base + at] = v;
  }
  u32(at, v) {
    this.dv.setUint32(this.base + at, v, true);
  }
  /**
   * A 64-bit integer of either sign, stored as its two's complement: a
   * safe-integer Number (two 32-bit halves, no BigInt: cheaper under an
   * interpreter) or a BigInt (wrapped to 64 bits).
   */
  u64(at, v) {
    const q = this.base + at;
    if (typeof v === "bigint") {
      this.dv.setBigUint64(q, BigInt.asUintN(64, v), true);
    } else {
      const hi = Math.floor(v / TWO_32);
      this.dv.setUint32(q, v - hi * TWO_32, true);
      this.dv.setInt32(q + 4, hi, true);
    }
  }
  // The (offset, length) pair at `at` for `n` bytes written from `start`;
  // the empty string is (0, 0).
  pair(at, start, n) {
    if (n === 0) return;
    this.dv.setUint32(this.base + at, start - this.base, true);
    this.dv.setUint32(this.base + at + 4, n, true);
  }
  /** Appends `bytes` (a Uint8Array) and points the pair at `at` to them. */
  bytes(at, bytes) {
    const n = bytes.length;
    if (n === 0) return;
    this.ensure(n);
    const start = this.pos;
    this.b.set(bytes, start);
    this.pos = start + n;
    this.pair(at, start, n);
  }
  /**
   * Appends the UTF-8 bytes of `s` and points the str at `at` to them. A
   * Uint8Array is taken as the bytes themselves, so tests can write
   * strings that are not UTF-8; the output encoder never passes one.
   */
  str(at, s) {
    if (typeof s !== "string") {
      if (s instanceof Uint8Array) return this.bytes(at, s);
      s = String(s);
    }
    const n = s.length;
    if (n === 0) return;
    this.ensure(3 * n);
    const start = this.pos;
    if (nativeEncoder !== undefined && n > 16) {
      this.pos = start + nativeEncoder.encodeInto(s, this.b.subarray(start, start + 3 * n)).written;
    } else {
      this.pos = utf8Into(this.b, start, s);
    }
    this.pair(at, start, this.pos - start);
  }
  /**
   * Appends a table of strs, then their bytes, and points the str-list at
   * `at` to the table. An empty list still records where its table would
   * start (the canonical form of docs/wire-encoding.md).
   */
  strList(at, list) {
    const count = list.length;
    this.ensure(8 * count);
    const table = this.pos;
    this.b.fill(0, table, table + 8 * count);
    this.pos = table + 8 * count;
    this.u32(at, table - this.base);
    this.u32(at + 4, count);
    for (let j = 0; j < count; j++) this.str(table - this.base + 8 * j, list[j]);
  }
  /**
   * Fills the argument entry at `entry` (24 zeroed bytes of the item):
   * its name, its kind byte (an index into wire.js KINDS) and its payload.
   * Values are the SDK's plain forms (a string, a safe-integer Number or a
   * BigInt, a boolean, a Uint8Array, an array of strings), checked by the
   * caller.
   */
  arg(entry, name, kind, value) {
    this.str(entry, name);
    this.b[this.base + entry + 8] = kind;
    const p = entry + 16;
    switch (kind) {
      case STR:
        this.str(p, value);
        break;
      case INT:
      case UINT:
        this.u64(p, value);
        break;
      case BOOLEAN:
        this.u64(p, value ? 1 : 0);
        break;
      case BYTES:
        this.bytes(p, value);
        break;
      case STR_LIST:
        this.strList(p, value);
        break;
    }
  }
  /** A copy of everything written. */
  finish() {
    return this.b.slice(0, this.pos);
  }
}

/**
 * Frames items written one after another into `w` (item i starting at
 * `starts[i]`, the first at 0) as a batch or record list: a new
 * Uint8Array of the count, the offset table, then the items' bytes.
 */
export function frame(w, starts) {
  const n = starts.length;
  const table = 4 + 4 * n;
  const out = new Uint8Array(table + w.pos);
  const dv = new DataView(out.buffer);
  dv.setUint32(0, n, true);
  for (let i = 0; i < n; i++) dv.setUint32(4 + 4 * i, table + starts[i], true);
  out.set(w.b.subarray(0, w.pos), table);
  return out;
}

function typeName(v) {
  if (v === null) return "null";
  if (Array.isArray(v)) return "array";
  return typeof v;
}

// A 64-bit integer in the SDK's plain form (a Number when safe, else a
// BigInt), or a RangeError naming `what`. Numbers are compared with
// Numbers only: QuickJS (componentize-qjs 0.4.5) compares a negative
// Number held as a double with a BigInt wrongly (-3 read from an event as
// -4294967296 + 4294967293 is below -(2n ** 63n) there).
function int64(v, min, max, what) {
  if (typeof v === "number") {
    if (Number.isSafeInteger(v) && (min < 0n || v >= 0)) return v;
  } else if (typeof v === "bigint" && v >= min && v <= max) {
    return v >= -MAX_SAFE && v <= MAX_SAFE ? Number(v) : v;
  }
  throw new RangeError(`${what}: ${typeName(v)} ${String(v)} is not a ${min < 0n ? "s64" : "u64"}`);
}

// The kind byte of a detection field's value `{ tag, val }` (sandtrap.js
// toValue's form) after checking that `val` fits it. Values built by
// detection() are already right; this guards fields pushed by hand.
function checkedKind(value, what) {
  const tag = value !== null && typeof value === "object" ? value.tag : undefined;
  const kind = KINDS.indexOf(tag);
  const val = kind < 0 ? undefined : value.val;
  switch (kind) {
    case STR:
      if (typeof val === "string") return kind;
      break;
    case INT:
      int64(val, S64_MIN, S64_MAX, what);
      return kind;
    case UINT:
      int64(val, 0n, U64_MAX, what);
      return kind;
    case BOOLEAN:
      if (typeof val === "boolean") return kind;
      break;
    case BYTES:
      if (val instanceof Uint8Array) return kind;
      break;
    case STR_LIST:
      if (Array.isArray(val) && val.every((s) => typeof s === "string")) return kind;
      break;
    default:
      throw new TypeError(`${what}: ${typeName(value)} is not a value ({ tag, val } with a tag of ${KINDS.join(", ")})`);
  }
  throw new TypeError(`${what}: ${typeName(val)} is not a valid ${tag}`);
}

// Room kept free for the record that says what did not fit, so that the
// output stays under the limit with it: its table entry, fixed part and a
// message of under 200 bytes.
const OVERFLOW_RESERVE = 512;
// A larger buffer is freed after its call rather than kept (as glue.rs).
const MAX_KEPT = 1 << 20;

/**
 * The output of one `on-events` call (docs/wire-encoding.md, "Output"),
 * encoded as it is found: each detection and error becomes an output
 * record in the order they are added, and `finish()` frames them as one
 * record list. Reused from call to call.
 *
 * Per event, `beginEvent()` marks where its records start and
 * `rollback()` drops them, so an event whose result turns out bad halfway
 * becomes one error instead of half a result. Records that would take the
 * output past the host's limit are dropped, from the event that crossed
 * it to the end of the call, and replaced by one error record on that
 * event saying how many were lost.
 */
export class OutputBuilder {
  constructor(limit = MAX_REPORT_BYTES) {
    this.limit = limit;
    this.w = new Writer();
    this.starts = [];
    this.reset();
  }
  /** Starts a new call's output. */
  reset() {
    if (this.w.b.length > MAX_KEPT) this.w = new Writer();
    this.w.reset();
    this.starts.length = 0;
    this.markCount = 0;
    this.markPos = 0;
    // Set once the limit is reached: the first event whose records were
    // dropped, and how many were.
    this.overflowIndex = -1;
    this.dropped = 0;
  }
  /** Number of records so far. */
  get count() {
    return this.starts.length;
  }
  /** Marks the start of one event's records. */
  beginEvent() {
    this.markCount = this.starts.length;
    this.markPos = this.w.pos;
  }
  /** Drops every record added since `beginEvent()`. */
  rollback() {
    this.starts.length = this.markCount;
    this.w.pos = this.markPos;
  }
  /**
   * Adds a detection of event `index`: `fields` an array of `{ name,
   * value: { tag, val } }`, `severity` one of info … critical, or
   * undefined/null for the definition's. Throws a TypeError or RangeError
   * on a field or severity of the wrong shape, having written nothing of
   * it (the caller rolls the event back).
   */
  detection(index, fields, severity) {
    if (this.overflowIndex >= 0) {
      this.dropped++;
      return;
    }
    let code = 0;
    if (severity !== undefined && severity !== null) {
      code = SEVERITIES.indexOf(severity) + 1;
      if (code === 0) throw new TypeError(`detection severity: ${typeName(severity)} ${String(severity)} is not one of ${SEVERITIES.join(", ")}`);
    }
    if (!Array.isArray(fields)) throw new TypeError("detection fields must be an array");
    const n = fields.length;
    const kinds = new Array(n);
    for (let i = 0; i < n; i++) {
      const f = fields[i];
      const name = f?.name;
      if (typeof name !== "string") throw new TypeError(`detection field [${i}]: the name must be a string`);
      kinds[i] = checkedKind(f.value, `field ${name}`);
    }
    const w = this.w;
    const start = w.pos;
    try {
      w.begin(OUT.LEN + n * ARG_LEN);
      w.u32(OUT.INDEX, index);
      w.u8(OUT.KIND, DETECTION);
      w.u8(OUT.SEVERITY, code);
      w.u32(OUT.FIELD_COUNT, n);
      for (let i = 0; i < n; i++) w.arg(OUT.LEN + i * ARG_LEN, fields[i].name, kinds[i], fields[i].value.val);
    } catch (e) {
      w.pos = start;
      if (!(e instanceof TooLarge)) throw e;
    }
    this.added(index, start);
  }
  /** Adds an error of event `index` with `message` (a string). Never throws. */
  error(index, message) {
    if (this.overflowIndex >= 0) {
      this.dropped++;
      return;
    }
    const w = this.w;
    const start = w.pos;
    try {
      w.begin(OUT.LEN);
      w.u32(OUT.INDEX, index);
      w.u8(OUT.KIND, ERROR);
      w.str(OUT.MESSAGE, typeof message === "string" ? message : "detector error");
    } catch {
      // TooLarge: a message this long goes over the limit below.
      w.pos = start;
    }
    this.added(index, start);
  }
  // Keeps the record written from `start`, or, when it failed to write
  // (pos back at start) or takes the output past the limit, drops the
  // event's records from here on.
  added(index, start) {
    const total = 4 + 4 * (this.starts.length + 1) + this.w.pos;
    if (this.w.pos > start && total <= this.limit - OVERFLOW_RESERVE) {
      this.starts.push(start);
      return;
    }
    this.dropped += this.starts.length - this.markCount + 1;
    this.rollback();
    this.overflowIndex = index;
  }
  /**
   * How many records were dropped to stay under the limit, and the event
   * they start at (-1 when none were).
   */
  get overflow() {
    return { index: this.overflowIndex, dropped: this.dropped };
  }
  /**
   * The framed record list, or null when the call found nothing (no
   * report is made then). When records were dropped, one last error
   * record on the first event they belonged to says so.
   */
  finish() {
    if (this.overflowIndex >= 0) {
      const w = this.w;
      const start = w.pos;
      w.begin(OUT.LEN);
      w.u32(OUT.INDEX, this.overflowIndex);
      w.u8(OUT.KIND, ERROR);
      w.str(
        OUT.MESSAGE,
        `output over the host's limit of ${this.limit} bytes per call: ` +
          `${this.dropped} detections and errors from this event on were not reported`,
      );
      this.starts.push(start);
    }
    return this.starts.length === 0 ? null : frame(this.w, this.starts);
  }
}
