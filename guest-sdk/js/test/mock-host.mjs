// Stand-in for every interface of the contract in the unit tests. Each
// import delegates to globalThis.mockHost, which a test fills in; the
// defaults behave like an empty store under the QuickJS engine (numbers).
//
// `report` is the host's: tests run a batch with `onEvents(guest, batch)`
// below, which gives what the detector reported, decoded into the
// detections and errors a detector's author sees. Like the host, the mock
// takes reports only during that call and checks each one strictly
// (checkOutput), so an SDK that reports a malformed buffer, reports
// twice, or reports when it found nothing fails its tests the way it
// would fail in the host.
//
// Store calls that answer with records return what the host returns under
// contract 0.4: one record list (docs/wire-encoding.md). A test writes
// records as plain objects, as the SDK's views show them (`{ entityId,
// name, argv }`): one object for a call that names one thing, an array for
// the others, and the mock encodes them (encode.mjs). Anything else (a
// Uint8Array, junk) is passed on untouched, for tests of raw or malformed
// answers.
import { ARG_LEN, KINDS, REC, frame, itemAt, readOutput, strAt, u32, u8, value } from "../wire.js";
import { encodeRecords } from "./encode.mjs";

const MAX_REPORT_BYTES = 4 << 20;

function notFound() {
  const e = new Error("[object Object] (see error.payload)");
  e.payload = { tag: "not-found" };
  throw e;
}

const calls = (name) => (...args) => {
  const host = globalThis.mockHost ?? {};
  if (typeof host[name] === "function") return host[name](...args);
  if (name === "now") return 1700000000000000000;
  if (name === "log") return undefined;
  return notFound();
};

const isRecord = (r) => r !== null && typeof r === "object" && !Array.isArray(r) && !ArrayBuffer.isView(r);

// The answer a test's function gave, as the host would send it.
function answer(kind, one, out) {
  if (one ? isRecord(out) : Array.isArray(out) && out.every(isRecord)) return encodeRecords(kind, one ? [out] : out);
  return out;
}

// An import answering with records of `kind`; `one` when it names one thing.
const records = (name, kind, one) => (...args) => answer(kind, one, calls(name)(...args));

// The reader and writer resources: the test's handles, with their record
// answers encoded like the functions'.
function reader(h) {
  return {
    get: (ip) => answer("reputation", true, h.get(ip)),
    getAll: (ip) => answer("reputation", false, h.getAll(ip)),
    isBlacklisted: (ip) => h.isBlacklisted(ip),
    listSources: () => h.listSources(),
  };
}

function writer(h) {
  return {
    write: (source, entry) => h.write(source, entry),
    writeBatch: (source, entries) => h.writeBatch(source, entries),
    delete: (source, ip) => h.delete(source, ip),
    clear: (source) => h.clear(source),
    listSources: () => h.listSources(),
    reader: () => reader(h.reader()),
  };
}

export const log = calls("log");
export const now = calls("now");
export const getProcess = records("getProcess", "process", true);
export const getChildProcesses = records("getChildProcesses", "process", false);
export const getAncestry = records("getAncestry", "process", false);
export const getContainer = records("getContainer", "container", true);
export const getContainerByName = records("getContainerByName", "container", true);
export const listContainers = records("listContainers", "container", false);
export const getSystemInfo = calls("getSystemInfo");
export const getSyscallName = calls("getSyscallName");
export const getSyscallId = calls("getSyscallId");
export const resolveSymbolByAddress = records("resolveSymbolByAddress", "symbol", false);
export const getSymbolAddress = calls("getSymbolAddress");
export const resolveSymbolsBatch = records("resolveSymbolsBatch", "symbol", false);
export const getDnsResponse = records("getDnsResponse", "dns", true);
export const listStores = calls("listStores");
export const isAvailable = calls("isAvailable");
export const getMetadata = calls("getMetadata");
export const getHealth = calls("getHealth");
export const getMetrics = calls("getMetrics");
export const register = (...args) => writer(calls("register")(...args));
export const open = (...args) => reader(calls("open")(...args));

// A record as wire.js's readers take it.
class Item {
  constructor(bytes, dv, start, length) {
    this._b = bytes;
    this._dv = dv;
    this._o = start;
    this._n = length;
  }
}

// The reports of the call `onEvents` is running, or null outside one.
let reports = null;

/**
 * Throws, as the host traps, unless `bytes` is an output record list the
 * host accepts (host/runtime/src/convert.rs `output`): the announced
 * count is the one that fits, every record is a detection or an error
 * with its fixed part, a detection's field count fits exactly, its
 * severity is 0 to 5 and every field reads (bounds, UTF-8, kind), an
 * error's message reads unless it is (0, 0).
 */
export function checkOutput(bytes) {
  const at = REC.output;
  if (!(bytes instanceof Uint8Array)) throw new Error(`report: ${typeof bytes} is not a list<u8>`);
  const f = frame(bytes);
  const announced = bytes.length < 4 ? -1 : new DataView(bytes.buffer, bytes.byteOffset).getUint32(0, true);
  if (announced !== f.count) throw new Error(`report: a list of ${announced} records does not fit in ${bytes.length} bytes`);
  for (let j = 0; j < f.count; j++) {
    // itemAt reads a record whose bounds are out of order as empty, which
    // the kind check below rejects.
    const r = itemAt(f, j, Item);
    const kind = u8(r, at.KIND);
    if (r._n < at.LEN || (kind !== 0 && kind !== 1)) throw new Error(`report: record ${j}: unknown kind ${kind} or truncated`);
    if (kind === 1) {
      const pair = bytes.subarray(r._o + at.MESSAGE, r._o + at.MESSAGE + 8);
      if (strAt(r, at.MESSAGE) === undefined || (strAt(r, at.MESSAGE) === "" && pair.some((x) => x !== 0))) {
        throw new Error(`report: record ${j}: the message is out of bounds or not UTF-8`);
      }
      continue;
    }
    const count = u32(r, at.FIELD_COUNT);
    if (count > (r._n - at.LEN) / ARG_LEN) throw new Error(`report: record ${j}: ${count} fields do not fit in ${r._n} bytes`);
    if (u8(r, at.SEVERITY) > 5) throw new Error(`report: record ${j}: severity ${u8(r, at.SEVERITY)} is not 0..=5`);
    for (let i = 0; i < count; i++) {
      const e = at.LEN + i * ARG_LEN;
      if (strAt(r, e) === undefined || KINDS[r._b[r._o + e + 8]] === undefined || value(r, e) === undefined) {
        throw new Error(`report: record ${j}: field ${i} is out of bounds, not UTF-8 or of an unknown kind`);
      }
    }
  }
}

export const report = (bytes) => {
  if (reports === null) throw new Error("report called outside on-events");
  checkOutput(bytes);
  reports.total += bytes.length;
  if (reports.total > MAX_REPORT_BYTES) throw new Error(`reported more than ${MAX_REPORT_BYTES} bytes in one call`);
  reports.push(bytes.slice());
};

/** The buffers the last `onEvents` call reported (at most one). */
export let lastReports = [];

/**
 * Runs `guest.onEvents(batch)` as the host does and returns what it
 * reported, decoded (wire.js readOutput): `{ detections: [{ index,
 * detection: { fields, severity } }], errors: [{ index, message }] }`,
 * empty when it made no report. Throws when the export returned
 * something, or reported more than once.
 */
export function onEvents(guest, batch) {
  reports = Object.assign([], { total: 0 });
  let returned;
  try {
    returned = guest.onEvents(batch);
  } finally {
    lastReports = reports;
    reports = null;
  }
  if (returned !== undefined) throw new Error("on-events returns nothing under contract 0.4");
  if (lastReports.length > 1) throw new Error(`on-events reported ${lastReports.length} times; an SDK reports once`);
  return lastReports.length === 0 ? { detections: [], errors: [] } : readOutput(lastReports[0]);
}
