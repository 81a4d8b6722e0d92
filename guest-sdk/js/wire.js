// Reading the flat event batch of contract 0.2 (docs/event-encoding.md) in
// place: bounds-checked little-endian reads and UTF-8 decoding, the
// JavaScript counterpart of guest-sdk/wire/src/read.rs. sandtrap.js builds
// its Event API on top; nothing here is part of the SDK's public surface.
//
// The buffer crosses a trust boundary (tests and tools build it by hand),
// so no read throws: a field whose bounds do not fit inside its event, a
// string that is not UTF-8 or an unknown argument kind reads as absent
// (undefined), exactly where read.rs answers None.

/** Size of an event's fixed part, before the argument table. */
export const HEADER_LEN = 104;
/** Size of one argument table entry. */
export const ARG_LEN = 24;

// Offsets of the fixed fields inside an event.
export const AT = Object.freeze({
  SEQ: 0,
  TIMESTAMP: 8,
  ENTITY_ID: 16,
  PARENT_ENTITY_ID: 24,
  START_TICKS: 32,
  CGROUP_ID: 40,
  PID: 48,
  TID: 52,
  PPID: 56,
  UID: 60,
  GID: 64,
  NAME: 68,
  COMM: 76,
  EXE: 84,
  CONTAINER_ID: 92,
  ARG_COUNT: 100,
});

/** Argument kinds by their byte, named like the WIT `value` cases. */
export const KINDS = Object.freeze(["str", "int", "uint", "boolean", "bytes", "str-list"]);

// ---------------------------------------------------------------------------
// UTF-8

// StarlingMonkey has a native TextDecoder; QuickJS (componentize-qjs) has
// none, so a decoder written here stands in. `fatal` makes malformed input
// throw instead of turning into U+FFFD, which is how read.rs's
// `from_utf8(..).ok()` behaves.
const nativeDecoder = (() => {
  try {
    return typeof TextDecoder === "function" ? new TextDecoder("utf-8", { fatal: true }) : undefined;
  } catch {
    return undefined;
  }
})();

// fromCharCode.apply takes one argument per code unit, and engines cap the
// argument count; this chunk size is far below every cap.
const CHUNK = 4096;

const NON_ASCII = /[^\x00-\x7f]/;

function fromCodeUnits(units, n) {
  if (n <= CHUNK) return String.fromCharCode.apply(null, n === units.length ? units : units.slice(0, n));
  let s = "";
  for (let i = 0; i < n; i += CHUNK) s += String.fromCharCode.apply(null, units.slice(i, Math.min(i + CHUNK, n)));
  return s;
}

/**
 * `bytes` as a string, or undefined when they are not well-formed UTF-8
 * (the rules of the Unicode standard, which Rust and WHATWG share:
 * no overlong forms, no surrogates, nothing above U+10FFFF, no truncated
 * sequence). Used where TextDecoder does not exist.
 */
export function decodeUtf8Fallback(bytes) {
  const n = bytes.length;
  // Most strings an event carries are ASCII. Mapping every byte to a
  // character and asking a regular expression whether any is beyond ASCII
  // are two native calls; a loop over the bytes costs several times more in
  // an interpreted engine.
  if (n <= CHUNK) {
    const latin1 = String.fromCharCode.apply(null, bytes);
    if (!NON_ASCII.test(latin1)) return latin1;
  }
  let i = 0;
  while (i < n && bytes[i] < 0x80) i++;
  if (i === n) return fromCodeUnits(bytes, n);
  const units = new Uint16Array(n); // never more UTF-16 units than UTF-8 bytes
  for (let k = 0; k < i; k++) units[k] = bytes[k];
  let u = i;
  while (i < n) {
    const b0 = bytes[i];
    if (b0 < 0x80) {
      units[u++] = b0;
      i++;
      continue;
    }
    let need;
    let cp;
    let lo = 0x80;
    let hi = 0xbf;
    if (b0 >= 0xc2 && b0 <= 0xdf) {
      need = 1;
      cp = b0 & 0x1f;
    } else if (b0 >= 0xe0 && b0 <= 0xef) {
      need = 2;
      cp = b0 & 0x0f;
      if (b0 === 0xe0) lo = 0xa0; // overlong
      else if (b0 === 0xed) hi = 0x9f; // surrogates
    } else if (b0 >= 0xf0 && b0 <= 0xf4) {
      need = 3;
      cp = b0 & 0x07;
      if (b0 === 0xf0) lo = 0x90; // overlong
      else if (b0 === 0xf4) hi = 0x8f; // beyond U+10FFFF
    } else {
      return undefined;
    }
    if (i + need >= n) return undefined; // truncated sequence
    for (let k = 1; k <= need; k++) {
      const b = bytes[i + k];
      // Only the first continuation byte has the narrowed range.
      if (k === 1 ? b < lo || b > hi : b < 0x80 || b > 0xbf) return undefined;
      cp = (cp << 6) | (b & 0x3f);
    }
    i += need + 1;
    if (cp < 0x10000) {
      units[u++] = cp;
    } else {
      cp -= 0x10000;
      units[u++] = 0xd800 | (cp >> 10);
      units[u++] = 0xdc00 | (cp & 0x3ff);
    }
  }
  return fromCodeUnits(units, u);
}

/** `bytes` as a string, or undefined when they are not UTF-8. */
export const decodeUtf8 =
  nativeDecoder === undefined
    ? decodeUtf8Fallback
    : (bytes) => {
        try {
          return nativeDecoder.decode(bytes);
        } catch {
          return undefined;
        }
      };

// The UTF-8 bytes of an argument name a detector looks up. Names come from
// detector code, so there are few of them and the cache stays small; it is
// bounded all the same, since nothing stops a detector from building names.
const nameCache = new Map();
const NAME_CACHE_MAX = 256;

function encodeUtf8(s) {
  const out = [];
  for (let i = 0; i < s.length; i++) {
    let c = s.charCodeAt(i);
    if (c >= 0xd800 && c <= 0xdbff && i + 1 < s.length) {
      const d = s.charCodeAt(i + 1);
      if (d >= 0xdc00 && d <= 0xdfff) {
        c = 0x10000 + ((c - 0xd800) << 10) + (d - 0xdc00);
        i++;
      }
    }
    // A lone surrogate has no UTF-8 form, so no argument has this name.
    if (c >= 0xd800 && c <= 0xdfff) return null;
    if (c < 0x80) out.push(c);
    else if (c < 0x800) out.push(0xc0 | (c >> 6), 0x80 | (c & 0x3f));
    else if (c < 0x10000) out.push(0xe0 | (c >> 12), 0x80 | ((c >> 6) & 0x3f), 0x80 | (c & 0x3f));
    else out.push(0xf0 | (c >> 18), 0x80 | ((c >> 12) & 0x3f), 0x80 | ((c >> 6) & 0x3f), 0x80 | (c & 0x3f));
  }
  return Uint8Array.from(out);
}

/**
 * An argument name prepared for lookups, cached: `{ bytes, ascii }`, its
 * UTF-8 encoding and, when it is ASCII, the name itself. Null when the
 * name has no UTF-8 form (a lone surrogate), so no argument carries it.
 */
export function nameKey(name) {
  let k = nameCache.get(name);
  if (k === undefined) {
    const bytes = encodeUtf8(name);
    k = bytes === null ? null : { bytes, ascii: bytes.length === name.length ? name : null };
    if (nameCache.size >= NAME_CACHE_MAX) nameCache.clear();
    nameCache.set(name, k);
  }
  return k;
}

// ---------------------------------------------------------------------------
// Batch

/**
 * A same-realm Uint8Array over whatever the engine lifted `list<u8>` to.
 * StarlingMonkey hands a Uint8Array from another realm (`instanceof`
 * fails on it), QuickJS one of this realm; a plain array of byte values
 * is accepted for tests. Anything else is an empty batch.
 */
export function asBytes(events) {
  try {
    if (ArrayBuffer.isView(events)) return new Uint8Array(events.buffer, events.byteOffset, events.byteLength);
    if (events instanceof ArrayBuffer) return new Uint8Array(events);
    if (Array.isArray(events)) return Uint8Array.from(events, (v) => v & 0xff);
  } catch {
    // A detached or otherwise unusable buffer: nothing to read.
  }
  return new Uint8Array(0);
}

/**
 * The [start, end) byte range of every event of a batch, from the offset
 * table, flat: event i spans [r[2i], r[2i+1]). A count larger than the
 * table that fits is cut to what fits; an event whose bounds do not fit
 * reads as empty ([0, 0)), as in read.rs.
 */
export function eventBounds(bytes) {
  const len = bytes.length;
  if (len < 4) return new Uint32Array(0);
  const dv = new DataView(bytes.buffer, bytes.byteOffset, len);
  const count = Math.min(dv.getUint32(0, true), Math.floor((len - 4) / 4));
  const bounds = new Uint32Array(2 * count);
  for (let i = 0; i < count; i++) {
    const start = dv.getUint32(4 + 4 * i, true);
    const end = i + 1 < count ? dv.getUint32(8 + 4 * i, true) : len;
    if (start <= end && end <= len) {
      bounds[2 * i] = start;
      bounds[2 * i + 1] = end;
    }
  }
  return bounds;
}

// ---------------------------------------------------------------------------
// One event

/**
 * Bounds-checked reads inside one event of a batch. Offsets are from the
 * event's first byte; the batch's bytes are shared, never copied.
 *
 * QuickJS and StarlingMonkey interpret this code (no JIT inside a
 * component), where every call, allocation and BigInt costs real time per
 * event: hence spans returned as a start plus a field, 64-bit integers
 * read as two u32 halves unless they need a BigInt, and the argument count
 * computed once.
 */
export class EventReader {
  constructor(bytes, dv, start, end) {
    this.b = bytes; // the whole batch
    this.dv = dv; // over the whole batch
    this.base = start;
    this.len = end - start;
    this.n = 0; // length of the last span()
    this.argc = -1; // argCount(), once known
  }

  u32(at) {
    return at + 4 <= this.len ? this.dv.getUint32(this.base + at, true) : undefined;
  }

  /**
   * The u64 (or, with `signed`, i64) at `at` in the SDK's plain form: a
   * Number when |v| < 2^53, else an exact BigInt; undefined when it does
   * not fit in the event.
   */
  int64(at, signed) {
    if (at + 8 > this.len) return undefined;
    const q = this.base + at;
    const lo = this.dv.getUint32(q, true);
    if (signed) {
      const hi = this.dv.getInt32(q + 4, true);
      if (hi < 0x200000 && (hi > -0x200000 || (hi === -0x200000 && lo > 0))) return hi * 4294967296 + lo;
      return this.dv.getBigInt64(q, true);
    }
    const hi = this.dv.getUint32(q + 4, true);
    return hi < 0x200000 ? hi * 4294967296 + lo : this.dv.getBigUint64(q, true);
  }
  /** The u64 or i64 at `at` as an exact BigInt. */
  big64(at, signed) {
    if (at + 8 > this.len) return undefined;
    return signed ? this.dv.getBigInt64(this.base + at, true) : this.dv.getBigUint64(this.base + at, true);
  }

  // An (offset, length) pair at `at` that fits in the event: the absolute
  // start of its bytes, with their length left in `this.n`; -1 when it
  // does not fit.
  span(at) {
    if (at + 8 > this.len) return -1;
    const q = this.base + at;
    const off = this.dv.getUint32(q, true);
    const n = this.dv.getUint32(q + 4, true);
    if (off + n > this.len) return -1;
    this.n = n;
    return this.base + off;
  }
  /** The bytes an (offset, length) pair at `at` points to, as a view. */
  bytes(at) {
    const p = this.span(at);
    return p < 0 ? undefined : this.b.subarray(p, p + this.n);
  }
  /** The string a str at `at` points to; undefined when malformed. */
  str(at) {
    const p = this.span(at);
    if (p < 0) return undefined;
    return this.n === 0 ? "" : decodeUtf8(this.b.subarray(p, p + this.n));
  }

  /** Number of argument entries, cut to what fits in the event. */
  argCount() {
    if (this.argc < 0) {
      const fits = this.len < HEADER_LEN ? 0 : Math.floor((this.len - HEADER_LEN) / ARG_LEN);
      const n = this.u32(AT.ARG_COUNT) ?? 0;
      this.argc = n < fits ? n : fits;
    }
    return this.argc;
  }

  /**
   * The offset of the first entry whose name is `key` (see nameKey), or
   * -1. Names are compared as bytes; no string is decoded for the answer.
   * Every entry below argCount() lies inside the event, so its kind and
   * payload need no bounds check.
   */
  findArg(key) {
    const n = this.argc < 0 ? this.argCount() : this.argc;
    const b = this.b;
    const want = key.bytes;
    const len = want.length;
    for (let i = 0; i < n; i++) {
      const entry = HEADER_LEN + i * ARG_LEN;
      const p = this.span(entry);
      if (p < 0 || this.n !== len) continue;
      if (len === 0) return entry;
      if (b[p] !== want[0]) continue;
      // A byte loop costs several times one native fromCharCode over the
      // bytes; for an ASCII name, comparing that string with the name is
      // comparing the bytes (a byte from 0x80 up maps to a character no
      // ASCII name contains).
      if (key.ascii !== null) {
        if (String.fromCharCode.apply(null, b.subarray(p, p + len)) === key.ascii) return entry;
        continue;
      }
      let k = 1;
      for (let q = p + 1; k < len && b[q] === want[k]; q++) k++;
      if (k === len) return entry;
    }
    return -1;
  }

  /** The kind byte of the entry at `entry` (an index into KINDS). */
  kindByte(entry) {
    return this.b[this.base + entry + 8];
  }

  /**
   * The value of the entry at `entry`: a string, a Number or BigInt (see
   * int64), a boolean, a Uint8Array view (bytes), or for str-list
   * `{ at, count }` of its table. Undefined when malformed.
   */
  value(entry) {
    const p = entry + 16;
    switch (this.b[this.base + entry + 8]) {
      case 0:
        return this.str(p);
      case 1:
        return this.int64(p, true);
      case 2:
        return this.int64(p, false);
      case 3:
        return this.dv.getUint32(this.base + p, true) !== 0 || this.dv.getUint32(this.base + p + 4, true) !== 0;
      case 4:
        return this.bytes(p);
      case 5:
        return this.list(p);
      default:
        return undefined;
    }
  }

  /** The `{ at, count }` of a str-list table whose (offset, count) is at `at`, or undefined. */
  list(at) {
    const off = this.u32(at);
    const count = this.u32(at + 4);
    if (off === undefined || count === undefined || off + count * 8 > this.len) return undefined;
    return { at: off, count };
  }

  /** Element `i` of a str-list table; a malformed entry reads as "". */
  listItem(table, i) {
    return this.str(table.at + i * 8) ?? "";
  }
}
