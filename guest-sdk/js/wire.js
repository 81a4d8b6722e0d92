// Reading the flat buffers of contract 0.4 (docs/wire-encoding.md) in
// place: the event batch of `on-events` and the record lists the stores
// answer with, which share one framing and one set of field conventions,
// and, for tests and tools, the output record list a detector reports
// (write.js writes it). Bounds-checked little-endian reads and UTF-8
// decoding, the JavaScript counterpart of guest-sdk/wire/src/read.rs and
// records.rs. sandtrap.js builds its Event and record views on top;
// nothing here is part of the SDK's public surface.
//
// The buffers cross a trust boundary (tests and tools build them by hand),
// so no read throws: a field whose bounds do not fit inside its event or
// record, a string that is not UTF-8 or an unknown argument kind reads as
// absent (undefined), exactly where read.rs answers None.
//
// Speed. QuickJS, the default engine, interprets this code inside the
// component (no JIT), and it has no TextDecoder. Measured there (README,
// "Pitfalls"; bench/run.sh), each bytecode costs ~25–30 ns, a function
// call ~40 ns, a DataView read ~110 ns, each property a constructor sets
// ~170 ns, a `subarray` ~450 ns, a regular-expression test ~550 ns, while
// one native String.fromCharCode call costs about the same for one
// character as for sixteen. So: events are plain objects with four
// fields, a string of up to 32 ASCII bytes is one native call on bytes
// read into locals (no view allocated), argument names are compared as
// precomputed 32-bit words without decoding them, and the last decoded
// values are remembered in module variables, which cost nothing per
// event, rather than in per-event fields, which would.

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

/**
 * Offsets of the fixed fields of each store record, from the record's
 * first byte (docs/wire-encoding.md, "Store answers"), and the size of
 * its fixed part. sandtrap.js's record views repeat them as literals, for
 * the reason given above its Process class.
 */
export const REC = Object.freeze({
  process: Object.freeze({
    ENTITY_ID: 0, PARENT_ENTITY_ID: 8, START_TIME: 16, EXIT_TIME: 24, PID: 32, PPID: 36, UID: 40, GID: 44,
    NAME: 48, EXE: 56, CONTAINER_ID: 64, ARGV: 72, LEN: 80,
  }),
  container: Object.freeze({
    START_TIME: 0, ID: 8, NAME: 16, IMAGE: 24, IMAGE_DIGEST: 32, RUNTIME: 40,
    POD_NAME: 48, POD_UID: 56, POD_NAMESPACE: 64, FLAGS: 72, LEN: 80,
    // Bits of FLAGS.
    HAS_POD: 1, SANDBOX: 2,
  }),
  dns: Object.freeze({ QUERY: 0, IPS: 8, DOMAINS: 16, LEN: 24 }),
  symbol: Object.freeze({ QUERY: 0, ADDRESS: 8, NAME: 16, MODULE: 24, LEN: 32 }),
  reputation: Object.freeze({ LAST_UPDATED: 0, IP: 8, SOURCE: 16, TAGS: 24, STATUS: 32, SEVERITY: 33, LEN: 40 }),
  // An output record (docs/wire-encoding.md, "Output"): the field table of
  // a detection follows the fixed part, one argument entry per field.
  output: Object.freeze({ INDEX: 0, KIND: 4, SEVERITY: 5, MESSAGE: 8, FIELD_COUNT: 16, LEN: 20 }),
});

/** Argument kinds by their byte, named like the WIT `value` cases. */
export const KINDS = Object.freeze(["str", "int", "uint", "boolean", "bytes", "str-list"]);

// The same kind bytes as constants, for the readers and writers that
// switch on them: an imported binding costs no property lookup under an
// interpreter, as `KINDS.indexOf` or an object field would.
export const STR = 0;
export const INT = 1;
export const UINT = 2;
export const BOOLEAN = 3;
export const BYTES = 4;
export const STR_LIST = 5;

// ---------------------------------------------------------------------------
// UTF-8

const fcc = String.fromCharCode;
const max = Math.max;

// fromCharCode.apply and Math.max.apply take one argument per byte, and
// engines cap the argument count; this chunk size is far below every cap.
const CHUNK = 4096;

// StarlingMonkey has a native TextDecoder; QuickJS (componentize-qjs) has
// none. `fatal` makes malformed input throw instead of turning into
// U+FFFD, which is how read.rs's `from_utf8(..).ok()` behaves.
const nativeDecoder = (() => {
  try {
    return typeof TextDecoder === "function" ? new TextDecoder("utf-8", { fatal: true }) : undefined;
  } catch {
    return undefined;
  }
})();

/**
 * For each length n up to SHORT_MAX, a function of (bytes, at) giving the
 * string of the n bytes there when they are ASCII, else undefined. One
 * native call on bytes read into locals: a `subarray` to apply
 * fromCharCode to costs more than the reads up to about 50 bytes. One
 * small function per length because QuickJS sets up every local of a
 * function on each call, so a single switch over all lengths pays for
 * the locals of every case (measured: twice slower).
 */
const SHORT_MAX = 32;
const SHORT_ASCII = [
  () => "",
  (b, p) => { const c0 = b[p]; return c0 < 0x80 ? fcc(c0) : undefined; },
  (b, p) => { const c0 = b[p], c1 = b[p + 1]; return (c0 | c1) < 0x80 ? fcc(c0, c1) : undefined; },
  (b, p) => {
    const c0 = b[p], c1 = b[p + 1], c2 = b[p + 2];
    if ((c0 | c1 | c2) >= 0x80) return undefined;
    return fcc(c0, c1, c2);
  },
  (b, p) => {
    const c0 = b[p], c1 = b[p + 1], c2 = b[p + 2], c3 = b[p + 3];
    if ((c0 | c1 | c2 | c3) >= 0x80) return undefined;
    return fcc(c0, c1, c2, c3);
  },
  (b, p) => {
    const c0 = b[p], c1 = b[p + 1], c2 = b[p + 2], c3 = b[p + 3], c4 = b[p + 4];
    if ((c0 | c1 | c2 | c3 | c4) >= 0x80) return undefined;
    return fcc(c0, c1, c2, c3, c4);
  },
  (b, p) => {
    const c0 = b[p], c1 = b[p + 1], c2 = b[p + 2], c3 = b[p + 3], c4 = b[p + 4], c5 = b[p + 5];
    if ((c0 | c1 | c2 | c3 | c4 | c5) >= 0x80) return undefined;
    return fcc(c0, c1, c2, c3, c4, c5);
  },
  (b, p) => {
    const c0 = b[p], c1 = b[p + 1], c2 = b[p + 2], c3 = b[p + 3], c4 = b[p + 4], c5 = b[p + 5],
      c6 = b[p + 6];
    if ((c0 | c1 | c2 | c3 | c4 | c5 | c6) >= 0x80) return undefined;
    return fcc(c0, c1, c2, c3, c4, c5, c6);
  },
  (b, p) => {
    const c0 = b[p], c1 = b[p + 1], c2 = b[p + 2], c3 = b[p + 3], c4 = b[p + 4], c5 = b[p + 5],
      c6 = b[p + 6], c7 = b[p + 7];
    if ((c0 | c1 | c2 | c3 | c4 | c5 | c6 | c7) >= 0x80) return undefined;
    return fcc(c0, c1, c2, c3, c4, c5, c6, c7);
  },
  (b, p) => {
    const c0 = b[p], c1 = b[p + 1], c2 = b[p + 2], c3 = b[p + 3], c4 = b[p + 4], c5 = b[p + 5],
      c6 = b[p + 6], c7 = b[p + 7], c8 = b[p + 8];
    if ((c0 | c1 | c2 | c3 | c4 | c5 | c6 | c7 | c8) >= 0x80) return undefined;
    return fcc(c0, c1, c2, c3, c4, c5, c6, c7, c8);
  },
  (b, p) => {
    const c0 = b[p], c1 = b[p + 1], c2 = b[p + 2], c3 = b[p + 3], c4 = b[p + 4], c5 = b[p + 5],
      c6 = b[p + 6], c7 = b[p + 7], c8 = b[p + 8], c9 = b[p + 9];
    if ((c0 | c1 | c2 | c3 | c4 | c5 | c6 | c7 | c8 | c9) >= 0x80) return undefined;
    return fcc(c0, c1, c2, c3, c4, c5, c6, c7, c8, c9);
  },
  (b, p) => {
    const c0 = b[p], c1 = b[p + 1], c2 = b[p + 2], c3 = b[p + 3], c4 = b[p + 4], c5 = b[p + 5],
      c6 = b[p + 6], c7 = b[p + 7], c8 = b[p + 8], c9 = b[p + 9], c10 = b[p + 10];
    if ((c0 | c1 | c2 | c3 | c4 | c5 | c6 | c7 | c8 | c9 | c10) >= 0x80) return undefined;
    return fcc(c0, c1, c2, c3, c4, c5, c6, c7, c8, c9, c10);
  },
  (b, p) => {
    const c0 = b[p], c1 = b[p + 1], c2 = b[p + 2], c3 = b[p + 3], c4 = b[p + 4], c5 = b[p + 5],
      c6 = b[p + 6], c7 = b[p + 7], c8 = b[p + 8], c9 = b[p + 9], c10 = b[p + 10], c11 = b[p + 11];
    if ((c0 | c1 | c2 | c3 | c4 | c5 | c6 | c7 | c8 | c9 | c10 | c11) >= 0x80) return undefined;
    return fcc(c0, c1, c2, c3, c4, c5, c6, c7, c8, c9, c10, c11);
  },
  (b, p) => {
    const c0 = b[p], c1 = b[p + 1], c2 = b[p + 2], c3 = b[p + 3], c4 = b[p + 4], c5 = b[p + 5],
      c6 = b[p + 6], c7 = b[p + 7], c8 = b[p + 8], c9 = b[p + 9], c10 = b[p + 10], c11 = b[p + 11],
      c12 = b[p + 12];
    if ((c0 | c1 | c2 | c3 | c4 | c5 | c6 | c7 | c8 | c9 | c10 | c11 |
      c12) >= 0x80) return undefined;
    return fcc(c0, c1, c2, c3, c4, c5, c6, c7, c8, c9, c10, c11, c12);
  },
  (b, p) => {
    const c0 = b[p], c1 = b[p + 1], c2 = b[p + 2], c3 = b[p + 3], c4 = b[p + 4], c5 = b[p + 5],
      c6 = b[p + 6], c7 = b[p + 7], c8 = b[p + 8], c9 = b[p + 9], c10 = b[p + 10], c11 = b[p + 11],
      c12 = b[p + 12], c13 = b[p + 13];
    if ((c0 | c1 | c2 | c3 | c4 | c5 | c6 | c7 | c8 | c9 | c10 | c11 | c12 |
      c13) >= 0x80) return undefined;
    return fcc(c0, c1, c2, c3, c4, c5, c6, c7, c8, c9, c10, c11, c12, c13);
  },
  (b, p) => {
    const c0 = b[p], c1 = b[p + 1], c2 = b[p + 2], c3 = b[p + 3], c4 = b[p + 4], c5 = b[p + 5],
      c6 = b[p + 6], c7 = b[p + 7], c8 = b[p + 8], c9 = b[p + 9], c10 = b[p + 10], c11 = b[p + 11],
      c12 = b[p + 12], c13 = b[p + 13], c14 = b[p + 14];
    if ((c0 | c1 | c2 | c3 | c4 | c5 | c6 | c7 | c8 | c9 | c10 | c11 | c12 | c13 |
      c14) >= 0x80) return undefined;
    return fcc(c0, c1, c2, c3, c4, c5, c6, c7, c8, c9, c10, c11, c12, c13, c14);
  },
  (b, p) => {
    const c0 = b[p], c1 = b[p + 1], c2 = b[p + 2], c3 = b[p + 3], c4 = b[p + 4], c5 = b[p + 5],
      c6 = b[p + 6], c7 = b[p + 7], c8 = b[p + 8], c9 = b[p + 9], c10 = b[p + 10], c11 = b[p + 11],
      c12 = b[p + 12], c13 = b[p + 13], c14 = b[p + 14], c15 = b[p + 15];
    if ((c0 | c1 | c2 | c3 | c4 | c5 | c6 | c7 | c8 | c9 | c10 | c11 | c12 | c13 | c14 |
      c15) >= 0x80) return undefined;
    return fcc(c0, c1, c2, c3, c4, c5, c6, c7, c8, c9, c10, c11, c12, c13, c14, c15);
  },
  (b, p) => {
    const c0 = b[p], c1 = b[p + 1], c2 = b[p + 2], c3 = b[p + 3], c4 = b[p + 4], c5 = b[p + 5],
      c6 = b[p + 6], c7 = b[p + 7], c8 = b[p + 8], c9 = b[p + 9], c10 = b[p + 10], c11 = b[p + 11],
      c12 = b[p + 12], c13 = b[p + 13], c14 = b[p + 14], c15 = b[p + 15], c16 = b[p + 16];
    if ((c0 | c1 | c2 | c3 | c4 | c5 | c6 | c7 | c8 | c9 | c10 | c11 | c12 | c13 | c14 | c15 |
      c16) >= 0x80) return undefined;
    return fcc(c0, c1, c2, c3, c4, c5, c6, c7, c8, c9, c10, c11, c12, c13, c14, c15, c16);
  },
  (b, p) => {
    const c0 = b[p], c1 = b[p + 1], c2 = b[p + 2], c3 = b[p + 3], c4 = b[p + 4], c5 = b[p + 5],
      c6 = b[p + 6], c7 = b[p + 7], c8 = b[p + 8], c9 = b[p + 9], c10 = b[p + 10], c11 = b[p + 11],
      c12 = b[p + 12], c13 = b[p + 13], c14 = b[p + 14], c15 = b[p + 15], c16 = b[p + 16],
      c17 = b[p + 17];
    if ((c0 | c1 | c2 | c3 | c4 | c5 | c6 | c7 | c8 | c9 | c10 | c11 | c12 | c13 | c14 | c15 | c16 |
      c17) >= 0x80) return undefined;
    return fcc(c0, c1, c2, c3, c4, c5, c6, c7, c8, c9, c10, c11, c12, c13, c14, c15, c16, c17);
  },
  (b, p) => {
    const c0 = b[p], c1 = b[p + 1], c2 = b[p + 2], c3 = b[p + 3], c4 = b[p + 4], c5 = b[p + 5],
      c6 = b[p + 6], c7 = b[p + 7], c8 = b[p + 8], c9 = b[p + 9], c10 = b[p + 10], c11 = b[p + 11],
      c12 = b[p + 12], c13 = b[p + 13], c14 = b[p + 14], c15 = b[p + 15], c16 = b[p + 16],
      c17 = b[p + 17], c18 = b[p + 18];
    if ((c0 | c1 | c2 | c3 | c4 | c5 | c6 | c7 | c8 | c9 | c10 | c11 | c12 | c13 | c14 | c15 | c16 |
      c17 | c18) >= 0x80) return undefined;
    return fcc(c0, c1, c2, c3, c4, c5, c6, c7, c8, c9, c10, c11, c12, c13, c14, c15, c16, c17, c18);
  },
  (b, p) => {
    const c0 = b[p], c1 = b[p + 1], c2 = b[p + 2], c3 = b[p + 3], c4 = b[p + 4], c5 = b[p + 5],
      c6 = b[p + 6], c7 = b[p + 7], c8 = b[p + 8], c9 = b[p + 9], c10 = b[p + 10], c11 = b[p + 11],
      c12 = b[p + 12], c13 = b[p + 13], c14 = b[p + 14], c15 = b[p + 15], c16 = b[p + 16],
      c17 = b[p + 17], c18 = b[p + 18], c19 = b[p + 19];
    if ((c0 | c1 | c2 | c3 | c4 | c5 | c6 | c7 | c8 | c9 | c10 | c11 | c12 | c13 | c14 | c15 | c16 |
      c17 | c18 | c19) >= 0x80) return undefined;
    return fcc(c0, c1, c2, c3, c4, c5, c6, c7, c8, c9, c10, c11, c12, c13, c14, c15, c16, c17, c18,
      c19);
  },
  (b, p) => {
    const c0 = b[p], c1 = b[p + 1], c2 = b[p + 2], c3 = b[p + 3], c4 = b[p + 4], c5 = b[p + 5],
      c6 = b[p + 6], c7 = b[p + 7], c8 = b[p + 8], c9 = b[p + 9], c10 = b[p + 10], c11 = b[p + 11],
      c12 = b[p + 12], c13 = b[p + 13], c14 = b[p + 14], c15 = b[p + 15], c16 = b[p + 16],
      c17 = b[p + 17], c18 = b[p + 18], c19 = b[p + 19], c20 = b[p + 20];
    if ((c0 | c1 | c2 | c3 | c4 | c5 | c6 | c7 | c8 | c9 | c10 | c11 | c12 | c13 | c14 | c15 | c16 |
      c17 | c18 | c19 | c20) >= 0x80) return undefined;
    return fcc(c0, c1, c2, c3, c4, c5, c6, c7, c8, c9, c10, c11, c12, c13, c14, c15, c16, c17, c18,
      c19, c20);
  },
  (b, p) => {
    const c0 = b[p], c1 = b[p + 1], c2 = b[p + 2], c3 = b[p + 3], c4 = b[p + 4], c5 = b[p + 5],
      c6 = b[p + 6], c7 = b[p + 7], c8 = b[p + 8], c9 = b[p + 9], c10 = b[p + 10], c11 = b[p + 11],
      c12 = b[p + 12], c13 = b[p + 13], c14 = b[p + 14], c15 = b[p + 15], c16 = b[p + 16],
      c17 = b[p + 17], c18 = b[p + 18], c19 = b[p + 19], c20 = b[p + 20], c21 = b[p + 21];
    if ((c0 | c1 | c2 | c3 | c4 | c5 | c6 | c7 | c8 | c9 | c10 | c11 | c12 | c13 | c14 | c15 | c16 |
      c17 | c18 | c19 | c20 | c21) >= 0x80) return undefined;
    return fcc(c0, c1, c2, c3, c4, c5, c6, c7, c8, c9, c10, c11, c12, c13, c14, c15, c16, c17, c18,
      c19, c20, c21);
  },
  (b, p) => {
    const c0 = b[p], c1 = b[p + 1], c2 = b[p + 2], c3 = b[p + 3], c4 = b[p + 4], c5 = b[p + 5],
      c6 = b[p + 6], c7 = b[p + 7], c8 = b[p + 8], c9 = b[p + 9], c10 = b[p + 10], c11 = b[p + 11],
      c12 = b[p + 12], c13 = b[p + 13], c14 = b[p + 14], c15 = b[p + 15], c16 = b[p + 16],
      c17 = b[p + 17], c18 = b[p + 18], c19 = b[p + 19], c20 = b[p + 20], c21 = b[p + 21],
      c22 = b[p + 22];
    if ((c0 | c1 | c2 | c3 | c4 | c5 | c6 | c7 | c8 | c9 | c10 | c11 | c12 | c13 | c14 | c15 | c16 |
      c17 | c18 | c19 | c20 | c21 | c22) >= 0x80) return undefined;
    return fcc(c0, c1, c2, c3, c4, c5, c6, c7, c8, c9, c10, c11, c12, c13, c14, c15, c16, c17, c18,
      c19, c20, c21, c22);
  },
  (b, p) => {
    const c0 = b[p], c1 = b[p + 1], c2 = b[p + 2], c3 = b[p + 3], c4 = b[p + 4], c5 = b[p + 5],
      c6 = b[p + 6], c7 = b[p + 7], c8 = b[p + 8], c9 = b[p + 9], c10 = b[p + 10], c11 = b[p + 11],
      c12 = b[p + 12], c13 = b[p + 13], c14 = b[p + 14], c15 = b[p + 15], c16 = b[p + 16],
      c17 = b[p + 17], c18 = b[p + 18], c19 = b[p + 19], c20 = b[p + 20], c21 = b[p + 21],
      c22 = b[p + 22], c23 = b[p + 23];
    if ((c0 | c1 | c2 | c3 | c4 | c5 | c6 | c7 | c8 | c9 | c10 | c11 | c12 | c13 | c14 | c15 | c16 |
      c17 | c18 | c19 | c20 | c21 | c22 | c23) >= 0x80) return undefined;
    return fcc(c0, c1, c2, c3, c4, c5, c6, c7, c8, c9, c10, c11, c12, c13, c14, c15, c16, c17, c18,
      c19, c20, c21, c22, c23);
  },
  (b, p) => {
    const c0 = b[p], c1 = b[p + 1], c2 = b[p + 2], c3 = b[p + 3], c4 = b[p + 4], c5 = b[p + 5],
      c6 = b[p + 6], c7 = b[p + 7], c8 = b[p + 8], c9 = b[p + 9], c10 = b[p + 10], c11 = b[p + 11],
      c12 = b[p + 12], c13 = b[p + 13], c14 = b[p + 14], c15 = b[p + 15], c16 = b[p + 16],
      c17 = b[p + 17], c18 = b[p + 18], c19 = b[p + 19], c20 = b[p + 20], c21 = b[p + 21],
      c22 = b[p + 22], c23 = b[p + 23], c24 = b[p + 24];
    if ((c0 | c1 | c2 | c3 | c4 | c5 | c6 | c7 | c8 | c9 | c10 | c11 | c12 | c13 | c14 | c15 | c16 |
      c17 | c18 | c19 | c20 | c21 | c22 | c23 | c24) >= 0x80) return undefined;
    return fcc(c0, c1, c2, c3, c4, c5, c6, c7, c8, c9, c10, c11, c12, c13, c14, c15, c16, c17, c18,
      c19, c20, c21, c22, c23, c24);
  },
  (b, p) => {
    const c0 = b[p], c1 = b[p + 1], c2 = b[p + 2], c3 = b[p + 3], c4 = b[p + 4], c5 = b[p + 5],
      c6 = b[p + 6], c7 = b[p + 7], c8 = b[p + 8], c9 = b[p + 9], c10 = b[p + 10], c11 = b[p + 11],
      c12 = b[p + 12], c13 = b[p + 13], c14 = b[p + 14], c15 = b[p + 15], c16 = b[p + 16],
      c17 = b[p + 17], c18 = b[p + 18], c19 = b[p + 19], c20 = b[p + 20], c21 = b[p + 21],
      c22 = b[p + 22], c23 = b[p + 23], c24 = b[p + 24], c25 = b[p + 25];
    if ((c0 | c1 | c2 | c3 | c4 | c5 | c6 | c7 | c8 | c9 | c10 | c11 | c12 | c13 | c14 | c15 | c16 |
      c17 | c18 | c19 | c20 | c21 | c22 | c23 | c24 | c25) >= 0x80) return undefined;
    return fcc(c0, c1, c2, c3, c4, c5, c6, c7, c8, c9, c10, c11, c12, c13, c14, c15, c16, c17, c18,
      c19, c20, c21, c22, c23, c24, c25);
  },
  (b, p) => {
    const c0 = b[p], c1 = b[p + 1], c2 = b[p + 2], c3 = b[p + 3], c4 = b[p + 4], c5 = b[p + 5],
      c6 = b[p + 6], c7 = b[p + 7], c8 = b[p + 8], c9 = b[p + 9], c10 = b[p + 10], c11 = b[p + 11],
      c12 = b[p + 12], c13 = b[p + 13], c14 = b[p + 14], c15 = b[p + 15], c16 = b[p + 16],
      c17 = b[p + 17], c18 = b[p + 18], c19 = b[p + 19], c20 = b[p + 20], c21 = b[p + 21],
      c22 = b[p + 22], c23 = b[p + 23], c24 = b[p + 24], c25 = b[p + 25], c26 = b[p + 26];
    if ((c0 | c1 | c2 | c3 | c4 | c5 | c6 | c7 | c8 | c9 | c10 | c11 | c12 | c13 | c14 | c15 | c16 |
      c17 | c18 | c19 | c20 | c21 | c22 | c23 | c24 | c25 | c26) >= 0x80) return undefined;
    return fcc(c0, c1, c2, c3, c4, c5, c6, c7, c8, c9, c10, c11, c12, c13, c14, c15, c16, c17, c18,
      c19, c20, c21, c22, c23, c24, c25, c26);
  },
  (b, p) => {
    const c0 = b[p], c1 = b[p + 1], c2 = b[p + 2], c3 = b[p + 3], c4 = b[p + 4], c5 = b[p + 5],
      c6 = b[p + 6], c7 = b[p + 7], c8 = b[p + 8], c9 = b[p + 9], c10 = b[p + 10], c11 = b[p + 11],
      c12 = b[p + 12], c13 = b[p + 13], c14 = b[p + 14], c15 = b[p + 15], c16 = b[p + 16],
      c17 = b[p + 17], c18 = b[p + 18], c19 = b[p + 19], c20 = b[p + 20], c21 = b[p + 21],
      c22 = b[p + 22], c23 = b[p + 23], c24 = b[p + 24], c25 = b[p + 25], c26 = b[p + 26],
      c27 = b[p + 27];
    if ((c0 | c1 | c2 | c3 | c4 | c5 | c6 | c7 | c8 | c9 | c10 | c11 | c12 | c13 | c14 | c15 | c16 |
      c17 | c18 | c19 | c20 | c21 | c22 | c23 | c24 | c25 | c26 | c27) >= 0x80) return undefined;
    return fcc(c0, c1, c2, c3, c4, c5, c6, c7, c8, c9, c10, c11, c12, c13, c14, c15, c16, c17, c18,
      c19, c20, c21, c22, c23, c24, c25, c26, c27);
  },
  (b, p) => {
    const c0 = b[p], c1 = b[p + 1], c2 = b[p + 2], c3 = b[p + 3], c4 = b[p + 4], c5 = b[p + 5],
      c6 = b[p + 6], c7 = b[p + 7], c8 = b[p + 8], c9 = b[p + 9], c10 = b[p + 10], c11 = b[p + 11],
      c12 = b[p + 12], c13 = b[p + 13], c14 = b[p + 14], c15 = b[p + 15], c16 = b[p + 16],
      c17 = b[p + 17], c18 = b[p + 18], c19 = b[p + 19], c20 = b[p + 20], c21 = b[p + 21],
      c22 = b[p + 22], c23 = b[p + 23], c24 = b[p + 24], c25 = b[p + 25], c26 = b[p + 26],
      c27 = b[p + 27], c28 = b[p + 28];
    if ((c0 | c1 | c2 | c3 | c4 | c5 | c6 | c7 | c8 | c9 | c10 | c11 | c12 | c13 | c14 | c15 | c16 |
      c17 | c18 | c19 | c20 | c21 | c22 | c23 | c24 | c25 | c26 | c27 |
      c28) >= 0x80) return undefined;
    return fcc(c0, c1, c2, c3, c4, c5, c6, c7, c8, c9, c10, c11, c12, c13, c14, c15, c16, c17, c18,
      c19, c20, c21, c22, c23, c24, c25, c26, c27, c28);
  },
  (b, p) => {
    const c0 = b[p], c1 = b[p + 1], c2 = b[p + 2], c3 = b[p + 3], c4 = b[p + 4], c5 = b[p + 5],
      c6 = b[p + 6], c7 = b[p + 7], c8 = b[p + 8], c9 = b[p + 9], c10 = b[p + 10], c11 = b[p + 11],
      c12 = b[p + 12], c13 = b[p + 13], c14 = b[p + 14], c15 = b[p + 15], c16 = b[p + 16],
      c17 = b[p + 17], c18 = b[p + 18], c19 = b[p + 19], c20 = b[p + 20], c21 = b[p + 21],
      c22 = b[p + 22], c23 = b[p + 23], c24 = b[p + 24], c25 = b[p + 25], c26 = b[p + 26],
      c27 = b[p + 27], c28 = b[p + 28], c29 = b[p + 29];
    if ((c0 | c1 | c2 | c3 | c4 | c5 | c6 | c7 | c8 | c9 | c10 | c11 | c12 | c13 | c14 | c15 | c16 |
      c17 | c18 | c19 | c20 | c21 | c22 | c23 | c24 | c25 | c26 | c27 | c28 |
      c29) >= 0x80) return undefined;
    return fcc(c0, c1, c2, c3, c4, c5, c6, c7, c8, c9, c10, c11, c12, c13, c14, c15, c16, c17, c18,
      c19, c20, c21, c22, c23, c24, c25, c26, c27, c28, c29);
  },
  (b, p) => {
    const c0 = b[p], c1 = b[p + 1], c2 = b[p + 2], c3 = b[p + 3], c4 = b[p + 4], c5 = b[p + 5],
      c6 = b[p + 6], c7 = b[p + 7], c8 = b[p + 8], c9 = b[p + 9], c10 = b[p + 10], c11 = b[p + 11],
      c12 = b[p + 12], c13 = b[p + 13], c14 = b[p + 14], c15 = b[p + 15], c16 = b[p + 16],
      c17 = b[p + 17], c18 = b[p + 18], c19 = b[p + 19], c20 = b[p + 20], c21 = b[p + 21],
      c22 = b[p + 22], c23 = b[p + 23], c24 = b[p + 24], c25 = b[p + 25], c26 = b[p + 26],
      c27 = b[p + 27], c28 = b[p + 28], c29 = b[p + 29], c30 = b[p + 30];
    if ((c0 | c1 | c2 | c3 | c4 | c5 | c6 | c7 | c8 | c9 | c10 | c11 | c12 | c13 | c14 | c15 | c16 |
      c17 | c18 | c19 | c20 | c21 | c22 | c23 | c24 | c25 | c26 | c27 | c28 | c29 |
      c30) >= 0x80) return undefined;
    return fcc(c0, c1, c2, c3, c4, c5, c6, c7, c8, c9, c10, c11, c12, c13, c14, c15, c16, c17, c18,
      c19, c20, c21, c22, c23, c24, c25, c26, c27, c28, c29, c30);
  },
  (b, p) => {
    const c0 = b[p], c1 = b[p + 1], c2 = b[p + 2], c3 = b[p + 3], c4 = b[p + 4], c5 = b[p + 5],
      c6 = b[p + 6], c7 = b[p + 7], c8 = b[p + 8], c9 = b[p + 9], c10 = b[p + 10], c11 = b[p + 11],
      c12 = b[p + 12], c13 = b[p + 13], c14 = b[p + 14], c15 = b[p + 15], c16 = b[p + 16],
      c17 = b[p + 17], c18 = b[p + 18], c19 = b[p + 19], c20 = b[p + 20], c21 = b[p + 21],
      c22 = b[p + 22], c23 = b[p + 23], c24 = b[p + 24], c25 = b[p + 25], c26 = b[p + 26],
      c27 = b[p + 27], c28 = b[p + 28], c29 = b[p + 29], c30 = b[p + 30], c31 = b[p + 31];
    if ((c0 | c1 | c2 | c3 | c4 | c5 | c6 | c7 | c8 | c9 | c10 | c11 | c12 | c13 | c14 | c15 | c16 |
      c17 | c18 | c19 | c20 | c21 | c22 | c23 | c24 | c25 | c26 | c27 | c28 | c29 | c30 |
      c31) >= 0x80) return undefined;
    return fcc(c0, c1, c2, c3, c4, c5, c6, c7, c8, c9, c10, c11, c12, c13, c14, c15, c16, c17, c18,
      c19, c20, c21, c22, c23, c24, c25, c26, c27, c28, c29, c30, c31);
  },
];

// The bytes as one Latin-1 character each, in chunks for long input.
function latin1(bytes) {
  const n = bytes.length;
  if (n <= CHUNK) return fcc.apply(null, bytes);
  let s = "";
  for (let i = 0; i < n; i += CHUNK) s += fcc.apply(null, bytes.subarray(i, i + CHUNK));
  return s;
}

// True when every byte is below 0x80: one native call per chunk.
function isAscii(bytes) {
  const n = bytes.length;
  if (n <= CHUNK) return max.apply(null, bytes) < 0x80;
  for (let i = 0; i < n; i += CHUNK) if (max.apply(null, bytes.subarray(i, i + CHUNK)) >= 0x80) return false;
  return true;
}

/**
 * `bytes` as a string, or undefined when they are not well-formed UTF-8,
 * without TextDecoder: escape() writes every byte from 0x80 up of the
 * Latin-1 string as %XX, and decodeURIComponent decodes %XX sequences as
 * UTF-8 natively, throwing a URIError on exactly what read.rs rejects
 * (overlong forms, surrogates, beyond U+10FFFF, truncated sequences, stray
 * continuation bytes; test/conformance.test.mjs checks this against
 * TextDecoder, test/engines.mjs inside QuickJS). A "%" of the input is
 * escaped too, so input bytes can never forge a sequence. Two native
 * calls: ~3 µs for a short string under QuickJS, where decoding it in
 * JavaScript took ~20 µs.
 */
export function decodeEscaped(bytes) {
  try {
    return decodeURIComponent(escape(latin1(bytes)));
  } catch {
    return undefined;
  }
}

/**
 * `bytes` as a string, or undefined when they are not UTF-8, with no
 * TextDecoder: ASCII (checked by one native Math.max per chunk) as Latin-1,
 * anything else through decodeEscaped.
 */
export function decodePortable(bytes) {
  return isAscii(bytes) ? latin1(bytes) : decodeEscaped(bytes);
}

// The engine's own decoder where it has one.
function decodeNative(bytes) {
  try {
    return nativeDecoder.decode(bytes);
  } catch {
    return undefined;
  }
}
const native = nativeDecoder !== undefined;

// Under StarlingMonkey, TextDecoder beats SHORT_ASCII from about 16 bytes
// on (bench/run.sh --engine sm); QuickJS has no TextDecoder.
const shortLimit = native ? 16 : SHORT_MAX;

/** The `n` bytes at `p` of `b` as a string, or undefined when they are not UTF-8. */
export function utf8At(b, p, n) {
  if (n <= shortLimit) {
    const s = SHORT_ASCII[n](b, p);
    if (s !== undefined) return s;
    // Known not to be ASCII.
    return native ? decodeNative(b.subarray(p, p + n)) : decodeEscaped(b.subarray(p, p + n));
  }
  return native ? decodeNative(b.subarray(p, p + n)) : decodePortable(b.subarray(p, p + n));
}

/** `bytes` as a string, or undefined when they are not well-formed UTF-8. */
export function decodeUtf8(bytes) {
  return utf8At(bytes, 0, bytes.length);
}

// ---------------------------------------------------------------------------
// Argument names

// What a lookup needs of an argument name a detector asks for, cached by
// the name: names come from detector code, so there are few of them; the
// cache is bounded all the same, since nothing stops a detector from
// building names.
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
  return out;
}

/**
 * An argument name prepared for lookups, cached: its UTF-8 length `len`,
 * and the name's bytes as little-endian 32-bit `words` at offsets `at`:
 * 0, 4, 8, … and a last one ending at `len`, overlapping the one before
 * it, so that whole words compare every byte. A name shorter than four
 * bytes keeps its `bytes` instead. Null when the name has no UTF-8 form
 * (a lone surrogate), so no argument carries it.
 */
export function nameKey(name) {
  let k = nameCache.get(name);
  if (k === undefined) {
    const bytes = encodeUtf8(name);
    if (bytes === null) {
      k = null;
    } else {
      const len = bytes.length;
      const at = [];
      const words = [];
      if (len >= 4) {
        for (let i = 0; i < len; i += 4) at.push(i + 4 <= len ? i : len - 4);
        for (const i of at) words.push((bytes[i] | (bytes[i + 1] << 8) | (bytes[i + 2] << 16) | (bytes[i + 3] << 24)) >>> 0);
      }
      k = { len, at, words, bytes };
    }
    if (nameCache.size >= NAME_CACHE_MAX) nameCache.clear();
    nameCache.set(name, k);
  }
  return k;
}

// ---------------------------------------------------------------------------
// Framing: a batch of events and a record list are framed alike

/**
 * A same-realm Uint8Array over whatever the engine lifted `list<u8>` to.
 * StarlingMonkey hands a Uint8Array from another realm (`instanceof`
 * fails on it), QuickJS one of this realm; a plain array of byte values
 * is accepted for tests. Anything else is an empty buffer.
 */
export function asBytes(buf) {
  try {
    if (ArrayBuffer.isView(buf)) return new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength);
    if (buf instanceof ArrayBuffer) return new Uint8Array(buf);
    if (Array.isArray(buf)) return Uint8Array.from(buf, (v) => v & 0xff);
  } catch {
    // A detached or otherwise unusable buffer: nothing to read.
  }
  return new Uint8Array(0);
}

/**
 * A framed buffer (a batch or a store answer) ready to be read: its bytes
 * `b`, one DataView `dv` over them shared by every item, and its item
 * `count`, cut to the offset table that fits.
 */
export function frame(buf) {
  const b = asBytes(buf);
  const dv = new DataView(b.buffer, b.byteOffset, b.byteLength);
  const count = b.length < 4 ? 0 : Math.min(dv.getUint32(0, true), (b.length - 4) >>> 2);
  return { b, dv, count };
}

/**
 * Item `i` (below `f.count`) of a framed buffer as `new View(bytes,
 * dataView, start, length)`: from its offset to the next one's, the last
 * to the end of the buffer. An item whose bounds do not fit reads as
 * empty, as in read.rs.
 */
export function itemAt(f, i, View) {
  const len = f.b.length;
  const start = f.dv.getUint32(4 + 4 * i, true);
  const end = i + 1 < f.count ? f.dv.getUint32(8 + 4 * i, true) : len;
  return start <= end && end <= len ? new View(f.b, f.dv, start, end - start) : new View(f.b, f.dv, 0, 0);
}

// ---------------------------------------------------------------------------
// One event or record
//
// The functions below read the event or record `v`: any object with `_b`
// (the buffer's bytes), `_dv` (a DataView over them), `_o` (the item's
// first byte) and `_n` (its length), which is what sandtrap.js's Event
// and record views are. Offsets `at` are from the item's first byte; the
// buffer's bytes are shared, never copied. A batch or an answer is never
// written to, so a value read from one stays true for as long as it lives.

/** The byte at `at`, or undefined when it is not inside the item. */
export function u8(v, at) {
  return at < v._n ? v._b[v._o + at] : undefined;
}

/** The u32 at `at`, or undefined when it does not fit in the event. */
export function u32(v, at) {
  return at + 4 <= v._n ? v._dv.getUint32(v._o + at, true) : undefined;
}

/**
 * The u64 (or, with `signed`, i64) at `at` in the SDK's plain form: a
 * Number when |v| < 2^53, else an exact BigInt; undefined when it does
 * not fit in the event. Two u32 halves are cheaper than a BigInt.
 */
export function int64(v, at, signed) {
  if (at + 8 > v._n) return undefined;
  const dv = v._dv;
  const q = v._o + at;
  const lo = dv.getUint32(q, true);
  if (signed) {
    const hi = dv.getInt32(q + 4, true);
    if (hi < 0x200000 && (hi > -0x200000 || (hi === -0x200000 && lo > 0))) return hi * 4294967296 + lo;
    return dv.getBigInt64(q, true);
  }
  const hi = dv.getUint32(q + 4, true);
  return hi < 0x200000 ? hi * 4294967296 + lo : dv.getBigUint64(q, true);
}

/** The u64 or i64 at `at` as an exact BigInt. */
export function big64(v, at, signed) {
  if (at + 8 > v._n) return undefined;
  return signed ? v._dv.getBigInt64(v._o + at, true) : v._dv.getBigUint64(v._o + at, true);
}

/** The bytes an (offset, length) pair at `at` points to, as a view; undefined when they do not fit. */
export function bytesAt(v, at) {
  if (at + 8 > v._n) return undefined;
  const q = v._o + at;
  const off = v._dv.getUint32(q, true);
  const n = v._dv.getUint32(q + 4, true);
  if (off + n > v._n) return undefined;
  return v._b.subarray(v._o + off, v._o + off + n);
}

// The last string read, by event and offset: detectors often read a field
// twice (a test, then the finding), and two module variables cost nothing
// to an event that is read once.
let lastStrEvent = null;
let lastStrAt = -1;
let lastStr;

/** The string a str pair at `at` points to; undefined when it does not fit or is not UTF-8. */
export function strAt(v, at) {
  if (v === lastStrEvent && at === lastStrAt) return lastStr;
  let s;
  if (at + 8 <= v._n) {
    const q = v._o + at;
    const off = v._dv.getUint32(q, true);
    const n = v._dv.getUint32(q + 4, true);
    if (off + n <= v._n) s = utf8At(v._b, v._o + off, n);
  }
  lastStrEvent = v;
  lastStrAt = at;
  lastStr = s;
  return s;
}

/** Number of argument entries, cut to what fits in the event. */
export function argCount(v) {
  if (v._n < HEADER_LEN) return 0;
  const fits = ((v._n - HEADER_LEN) / ARG_LEN) | 0;
  const n = v._dv.getUint32(v._o + AT.ARG_COUNT, true);
  return n < fits ? n : fits;
}

// The last lookup, by event and name, and the last name's key: a detector
// asks for the same few names event after event.
let lastArgEvent = null;
let lastArgName = "";
let lastArg = -1;
let lastKeyName = "";
let lastKey = nameKey("");

/**
 * The offset of the first entry named `name` (a string), or -1. Names are
 * compared as bytes, a word at a time; no string is decoded for the
 * answer. Every entry below argCount() lies inside the event, so its kind
 * and payload need no bounds check.
 */
export function findArg(v, name) {
  if (v === lastArgEvent && name === lastArgName) return lastArg;
  let key = lastKey;
  if (name !== lastKeyName) {
    key = nameKey(name);
    lastKeyName = name;
    lastKey = key;
  }
  const e = key === null ? -1 : scanArgs(v, key);
  lastArgEvent = v;
  lastArgName = name;
  lastArg = e;
  return e;
}

function scanArgs(v, key) {
  const n = v._n;
  if (n < HEADER_LEN) return -1;
  const b = v._b;
  const dv = v._dv;
  const o = v._o;
  const fits = ((n - HEADER_LEN) / ARG_LEN) | 0;
  const count = dv.getUint32(o + AT.ARG_COUNT, true);
  // `q` walks the name lengths of the entries: names are short, so the
  // low byte alone rejects most entries, with one typed-array read.
  const end = o + HEADER_LEN + 4 + ARG_LEN * (count < fits ? count : fits);
  const len = key.len;
  const lenLo = len & 0xff;
  for (let q = o + HEADER_LEN + 4; q < end; q += ARG_LEN) {
    if (b[q] !== lenLo || dv.getUint32(q, true) !== len) continue;
    const off = dv.getUint32(q - 4, true);
    if (off + len > n) continue;
    const p = o + off;
    let k = 0;
    if (len >= 4) {
      const at = key.at;
      const words = key.words;
      const nw = words.length;
      while (k < nw && dv.getUint32(p + at[k], true) === words[k]) k++;
      if (k === nw) return q - 4 - o;
    } else {
      const want = key.bytes;
      while (k < len && b[p + k] === want[k]) k++;
      if (k === len) return q - 4 - o;
    }
  }
  return -1;
}

/** The kind byte of the entry at `entry` (an index into KINDS). */
export function kindByte(v, entry) {
  return v._b[v._o + entry + 8];
}

/**
 * The value of the entry at `entry`: a string, a Number or BigInt (see
 * int64), a boolean, a Uint8Array view (bytes), or for str-list
 * `{ at, count }` of its table. Undefined when malformed.
 */
export function value(v, entry) {
  const p = entry + 16;
  switch (v._b[v._o + entry + 8]) {
    case 0:
      return strAt(v, p);
    case 1:
      return int64(v, p, true);
    case 2:
      return int64(v, p, false);
    case 3:
      return v._dv.getUint32(v._o + p, true) !== 0 || v._dv.getUint32(v._o + p + 4, true) !== 0;
    case 4:
      return bytesAt(v, p);
    case 5:
      return list(v, p);
    default:
      return undefined;
  }
}

/** The `{ at, count }` of a str-list table whose (offset, count) is at `at`, or undefined. */
export function list(v, at) {
  const off = u32(v, at);
  const count = u32(v, at + 4);
  if (off === undefined || count === undefined || off + count * 8 > v._n) return undefined;
  return { at: off, count };
}

/**
 * The strings of the str-list whose (offset, count) is at `at`, as an
 * array (a malformed element reads as ""), or undefined when the table
 * does not fit. One pass without the per-string bookkeeping of strAt.
 */
export function strList(v, at) {
  if (at + 8 > v._n) return undefined;
  const b = v._b;
  const dv = v._dv;
  const o = v._o;
  const n = v._n;
  const off = dv.getUint32(o + at, true);
  const count = dv.getUint32(o + at + 4, true);
  if (off + count * 8 > n) return undefined;
  const out = new Array(count);
  for (let i = 0, q = o + off; i < count; i++, q += 8) {
    const s = dv.getUint32(q, true);
    const len = dv.getUint32(q + 4, true);
    out[i] = s + len <= n ? (utf8At(b, o + s, len) ?? "") : "";
  }
  return out;
}

// ---------------------------------------------------------------------------
// Output

// An output record being read; the functions above take any object with
// these four fields.
class OutputItem {
  constructor(bytes, dv, start, length) {
    this._b = bytes;
    this._dv = dv;
    this._o = start;
    this._n = length;
  }
}

/** Severities by their output byte; 0 (the definition's) reads as null. */
const OUTPUT_SEVERITIES = [null, "info", "low", "medium", "high", "critical"];

/**
 * What a detector reported, from an encoded output record list
 * (docs/wire-encoding.md, "Output"): `{ detections: [{ index, detection:
 * { fields: [{ name, value: { tag, val } }], severity } }], errors: [{
 * index, message }] }`, each in the order of the list. Values are in the
 * SDK's plain form (64-bit integers as Numbers below 2^53, BigInts from
 * there; bytes as a Uint8Array of their own); severity is null for the
 * definition's. For tests and tools: the mock host and the engine tests
 * read what the SDK reported with it. Lenient like the other readers,
 * where the host is strict: a malformed field is left out, a record of an
 * unknown kind or too short for its fixed part is skipped, a message that
 * is not UTF-8 reads as "".
 */
export function readOutput(buf) {
  const at = REC.output;
  const f = frame(buf);
  const detections = [];
  const errors = [];
  for (let i = 0; i < f.count; i++) {
    const r = itemAt(f, i, OutputItem);
    if (r._n < at.LEN) continue;
    const index = u32(r, at.INDEX);
    const kind = u8(r, at.KIND);
    if (kind === 1) {
      errors.push({ index, message: strAt(r, at.MESSAGE) ?? "" });
      continue;
    }
    if (kind !== 0) continue;
    const fits = ((r._n - at.LEN) / ARG_LEN) | 0;
    const count = Math.min(u32(r, at.FIELD_COUNT), fits);
    const fields = [];
    for (let j = 0; j < count; j++) {
      const e = at.LEN + j * ARG_LEN;
      const name = strAt(r, e);
      const k = kindByte(r, e);
      let val = value(r, e);
      if (name === undefined || val === undefined) continue;
      if (k === 4) val = val.slice();
      else if (k === 5) val = strList(r, e + 16);
      fields.push({ name, value: { tag: KINDS[k], val } });
    }
    detections.push({ index, detection: { fields, severity: OUTPUT_SEVERITIES[u8(r, at.SEVERITY)] ?? null } });
  }
  return { detections, errors };
}
